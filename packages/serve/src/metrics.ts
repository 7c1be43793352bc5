// Prometheus text exposition (format 0.0.4) for the few series a predictor needs; no client
// library, so the same code runs on Node and Workers.

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) this.counts[i]!++;
  }
  lines(name: string, labels: string): string[] {
    const sep = labels ? ',' : '';
    return [
      ...this.buckets.map((b, i) => `${name}_bucket{${labels}${sep}le="${b}"} ${this.counts[i]}`),
      `${name}_bucket{${labels}${sep}le="+Inf"} ${this.count}`,
      `${name}_sum${labels ? `{${labels}}` : ''} ${this.sum}`,
      `${name}_count${labels ? `{${labels}}` : ''} ${this.count}`,
    ];
  }
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64];

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class Metrics {
  private requests = new Map<string, number>();
  private latency = new Map<string, Histogram>();
  private batches = new Histogram(BATCH_BUCKETS);

  constructor(private readonly gauges: { queueDepth: () => number; inFlight: () => number; numTensors?: () => number }) {}

  request(route: string, status: number, seconds: number): void {
    const key = `route="${esc(route)}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.latency.get(route);
    if (!h) this.latency.set(route, (h = new Histogram(LATENCY_BUCKETS)));
    h.observe(seconds);
  }

  batch(size: number): void {
    this.batches.observe(size);
  }

  text(): string {
    const out: string[] = [];
    out.push('# HELP bears_requests_total HTTP requests by route and status.', '# TYPE bears_requests_total counter');
    for (const [k, v] of this.requests) out.push(`bears_requests_total{${k}} ${v}`);
    out.push('# HELP bears_request_duration_seconds Request latency.', '# TYPE bears_request_duration_seconds histogram');
    for (const [route, h] of this.latency) out.push(...h.lines('bears_request_duration_seconds', `route="${esc(route)}"`));
    out.push('# HELP bears_batch_size Images per forward pass.', '# TYPE bears_batch_size histogram');
    out.push(...this.batches.lines('bears_batch_size', ''));
    out.push('# HELP bears_queue_depth Predictions waiting or running.', '# TYPE bears_queue_depth gauge', `bears_queue_depth ${this.gauges.queueDepth()}`);
    out.push('# HELP bears_in_flight Requests being handled.', '# TYPE bears_in_flight gauge', `bears_in_flight ${this.gauges.inFlight()}`);
    if (this.gauges.numTensors) {
      out.push('# HELP bears_tensors Live tfjs tensors (flat when nothing leaks).', '# TYPE bears_tensors gauge', `bears_tensors ${this.gauges.numTensors()}`);
    }
    return out.join('\n') + '\n';
  }
}
