/**
 * A latency histogram in microseconds with fixed log-linear buckets: exact
 * below 100 us, then buckets 2% wide, up to about 1000 s. Workers fill one
 * each and send the counts to the runner, which adds them up; percentiles
 * come back as the upper edge of their bucket (within 2%), the maximum exact.
 */
const LINEAR = 100;
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
export const HISTOGRAM_BUCKETS = LINEAR + Math.ceil(Math.log(1e9 / LINEAR) / LOG_GROWTH) + 1;

export interface HistogramData {
  counts: number[];
  count: number;
  max: number;
  sum: number;
}

export class Histogram {
  counts = new Float64Array(HISTOGRAM_BUCKETS);
  count = 0;
  max = 0;
  sum = 0;

  record(us: number): void {
    const v = us < 0 ? 0 : us;
    const i = v <= LINEAR ? Math.floor(v) : Math.min(HISTOGRAM_BUCKETS - 1, LINEAR + Math.ceil(Math.log(v / LINEAR) / LOG_GROWTH));
    this.counts[i]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
    this.sum = 0;
  }

  toJSON(): HistogramData {
    return { counts: Array.from(this.counts), count: this.count, max: this.max, sum: this.sum };
  }

  add(data: HistogramData): void {
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) this.counts[i]! += data.counts[i] ?? 0;
    this.count += data.count;
    this.sum += data.sum;
    if (data.max > this.max) this.max = data.max;
  }

  /** The value (us) below which a fraction q of the samples lie; NaN when empty. */
  percentile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, bucketUpper(i));
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }
}

function bucketUpper(i: number): number {
  return i <= LINEAR ? i + 1 : LINEAR * Math.pow(GROWTH, i - LINEAR);
}

/** Microseconds on the system-wide monotonic clock: comparable between processes on one machine. */
export function nowUs(): number {
  const t = process.hrtime();
  return t[0] * 1e6 + Math.floor(t[1] / 1000);
}
