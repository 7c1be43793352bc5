// tfjs-core registers no gradients by itself, and its ESM dist (extension-less imports) cannot be
// loaded by Node directly; tfjs-layers' bundles register every core gradient as a side effect.
import '@tensorflow/tfjs-layers';
