import { describe, expect, it } from 'vitest';
import { clock, createOutput, type Streams } from './output.js';

/** An Output on a captured stderr (a TTY or not) with a clock the test moves. */
function capture(tty: boolean) {
  let text = '';
  let now = 0;
  const stream: Streams['stderr'] = { write: (s: string) => (text += s), isTTY: tty, columns: 120 };
  const out = createOutput({ now: () => now }, { stdout: { write: () => true }, stderr: stream });
  return { out, text: () => text, at: (ms: number) => void (now = ms), advance: (ms: number) => void (now += ms) };
}

describe('progress', () => {
  it('on a TTY: a bar with count, percentage, elapsed<remaining and rate, redrawn in place', () => {
    const c = capture(true);
    const bar = c.out.progress('body activations', 100, 'img');
    c.at(10_000);
    bar.update(25);
    const line = c.text().split('\r').pop()!;
    expect(line).toMatch(/^body activations  █+░+  25\/100 25% \[00:10<00:30, 2\.5 img\/s\]/);
    c.at(40_000);
    bar.update(100);
    expect(c.text().endsWith('\n')).toBe(true);
    expect(c.text()).toContain('100/100 100% [00:40<00:00, 2.5 img/s]');
  });

  it('without a TTY: nothing while running, one line per phase when it ends', () => {
    const c = capture(false);
    const bar = c.out.progress('body activations', 986, 'img');
    for (let i = 1; i <= 986; i++) {
      c.advance(35);
      bar.update(i);
    }
    bar.done();
    expect(c.text()).toBe('body activations 986/986 in 00:35 (28.6 img/s)\n');
    // An epoch's bar is transient: its table row is the line.
    const epoch = c.out.progress('epoch 1/4', 7, 'batch', { transient: true });
    epoch.update(7);
    epoch.done();
    expect(c.text().split('\n')).toHaveLength(2);
  });

  it('redraws at most every 100 ms', () => {
    const c = capture(true);
    const bar = c.out.progress('x', 1000);
    for (let i = 1; i <= 1000; i++) {
      c.advance(1);
      bar.update(i);
    }
    expect(c.text().split('\r').length).toBeLessThan(15);
  });

  it('clock reads like fastprogress', () => {
    expect(clock(0)).toBe('00:00');
    expect(clock(72)).toBe('01:12');
    expect(clock(3725)).toBe('1:02:05');
    expect(clock(NaN)).toBe('--:--');
  });
});

describe('progress ends at its total', () => {
  it('closes the line as soon as the count reaches the total (before the step prints its result)', () => {
    const c = capture(true);
    const bar = c.out.progress('epoch 1/1', 3, 'batch', { transient: true });
    bar.update(3);
    expect(c.text().endsWith('\r\x1b[K')).toBe(true);
    const before = c.text();
    bar.done();
    expect(c.text()).toBe(before);
  });

  it('a step that stops early ends at the count it reached', () => {
    const c = capture(false);
    const bar = c.out.progress('lr sweep', 100, 'batch');
    c.at(10_000);
    bar.update(70);
    bar.stop();
    expect(c.text()).toBe('lr sweep 70/100 in 00:10 (7.0 batch/s)\n');
  });
});
