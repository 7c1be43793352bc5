import { describe, expect, it } from 'vitest';
import { allowedValues, closest, num, parseFlags } from './args.js';

const options = { epochs: { type: 'string' }, steps: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, 'lr-range': { type: 'string' } } as const;
const fail = (argv: string[]) => {
  try {
    parseFlags(options, argv, 'train');
  } catch (err) {
    return (err as Error & { exitCode: number }).exitCode === 2 ? (err as Error).message : `exit ${(err as { exitCode: number }).exitCode}`;
  }
  return 'no error';
};

describe('flag errors a person can act on', () => {
  it('an unknown option names the closest known one', () => {
    expect(fail(['--epoch', '3'])).toBe('unknown option --epoch (did you mean --epochs?)');
    expect(fail(['--lr-rnage', '1,2'])).toBe('unknown option --lr-rnage (did you mean --lr-range?)');
    expect(fail(['--frobnicate'])).toBe('unknown option --frobnicate (see bears train --help)');
  });

  it('a negative number is the value of the flag before it, checked by the flag (no "ambiguous")', () => {
    expect(parseFlags(options, ['--steps', '-5'], 'sgd').values.steps).toBe('-5');
    expect(() => num('-5', 'steps', { int: true, min: 1, max: 100_000 })).toThrow("--steps must be an integer from 1 to 100000, got '-5'");
  });

  it('a missing value, a value starting with a dash, a value given to a switch', () => {
    expect(fail(['--out'])).toBe('--out needs a value (see bears train --help)');
    expect(fail(['--out', '--json'])).toBe("--out needs a value; for one that starts with '-', write --out=<value> (see bears train --help)");
    expect(fail(['--json=yes'])).toBe('--json takes no value (see bears train --help)');
  });

  it('numbers say what is allowed', () => {
    expect(allowedValues({ int: true, min: 1, max: 10 })).toBe('an integer from 1 to 10');
    expect(allowedValues({ min: 0 })).toBe('a number of at least 0');
    expect(() => num('abc', 'lr', { min: 0 })).toThrow("--lr must be a number of at least 0, got 'abc'");
    expect(() => num('1.5', 'epochs', { int: true, min: 1 })).toThrow("--epochs must be an integer of at least 1, got '1.5'");
    expect(num('3e-3', 'lr', { min: 0 })).toBe(0.003);
  });

  it('closest: prefixes and small typos only', () => {
    expect(closest('trian', ['download', 'verify', 'train'])).toBe('train');
    expect(closest('epoch', ['epochs', 'lr'])).toBe('epochs');
    expect(closest('xyz', ['epochs', 'lr'])).toBeUndefined();
  });
});
