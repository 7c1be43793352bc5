/** Which road strided or few-channel conv gradients take: 'auto' picks per shape; the others are for tests and benchmarks. */
export type ConvGradPath = 'auto' | 'conv' | 'patches';
let path: ConvGradPath = 'auto';

/** For tests and benchmarks: force the XNNPACK-convolution road or the im2col/col2im + GEMM one (dx and dW alike). */
export function setConvGradPath(p: ConvGradPath): void {
  path = p;
}

/** The road forced by setConvGradPath, or undefined for 'auto'. */
export function forcedConvGradPath(): 'conv' | 'patches' | undefined {
  return path === 'auto' ? undefined : path;
}
