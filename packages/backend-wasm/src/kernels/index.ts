/** Registers the training kernels tfjs-backend-wasm lacks. Idempotent. */
export function registerTrainingKernels(): void {
  // Filled in by the kernels work (Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput/Filter).
}
