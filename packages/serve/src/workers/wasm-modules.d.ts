// In Workers (wrangler, workerd) importing a .wasm file yields a compiled WebAssembly.Module.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
