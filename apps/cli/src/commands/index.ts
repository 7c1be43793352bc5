import type { Command } from '../command.js';
import { download } from './download.js';
import { verify } from './verify.js';
import { train } from './train.js';
import { lrFind } from './lr-find.js';
import { predict } from './predict.js';
import { sgd } from './sgd.js';
import { interpret } from './interpret.js';
import { clean } from './clean.js';
import { serve } from './serve.js';

/** In the lesson's order. */
export const commands: Command[] = [download, verify, lrFind, train, predict, interpret, clean, serve, sgd];
