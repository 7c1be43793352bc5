;; Kernels Bears adds to tfjs-backend-wasm, run on its heap (imported memory). NHWC, float32.
;; Pointers are byte offsets into that memory. Build: npm run build:wasm (scripts/build-wasm.mjs).
;;
;; depthwiseFilterGrad: dW of a depthwise convolution (channel multiplier 1).
;; out[kh, kw, c] = sum over b, oh, ow of x[b, oh*sh + kh*dh - pt, ow*sw + kw*dw - pl, c] * dy[b, oh, ow, c]
;; One pass over x and dy with 4-wide SIMD over channels; out (fH*fW*C floats) stays in cache.
(module
  (import "env" "memory" (memory 1 MEMORY_MAX))
  (func (export "depthwiseFilterGrad")
    (param $x i32) (param $dy i32) (param $out i32)
    (param $B i32) (param $H i32) (param $W i32) (param $C i32)
    (param $OH i32) (param $OW i32) (param $FH i32) (param $FW i32)
    (param $sh i32) (param $sw i32) (param $dh i32) (param $dw i32) (param $pt i32) (param $pl i32)
    (local $i i32) (local $n i32) (local $c4 i32) (local $rowBytes i32)
    (local $b i32) (local $oh i32) (local $ow i32) (local $kh i32) (local $kw i32)
    (local $ih i32) (local $iw i32) (local $dyp i32) (local $xp i32) (local $op i32) (local $c i32)
    (local.set $rowBytes (i32.shl (local.get $C) (i32.const 2)))
    (local.set $c4 (i32.and (local.get $C) (i32.const -4)))
    ;; out = 0
    (local.set $n (i32.mul (i32.mul (local.get $FH) (local.get $FW)) (local.get $C)))
    (local.set $i (i32.const 0))
    (block $zdone (loop $zero
      (br_if $zdone (i32.ge_u (local.get $i) (local.get $n)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (f32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $zero)))
    (local.set $dyp (local.get $dy))
    (local.set $b (i32.const 0))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $oh (i32.const 0))
      (block $ohdone (loop $ohloop
        (br_if $ohdone (i32.ge_u (local.get $oh) (local.get $OH)))
        (local.set $ow (i32.const 0))
        (block $owdone (loop $owloop
          (br_if $owdone (i32.ge_u (local.get $ow) (local.get $OW)))
          (local.set $kh (i32.const 0))
          (block $khdone (loop $khloop
            (br_if $khdone (i32.ge_u (local.get $kh) (local.get $FH)))
            (local.set $ih (i32.sub (i32.add (i32.mul (local.get $oh) (local.get $sh)) (i32.mul (local.get $kh) (local.get $dh))) (local.get $pt)))
            ;; unsigned compare also rejects negative rows
            (if (i32.lt_u (local.get $ih) (local.get $H)) (then
              (local.set $kw (i32.const 0))
              (block $kwdone (loop $kwloop
                (br_if $kwdone (i32.ge_u (local.get $kw) (local.get $FW)))
                (local.set $iw (i32.sub (i32.add (i32.mul (local.get $ow) (local.get $sw)) (i32.mul (local.get $kw) (local.get $dw))) (local.get $pl)))
                (if (i32.lt_u (local.get $iw) (local.get $W)) (then
                  (local.set $xp (i32.add (local.get $x)
                    (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H)) (local.get $ih)) (local.get $W)) (local.get $iw)) (local.get $rowBytes))))
                  (local.set $op (i32.add (local.get $out)
                    (i32.mul (i32.add (i32.mul (local.get $kh) (local.get $FW)) (local.get $kw)) (local.get $rowBytes))))
                  (local.set $c (i32.const 0))
                  (block $vdone (loop $vloop
                    (br_if $vdone (i32.ge_u (local.get $c) (local.get $c4)))
                    (v128.store (local.get $op)
                      (f32x4.add (v128.load (local.get $op))
                        (f32x4.mul (v128.load (local.get $xp)) (v128.load (i32.add (local.get $dyp) (i32.shl (local.get $c) (i32.const 2)))))))
                    (local.set $op (i32.add (local.get $op) (i32.const 16)))
                    (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
                    (local.set $c (i32.add (local.get $c) (i32.const 4)))
                    (br $vloop)))
                  (block $sdone (loop $sloop
                    (br_if $sdone (i32.ge_u (local.get $c) (local.get $C)))
                    (f32.store (local.get $op)
                      (f32.add (f32.load (local.get $op))
                        (f32.mul (f32.load (local.get $xp)) (f32.load (i32.add (local.get $dyp) (i32.shl (local.get $c) (i32.const 2)))))))
                    (local.set $op (i32.add (local.get $op) (i32.const 4)))
                    (local.set $xp (i32.add (local.get $xp) (i32.const 4)))
                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                    (br $sloop)))))
                (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
                (br $kwloop)))))
            (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
            (br $khloop)))
          (local.set $dyp (i32.add (local.get $dyp) (local.get $rowBytes)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $owloop)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohloop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop))))

  ;; maxPoolGrad: dx of max pooling. Each output's gradient goes to the first maximum of its window
  ;; (row-major), as tfjs-backend-cpu does. tfjs-wasm 4.22's own MaxPoolGrad starts its running
  ;; maximum at FLT_MIN, so windows whose values are all negative get no gradient.
  (func (export "maxPoolGrad")
    (param $x i32) (param $dy i32) (param $dx i32)
    (param $B i32) (param $H i32) (param $W i32) (param $C i32)
    (param $OH i32) (param $OW i32) (param $FH i32) (param $FW i32)
    (param $sh i32) (param $sw i32) (param $dh i32) (param $dw i32) (param $pt i32) (param $pl i32)
    (local $i i32) (local $n i32) (local $b i32) (local $oh i32) (local $ow i32) (local $c i32)
    (local $kh i32) (local $kw i32) (local $ih i32) (local $iw i32)
    (local $best f32) (local $bestAt i32) (local $v f32) (local $at i32) (local $dyp i32)
    (local.set $n (i32.mul (i32.mul (i32.mul (local.get $B) (local.get $H)) (local.get $W)) (local.get $C)))
    (local.set $i (i32.const 0))
    (block $zdone (loop $zero
      (br_if $zdone (i32.ge_u (local.get $i) (local.get $n)))
      (f32.store (i32.add (local.get $dx) (i32.shl (local.get $i) (i32.const 2))) (f32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $zero)))
    (local.set $dyp (local.get $dy))
    (local.set $b (i32.const 0))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.ge_u (local.get $b) (local.get $B)))
      (local.set $oh (i32.const 0))
      (block $ohdone (loop $ohloop
        (br_if $ohdone (i32.ge_u (local.get $oh) (local.get $OH)))
        (local.set $ow (i32.const 0))
        (block $owdone (loop $owloop
          (br_if $owdone (i32.ge_u (local.get $ow) (local.get $OW)))
          (local.set $c (i32.const 0))
          (block $cdone (loop $cloop
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $C)))
            (local.set $best (f32.const -inf))
            (local.set $bestAt (i32.const -1))
            (local.set $kh (i32.const 0))
            (block $khdone (loop $khloop
              (br_if $khdone (i32.ge_u (local.get $kh) (local.get $FH)))
              (local.set $ih (i32.sub (i32.add (i32.mul (local.get $oh) (local.get $sh)) (i32.mul (local.get $kh) (local.get $dh))) (local.get $pt)))
              (if (i32.lt_u (local.get $ih) (local.get $H)) (then
                (local.set $kw (i32.const 0))
                (block $kwdone (loop $kwloop
                  (br_if $kwdone (i32.ge_u (local.get $kw) (local.get $FW)))
                  (local.set $iw (i32.sub (i32.add (i32.mul (local.get $ow) (local.get $sw)) (i32.mul (local.get $kw) (local.get $dw))) (local.get $pl)))
                  (if (i32.lt_u (local.get $iw) (local.get $W)) (then
                    (local.set $at (i32.shl
                      (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $H)) (local.get $ih)) (local.get $W)) (local.get $iw)) (local.get $C)) (local.get $c))
                      (i32.const 2)))
                    (local.set $v (f32.load (i32.add (local.get $x) (local.get $at))))
                    (if (i32.or (f32.gt (local.get $v) (local.get $best)) (i32.lt_s (local.get $bestAt) (i32.const 0))) (then
                      (local.set $best (local.get $v))
                      (local.set $bestAt (local.get $at))))))
                  (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
                  (br $kwloop)))))
              (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
              (br $khloop)))
            (if (i32.ge_s (local.get $bestAt) (i32.const 0)) (then
              (f32.store (i32.add (local.get $dx) (local.get $bestAt))
                (f32.add (f32.load (i32.add (local.get $dx) (local.get $bestAt))) (f32.load (local.get $dyp))))))
            (local.set $dyp (i32.add (local.get $dyp) (i32.const 4)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $cloop)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $owloop)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $ohloop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bloop))))
)
