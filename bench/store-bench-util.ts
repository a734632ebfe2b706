// Shared pieces of `npm run bench:store` (bench/store-bench.ts): latency recording, the figures'
// formatting, a seeded generator of points, the peers' 16-byte keys, and the group committer the
// JS-driven peers share (the same one as bench/log-peers.ts, so every peer gets the same chance
// to group-commit as in the log's benchmark).
import { fixed, median } from "./bench-harness.js";

/** Latencies of one cell, in ms; grows by doubling. */
export class Latencies {
  private values = new Float64Array(1 << 16);
  count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  /** Nearest-rank percentiles (p in 0..1) of the recorded values. */
  percentiles(ps: readonly number[]): number[] {
    const sorted = this.values.subarray(0, this.count).sort();
    return ps.map((p) => (this.count === 0 ? Number.NaN : (sorted[Math.min(this.count - 1, Math.max(0, Math.ceil(p * this.count) - 1))] ?? Number.NaN)));
  }
}

/** The median and the spread of one figure over a cell's runs. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

export function rate(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (value >= 1e6) return `${fixed(value / 1e6, 2)} M`;
  if (value >= 1e3) return `${fixed(value / 1e3, 1)} k`;
  if (value >= 10) return fixed(value, 0);
  return fixed(value, 1);
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return "–";
  return value < 0.01 ? fixed(value, 4) : value < 1 ? fixed(value, 3) : value < 10 ? fixed(value, 2) : fixed(value, 1);
}

export function us(valueMs: number): string {
  if (!Number.isFinite(valueMs)) return "–";
  const value = valueMs * 1000;
  return value < 10 ? fixed(value, 2) : value < 100 ? fixed(value, 1) : fixed(value, 0);
}

export function ratio(value: number | undefined, base: number | undefined): string {
  return value === undefined || base === undefined || base === 0 || !Number.isFinite(value) || !Number.isFinite(base) ? "–" : `${fixed(value / base, 2)}x`;
}

export function rateSpread(s: Spread | null): [string, string] {
  return s === null ? ["–", "–"] : [rate(s.median), `${rate(s.min)}..${rate(s.max)}`];
}

export function met(ok: boolean): string {
  return ok ? "**met**" : "**not met**";
}

/** xorshift32: a seeded stream of u32s (the benchmark's points are reproducible per seed). */
export function xorshift(seed: number): () => number {
  let x = (seed | 0) === 0 ? 0x9e3779b9 : seed | 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** A uniformly random point of a (dims, bits) space, bits <= 32. */
export function randomPoint(next: () => number, dims: number, bits: number): number[] {
  const point = new Array<number>(dims);
  if (bits >= 32) for (let axis = 0; axis < dims; axis++) point[axis] = next();
  else {
    const mask = 2 ** bits - 1;
    for (let axis = 0; axis < dims; axis++) point[axis] = next() & mask;
  }
  return point;
}

/** The peers' key: the point's Hilbert key, big-endian, then the revision, big-endian (16 bytes, ordered by key then revision). */
export function hilbertRevisionKey(hilbertKey: bigint, revision: bigint | number): Uint8Array {
  const key = new Uint8Array(16);
  const view = new DataView(key.buffer);
  view.setBigUint64(0, hilbertKey);
  view.setBigUint64(8, BigInt(revision));
  return key;
}

interface Queued<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * bench/log-peers.ts's group committer: writers enqueue; one flusher commits everything queued as
 * one batch, resolves it, then takes the next, starting (and continuing) through setImmediate so
 * writers just acknowledged have re-enqueued before the next batch is taken.
 */
export class GroupCommitter<T> {
  private queue: Array<Queued<T>> = [];
  private running = false;
  batches = 0;
  items = 0;

  constructor(private readonly commit: (items: T[]) => Promise<void> | void) {}

  enqueue(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    try {
      await this.commit(batch.map((q) => q.item));
      this.batches += 1;
      this.items += batch.length;
      for (const q of batch) q.resolve();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const q of batch) q.reject(failure);
    }
    if (this.queue.length > 0) setImmediate(() => void this.flush());
    else this.running = false;
  }

  /** Resolves once nothing is queued or in flight. */
  async idle(): Promise<void> {
    while (this.running) await new Promise((resolve) => setImmediate(resolve));
  }
}
