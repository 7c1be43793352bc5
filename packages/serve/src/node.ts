// @bears/serve/node: the predictor on Node (@hono/node-server, node:cluster, SIGTERM).
export { loadModelFolder } from './node/load.js';
export { startServer } from './node/server.js';
export type { RunningServer, StartOptions } from './node/server.js';
export { runServe } from './node/run.js';
export type { RunOptions, Serving } from './node/run.js';
export { ConfigError, configFrom, parseServeArgs, serveHelp, serveOptionSpec, threadsPerProcess } from './node/config.js';
export type { ServeConfig } from './node/config.js';
export { writeFloat16Export, toFloat16Bits } from './node/quantize.js';
