// @bears/backend/node: the Node-only parts (sharp). Importing it makes sharp the 'node' codec.
import { registerCodec } from './codec-registry.js';
import { sharpCodec } from './codec-node.js';

registerCodec('node', sharpCodec);

export { sharpCodec, ImageDecodeError } from './codec-node.js';
