// The "bare worker loop" peer of `npm run bench:log`: spacelog's I/O-thread shape with nothing of
// spacelog in it, as a ceiling for what that shape can do on this machine. Writers copy their value
// into a SharedArrayBuffer ring and await a durable watermark; one worker thread pwrites whatever
// is published, fdatasyncs, publishes the watermark and notifies (Atomics.waitAsync on the
// writers' side). The file is written with zeros and synced before the cell starts, and reused
// circularly, so every fdatasync overwrites allocated blocks (what spacelog's preallocation buys
// only part of the time). No framing, no checksum, no segments, no recovery, no failure handling
// beyond reporting: a log nobody could use, kept only to measure against.
import * as fs from "node:fs";
import { join } from "node:path";
import { Worker, isMainThread, workerData } from "node:worker_threads";
import type { Appender, Peer } from "./log-peers.js";

/** Ring of published bytes, and the file the loop writes circularly (a multiple of the ring). */
const RING_BYTES = 16 << 20;
const FILE_BYTES = 64 << 20;

// Control words (Int32Array indices; the BigInt64Array slots sit at byte 64 and up).
const WAKE_LOOP = 0;
const LOOP_WANTS_NOTIFY = 1;
const WAKE_WRITERS = 2;
const STOP = 3;
const FAILED = 4;
const PUBLISHED = 8; // i64 slot: bytes published since open
const DURABLE = 9; // i64 slot: bytes written and fdatasynced

interface LoopData {
  readonly control: SharedArrayBuffer;
  readonly ring: SharedArrayBuffer;
  readonly path: string;
}

interface Waiter {
  readonly end: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

class BareWorkerLoop implements Appender {
  private readonly i32: Int32Array;
  private readonly i64: BigInt64Array;
  private readonly ring: Uint8Array;
  private published = 0;
  private readonly waiters: Waiter[] = [];
  private head = 0;
  private watching = false;
  private failure: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(worker: Worker, data: LoopData) {
    this.i32 = new Int32Array(data.control);
    this.i64 = new BigInt64Array(data.control);
    this.ring = new Uint8Array(data.ring);
    this.exited = new Promise((resolve) => worker.once("exit", () => resolve()));
    worker.once("error", (error) => this.fail(error));
  }

  append(value: Uint8Array): Promise<void> {
    // Backpressure: never overwrite ring bytes the loop has not written yet. (Not an async
    // function: its extra promise per call would be a cost spacelog's append does not pay.)
    if (this.published + value.byteLength - Number(Atomics.load(this.i64, DURABLE)) > RING_BYTES) {
      return this.durableAt(this.published).then(() => this.append(value));
    }
    const at = this.published % RING_BYTES;
    const first = Math.min(value.byteLength, RING_BYTES - at);
    this.ring.set(value.subarray(0, first), at);
    if (first < value.byteLength) this.ring.set(value.subarray(first), 0);
    this.published += value.byteLength;
    Atomics.store(this.i64, PUBLISHED, BigInt(this.published));
    Atomics.add(this.i32, WAKE_LOOP, 1);
    if (Atomics.load(this.i32, LOOP_WANTS_NOTIFY) === 1 && Atomics.exchange(this.i32, LOOP_WANTS_NOTIFY, 0) === 1) Atomics.notify(this.i32, WAKE_LOOP);
    return this.durableAt(this.published);
  }

  private durableAt(end: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ end, resolve, reject });
      if (!this.watching) this.check();
    });
  }

  private check(): void {
    const seen = Atomics.load(this.i32, WAKE_WRITERS);
    if (Atomics.load(this.i32, FAILED) === 1 && this.failure === null) this.failure = new Error("bare worker loop: write or fdatasync failed");
    const durable = Number(Atomics.load(this.i64, DURABLE));
    for (let w = this.waiters[this.head]; w !== undefined && (w.end <= durable || this.failure !== null); w = this.waiters[this.head]) {
      this.head++;
      if (this.failure === null) w.resolve();
      else w.reject(this.failure);
    }
    if (this.head > 4096 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
    if (this.watching || this.head === this.waiters.length) return;
    this.watching = true;
    const result = Atomics.waitAsync(this.i32, WAKE_WRITERS, seen);
    const again = (): void => {
      this.watching = false;
      this.check();
    };
    if (result.async) void result.value.then(again);
    else queueMicrotask(again);
  }

  private fail(error: Error): void {
    this.failure = error;
    this.check();
  }

  async close(): Promise<void> {
    if (this.head < this.waiters.length) await this.durableAt(this.published);
    Atomics.store(this.i32, STOP, 1);
    Atomics.add(this.i32, WAKE_LOOP, 1);
    Atomics.notify(this.i32, WAKE_LOOP);
    await this.exited;
    if (this.failure !== null) throw this.failure;
  }
}

export const bareWorkerLoop: Peer = {
  name: "bare worker loop (preallocated, no framing)",
  async open(dir) {
    const path = join(dir, "bare.log");
    const fd = fs.openSync(path, "w");
    const zeros = new Uint8Array(1 << 20);
    for (let at = 0; at < FILE_BYTES; at += zeros.byteLength) fs.writeSync(fd, zeros, 0, zeros.byteLength, at);
    fs.fdatasyncSync(fd);
    fs.closeSync(fd);
    const data: LoopData = { control: new SharedArrayBuffer(128), ring: new SharedArrayBuffer(RING_BYTES), path };
    const worker = new Worker(new URL(import.meta.url), { workerData: data });
    await new Promise<void>((resolve, reject) => {
      worker.once("online", resolve);
      worker.once("error", reject);
    });
    return new BareWorkerLoop(worker, data);
  },
};

/** The worker: write [durable, published) circularly, fdatasync, publish, notify; sleep when idle. */
function loopMain(data: LoopData): void {
  const i32 = new Int32Array(data.control);
  const i64 = new BigInt64Array(data.control);
  const ring = new Uint8Array(data.ring);
  const fd = fs.openSync(data.path, "r+");
  try {
    for (;;) {
      const ticket = Atomics.load(i32, WAKE_LOOP);
      const durable = Number(Atomics.load(i64, DURABLE));
      const published = Number(Atomics.load(i64, PUBLISHED));
      if (published > durable) {
        for (let at = durable; at < published; ) {
          const length = Math.min(published - at, RING_BYTES - (at % RING_BYTES), FILE_BYTES - (at % FILE_BYTES));
          const written = fs.writeSync(fd, ring, at % RING_BYTES, length, at % FILE_BYTES);
          if (written !== length) throw new Error(`short write: ${written} of ${length} bytes`);
          at += length;
        }
        fs.fdatasyncSync(fd);
        Atomics.store(i64, DURABLE, BigInt(published));
        Atomics.add(i32, WAKE_WRITERS, 1);
        Atomics.notify(i32, WAKE_WRITERS);
        continue;
      }
      if (Atomics.load(i32, STOP) === 1) return;
      Atomics.store(i32, LOOP_WANTS_NOTIFY, 1);
      if (Number(Atomics.load(i64, PUBLISHED)) === published) Atomics.wait(i32, WAKE_LOOP, ticket, 100);
    }
  } catch (error) {
    Atomics.store(i32, FAILED, 1);
    Atomics.add(i32, WAKE_WRITERS, 1);
    Atomics.notify(i32, WAKE_WRITERS);
    throw error;
  } finally {
    fs.closeSync(fd);
  }
}

if (!isMainThread && (workerData as Partial<LoopData> | null)?.ring instanceof SharedArrayBuffer) loopMain(workerData as LoopData);
