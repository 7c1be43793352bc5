import type { Command } from '../command.js';
import { download } from './download.js';
import { verify } from './verify.js';
import { sgd } from './sgd.js';

/** In the lesson's order. */
export const commands: Command[] = [download, verify, sgd];
