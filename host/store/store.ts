// The store: spaces of N-dimensional points with revision history (DESIGN section 2). This file
// is the API and the writers' thread's bookkeeping; the parts live beside it:
//   write-queue.ts, piece-writer.ts   records and control ops into the commit ring
//   store-loop.ts                     the I/O loop (its thread), writing and syncing every file
//   store-waiters.ts                  what calls wait for
//   store-seal.ts                     a seal, from plan to installed manifest
//   space-read.ts                     get and query over blocks and the live tail
//   store-recovery.ts, open-store.ts  opening
//
// Revisions are one global u64, assigned when a call is made, in call order; acknowledgements
// follow ring order (write-queue.ts), so a revision is acknowledged only after every lower one.
// A record goes to its space's hot segment (direct) or, while the space is being sealed, to the
// shared staging log (staged); staged records are copied into the space's next hot segment once
// the seal is installed (promoted).
import { assert } from "../assert.js";
import { type Core, type Region } from "../core/index.js";
import { ClosedError, InvalidArgumentError, StoreFailedError } from "../errors.js";
import { type StorageIo } from "../io/storage-io.js";
import { type CommitRing, FailureKind, RingState, RingWord } from "../wal/commit-ring.js";
import { type DirectoryLock } from "../wal/directory-lock.js";
import { type LoopHandle } from "../wal/io-thread.js";
import { Fifo } from "../wal/fifo.js";
import { type CheckedBox, checkBox } from "./box.js";
import { LiveTail } from "./live-tail.js";
import { type Manifest } from "./manifest-format.js";
import { type Point, pointToKey } from "./point-codec.js";
import { PointDecoder } from "./point-decoder.js";
import { type BlockReaderShared } from "./block-reader.js";
import { type ResolvedStoreOptions } from "./store-options.js";
import { type RecoveryReport } from "./store-recovery.js";
import { type SealResult, type SpaceInfo, type SpaceState, spaceInfoOf } from "./space-state.js";
import { parseSpaceSpec, decideCreateSpace, requireSpace } from "./space-spec.js";
import { queryBoxSync, readKey } from "./space-read.js";
import { StoreFiles } from "./store-file-set.js";
import { type StoreWaiters } from "./store-waiters.js";
import { checkValue } from "./value-check.js";
import { ValueSlab } from "./value-slab.js";
import { type OrderedVersion } from "./version-record.js";
import { QueuedRecord, type Settle, type TailOwner } from "./queued-record.js";
import { type WriteQueue } from "./write-queue.js";
import { sealSpace } from "./store-seal.js";

export type BatchOp =
  | { readonly put: string; readonly point: Point; readonly value: Uint8Array }
  | { readonly delete: string; readonly point: Point };

export interface ReadOptions {
  /** Read as of this revision (default: the newest acknowledged). At most snapshot().revision. */
  readonly revision?: bigint;
}

export interface QueryOptions extends ReadOptions {
  /** At most this many results. */
  readonly limit?: number;
}

export interface QueryResult {
  readonly point: Point;
  readonly value: Uint8Array;
  readonly revision: bigint;
}

export interface WriteResult {
  /** The batch's revisions are first..last, consecutive. */
  readonly first: bigint;
  readonly last: bigint;
}

export interface StoreStats {
  /** The newest acknowledged revision (snapshot().revision). */
  readonly revision: bigint;
  readonly spaces: number;
  /** Records written straight to their hot segment, to staging, and copied from staging into a hot segment. */
  readonly records: { readonly direct: number; readonly staged: number; readonly promoted: number };
  readonly seals: number;
  readonly blocks: number;
  /** Unsealed records held in memory (the live tails). */
  readonly tailRecords: number;
  readonly manifestGeneration: bigint;
  /** What open() found and repaired. */
  readonly recovery: RecoveryReport;
  readonly durability: ResolvedStoreOptions["durability"];
  readonly ioThread: boolean;
  /** The chunk cache (the cacheBytes option): on-disk bytes held, the budget, and lookups that hit or read the file. */
  readonly cache: { readonly bytes: number; readonly budgetBytes: number; readonly hits: number; readonly misses: number };
  /** Sealed blocks' files: open now, the most kept open (the rest are opened again when read), and opens so far. */
  readonly blockFiles: { readonly open: number; readonly openMax: number; readonly opens: number };
}

/** Everything open-store.ts hands the store. */
export interface StoreParts {
  readonly core: Core;
  readonly coldIo: StorageIo;
  readonly dir: string;
  readonly options: ResolvedStoreOptions;
  readonly ring: CommitRing;
  readonly regions: Region[];
  readonly lock: DirectoryLock;
  readonly queue: WriteQueue;
  readonly files: StoreFiles;
  readonly blockShared: BlockReaderShared;
  readonly manifest: Manifest;
  readonly spaces: readonly SpaceState[];
  readonly nextSpaceId: number;
  readonly nextRevision: bigint;
  readonly recovery: RecoveryReport;
}

/**
 * A revision acknowledged once the watermark passes `end` (set when its flush drains the queue);
 * then its record joins its space's tail and its call, if it is the last of one, resolves. A put
 * or delete is its QueuedRecord; a space definition has one of these.
 */
interface TailEntry {
  end: number;
  readonly revision: bigint;
  /** The tail the entry's record joins (a QueuedRecord's space), or null. */
  readonly space: TailOwner | null;
  settle: Settle | null;
}

/**
 * A flush starts at once when this many records are queued and the loop has caught up with the
 * ring (it would otherwise sleep until the microtask's flush): it starts on them while more
 * arrive. While it is busy, queued records wait for the next flush, up to EAGER_FLUSH_BUSY_RECORDS.
 */
export const EAGER_FLUSH_RECORDS = 8;
export const EAGER_FLUSH_BUSY_RECORDS = 1024;

const READ_OPTION_KEYS: readonly string[] = ["revision"];

/** A query's expected size: the records it may meet (the box's share of the space's) and their bytes in blocks. */
interface QueryEstimate {
  readonly records: number;
  readonly blockBytes: number;
}

function estimateQuery(space: SpaceState, box: CheckedBox): QueryEstimate {
  let fraction = 1;
  for (let axis = 0; axis < space.dims; axis++) fraction *= Number((box.max[axis] as bigint) - (box.min[axis] as bigint) + 1n) / 2 ** space.bits;
  let records = space.tail.recordCount;
  let blockBytes = 0;
  for (const block of space.blocks) {
    records += block.entry.recordCount;
    blockBytes += block.entry.fileSize;
  }
  return { records: fraction * records, blockBytes: fraction * blockBytes };
}

/**
 * How many key ranges to ask the core for: few for a box expected to hold few records (each
 * range costs the core's cover and one lookup per source), up to 256 for a large one (where a
 * looser cover would add many more records to filter). Measured here (3D, bits 20): 16 ranges
 * cover 2.4-2.9x the box's cells in ~30 us, 256 cover 1.25x in ~400 us. The fewest is 2^(dims+1)
 * (8 in 2D, 16 in 3D): on 0.01 % boxes of 1 M points, 8 ranges beat 16 by ~30 % in 2D, while
 * in 3D 8 lost to 16 (a 3D cube splits into 8 children, so 8 ranges cover it loosely).
 */
function rangesFor(space: SpaceState, estimate: QueryEstimate): number {
  let ranges = Math.min(256, Math.max(8, 2 ** (space.dims + 1)));
  while (ranges < 256 && ranges * 32 < estimate.records) ranges *= 2;
  return ranges;
}

/**
 * A query fills the chunk cache unless it is expected to read more than an eighth of its budget:
 * a larger scan would push out what smaller reads keep using, and a scan that does not fit
 * is never served again from it (an LRU cycled by a scan larger than itself hits nothing).
 */
function fillsCache(estimate: QueryEstimate, cacheBytes: number): boolean {
  return estimate.blockBytes * 8 <= cacheBytes;
}

const QUERY_OPTION_KEYS: readonly string[] = ["revision", "limit"];

/** Queued records at most (about 256 MiB of small records), past which writes are refused. */
export const QUEUED_RECORDS_MAX = 1 << 21;

export class Store {
  readonly core: Core;
  readonly dir: string;
  readonly options: ResolvedStoreOptions;
  /** @internal */ readonly coldIo: StorageIo;
  /** @internal */ readonly ring: CommitRing;
  /** @internal */ readonly queue: WriteQueue;
  /** @internal */ readonly files: StoreFiles;
  /** @internal What every open block's reader shares: decoded chunks (chunk-cache.ts), open files (block-file-pool.ts). */
  readonly blockShared: BlockReaderShared;
  /** @internal */ waiters!: StoreWaiters;
  /** @internal */ manifest: Manifest;
  /** @internal */ readonly spacesByName = new Map<string, SpaceState>();
  /** @internal */ readonly counts = { direct: 0, staged: 0, promoted: 0, seals: 0 };
  /** @internal Records in the current staging generation (staging-reset.ts resets it when clear). */
  stagingRecords = 0;
  private readonly regions: Region[];
  private readonly lock: DirectoryLock;
  private nextSpaceId: number;
  private nextRevision: bigint;
  /** The newest acknowledged revision: every revision at or below it is acknowledged. */
  private acknowledged: bigint;
  private readonly recovery: RecoveryReport;
  /** pointToKey's second result, reused: the key's ord (version-record.ts), with no allocation. */
  private readonly keyOrd = { ord: 0 };
  private readonly values = new ValueSlab();
  /** Tail entries queued and not yet drained (no ring end yet), then drained and not yet acknowledged. */
  private undrained: TailEntry[] = [];
  private readonly unacknowledged = new Fifo<TailEntry>();
  /** Internal waits (seal, close) for the queue to drain, with the ring end it drained at. */
  private drainWaiters: Array<{ resolve: (end: number) => void; reject: (error: Error) => void }> = [];
  private flushScheduled = false;
  private loop: LoopHandle | null = null;
  private state: "open" | "closing" | "closed" = "open";
  private closing: Promise<void> | null = null;
  private failure: Error | null = null;

  /** @internal Made by open(). */
  constructor(parts: StoreParts) {
    this.core = parts.core;
    this.dir = parts.dir;
    this.options = parts.options;
    this.coldIo = parts.coldIo;
    this.ring = parts.ring;
    this.queue = parts.queue;
    this.files = parts.files;
    this.blockShared = parts.blockShared;
    this.regions = parts.regions;
    this.lock = parts.lock;
    this.manifest = parts.manifest;
    this.nextSpaceId = parts.nextSpaceId;
    this.nextRevision = parts.nextRevision;
    this.acknowledged = parts.nextRevision - 1n;
    this.recovery = parts.recovery;
    for (const space of parts.spaces) this.spacesByName.set(space.name, space);
  }

  /** @internal open-store.ts attaches the loop and its waiters once they exist. */
  attachLoop(loop: LoopHandle, waiters: StoreWaiters): void {
    this.loop = loop;
    this.waiters = waiters;
  }

  // --- spaces ---

  /** Creates a space, or returns the existing one if it has the same dims and bits. */
  async createSpace(name: string, options: { readonly dims: number; readonly bits: number }): Promise<SpaceInfo> {
    this.checkOpen();
    const spec = parseSpaceSpec(name, options);
    const existing = this.spacesByName.get(spec.name);
    if (decideCreateSpace(existing, spec) === "exists" && existing !== undefined) return spaceInfoOf(existing);
    const spaceId = this.nextSpaceId++;
    const revision = this.nextRevision++;
    // The definition first, in staging; the hot segment's creation after it in ring order, so a
    // hot segment on disk always has a durable definition (store-recovery.ts relies on it).
    this.queue.record(this.files.staging, { type: "space", revision, batchEnd: revision, spaceId, dims: spec.dims, bits: spec.bits, name: spec.name });
    this.stagingRecords++;
    const hot = this.files.createHot(this.queue, spaceId, 1n, this.nextRevision);
    const space: SpaceState = {
      spaceId, name: spec.name, dims: spec.dims, bits: spec.bits, definedAt: revision, listed: false, sealedRevision: 0n,
      blocks: [], tail: new LiveTail(), hot: hot.stream, hotGeneration: 1n, hotFiles: [hot.name], direct: true, staged: [],
      unsealedRecords: 0, unsealedBytes: 0, sealing: null,
    };
    this.spacesByName.set(space.name, space);
    const entry: TailEntry = { end: 0, revision, space: null, settle: null };
    this.undrained.push(entry);
    return this.acknowledge(entry, spaceInfoOf(space));
  }

  spaces(): SpaceInfo[] {
    this.checkOpenSync();
    return [...this.spacesByName.values()].sort((a, b) => a.spaceId - b.spaceId).map(spaceInfoOf);
  }

  // --- writes ---

  /** Resolves with the put's revision once it is acknowledged (per the durability mode). */
  put(space: string, point: Point, value: Uint8Array): Promise<bigint> {
    // Not async: the hot path makes one promise per call. Refusals are rejections all the same.
    try {
      this.checkOpenSync();
      const state = requireSpace(this.spacesByName, space);
      const key = pointToKey(this.core, state, point, this.keyOrd);
      const bytes = checkValue(value);
      this.checkQueueRoom(1);
      const revision = this.nextRevision++;
      return this.acknowledge(this.route(state, key, this.keyOrd.ord, revision, revision, this.values.copy(bytes)), revision);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Resolves with the delete's revision; a delete of an absent point is a tombstone all the same. */
  delete(space: string, point: Point): Promise<bigint> {
    try {
      this.checkOpenSync();
      const state = requireSpace(this.spacesByName, space);
      const key = pointToKey(this.core, state, point, this.keyOrd);
      this.checkQueueRoom(1);
      const revision = this.nextRevision++;
      return this.acknowledge(this.route(state, key, this.keyOrd.ord, revision, revision, null), revision);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Many puts and deletes, across spaces, as one atomic write with consecutive revisions. */
  async write(batch: readonly BatchOp[]): Promise<WriteResult> {
    this.checkOpen();
    if (!Array.isArray(batch) || batch.length === 0) throw new InvalidArgumentError(`write takes a non-empty array of { put, point, value } and { delete, point }; got ${Array.isArray(batch) ? "[]" : String(batch)}`);
    // Every op is checked before any revision is taken: a bad one changes nothing.
    const checked = batch.map((op, i) => this.checkBatchOp(op, i));
    this.checkQueueRoom(checked.length);
    const first = this.nextRevision;
    const last = first + BigInt(checked.length - 1);
    this.nextRevision = last + 1n;
    let entry: TailEntry | null = null;
    let revision = first;
    for (const op of checked) {
      entry = this.route(op.space, op.key, op.ord, revision, last, op.value);
      revision++;
    }
    assert(entry !== null, "a batch has a last record");
    const result: WriteResult = { first, last };
    return this.acknowledge(entry, result);
  }

  /** Puts many points of one space as one atomic write (write() with puts only). */
  putMany(space: string, entries: ReadonlyArray<{ readonly point: Point; readonly value: Uint8Array }>): Promise<WriteResult> {
    if (!Array.isArray(entries) || entries.length === 0) return Promise.reject(new InvalidArgumentError(`putMany takes a non-empty array of { point, value }; got ${Array.isArray(entries) ? "[]" : String(entries)}`));
    return this.write(entries.map((entry) => ({ put: space, point: entry?.point, value: entry?.value })));
  }

  private checkBatchOp(op: BatchOp, i: number): { space: SpaceState; key: bigint; ord: number; value: Uint8Array | null } {
    if (typeof op !== "object" || op === null) throw new InvalidArgumentError(`write: op ${i} must be { put, point, value } or { delete, point }; got ${String(op)}`);
    if ("put" in op) {
      const space = requireSpace(this.spacesByName, op.put);
      const key = pointToKey(this.core, space, op.point, this.keyOrd);
      return { space, key, ord: this.keyOrd.ord, value: this.values.copy(checkValue(op.value)) };
    }
    if ("delete" in op) {
      const space = requireSpace(this.spacesByName, op.delete);
      const key = pointToKey(this.core, space, op.point, this.keyOrd);
      return { space, key, ord: this.keyOrd.ord, value: null };
    }
    throw new InvalidArgumentError(`write: op ${i} has neither put nor delete`);
  }

  /** Queues one put (value) or delete (null) on its space's hot segment, or staging while the space is sealed. */
  private route(space: SpaceState, key: bigint, ord: number, revision: bigint, batchEnd: bigint, value: Uint8Array | null): QueuedRecord {
    const stream = space.direct ? space.hot : this.files.staging;
    const record = new QueuedRecord(key, ord, revision, batchEnd, space.spaceId, value, stream, space);
    this.queue.push(record);
    if (space.direct) {
      this.counts.direct++;
    } else {
      this.stagingRecords++;
      space.staged.push(record);
      this.counts.staged++;
    }
    space.unsealedRecords++;
    space.unsealedBytes += 16 + (value === null ? 0 : value.byteLength);
    this.undrained.push(record);
    if (space.sealing === null && (space.unsealedRecords >= this.options.sealRecords || space.unsealedBytes >= this.options.sealBytes)) {
      // Not awaited: writes never wait for a seal. Its failure fails the store (failBy).
      void this.startSeal(space).catch((error: unknown) => this.failBy(error));
    }
    return record;
  }

  private checkQueueRoom(records: number): void {
    if (this.undrained.length + records > QUEUED_RECORDS_MAX) {
      throw new InvalidArgumentError(`${this.undrained.length} records already wait to be written (at most ${QUEUED_RECORDS_MAX}); wait for some writes to be acknowledged first`);
    }
  }

  // --- acknowledgement ---

  /**
   * Resolves once `entry` (the last revision of a call) is acknowledged by the store's durability
   * mode: one promise per call, settled by publishTails. Flushes at once when enough is queued.
   */
  private acknowledge<T>(entry: TailEntry, value: T): Promise<T> {
    const acknowledged = new Promise<T>((resolve, reject) => {
      entry.settle = { resolve: resolve as (value: unknown) => void, reject, value };
    });
    const queued = this.queue.length;
    if (queued >= EAGER_FLUSH_BUSY_RECORDS || (queued >= EAGER_FLUSH_RECORDS && this.ring.written === this.ring.published)) this.flush();
    else this.scheduleFlush();
    if (this.waiters !== undefined && this.options.durability.kind !== "none") this.waiters.arm();
    return acknowledged;
  }

  /** @internal Resolves with the ring end once everything queued so far is placed in the ring. */
  drained(): Promise<number> {
    // A failed store places nothing more: nothing queued will ever drain.
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.drainWaiters.push({ resolve, reject });
      this.scheduleFlush();
      if (this.waiters !== undefined) this.waiters.arm();
    });
  }

  /** @internal Resolves once everything queued so far is durable, whatever the mode (a seal needs it). */
  async durableNow(): Promise<void> {
    const end = await this.drained();
    if (this.options.durability.kind !== "sync") {
      this.ring.request(RingWord.syncRequests);
      this.loop?.poke(); // the in-process loop sleeps on its own waker, not the ring's word
    }
    await this.waiters.waitOffset("durable", end);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** @internal Places what is queued; called again from check() while the ring is full. */
  flush(): void {
    if (this.failure !== null) {
      for (const waiter of this.drainWaiters.splice(0)) waiter.reject(this.failure);
      return;
    }
    let drained: ReturnType<WriteQueue["flush"]>;
    try {
      drained = this.queue.flush();
    } catch (error) {
      // A bug in placing records must not escape as an uncaught exception from a microtask (a
      // crash of the user's process, or writes that never settle): it fails the store, and every
      // waiting call rejects with it.
      this.failBy(new StoreFailedError(`${this.dir}: placing writes in the ring failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      return;
    }
    this.loop?.poke();
    if (drained === null) return;
    for (const entry of this.undrained) {
      entry.end = drained.end;
      this.unacknowledged.push(entry);
    }
    this.undrained = [];
    // "none" acknowledges a write once it is handed to the loop.
    if (this.options.durability.kind === "none") this.publishTails(drained.end);
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const waiter of waiters) waiter.resolve(drained.end);
  }

  /** @internal StoreWaiters calls this before it settles anything: tails catch up with the watermark. */
  onWatermarks(durable: number, written: number): void {
    this.queue.durableMoved(durable);
    const kind = this.options.durability.kind;
    if (kind === "sync") this.publishTails(durable);
    else if (kind === "interval") this.publishTails(written);
    // A flush that found the ring full waits for the loop to write: this is that moment.
    if (this.queue.length > 0 && !this.flushScheduled) this.scheduleFlush();
  }

  /**
   * Publishes every acknowledged record (ring end <= `end`) into its space's tail, a turn at a
   * time, then settles their calls: a call's continuation runs after every tail has the turn.
   */
  private publishTails(end: number): void {
    const bySpace = new Map<TailOwner, OrderedVersion[]>();
    let through = this.acknowledged;
    const settled: Array<NonNullable<TailEntry["settle"]>> = [];
    for (let entry = this.unacknowledged.peek(); entry !== undefined && entry.end <= end; entry = this.unacknowledged.peek()) {
      this.unacknowledged.shift();
      through = entry.revision;
      if (entry.settle !== null) settled.push(entry.settle);
      if (entry.space === null) continue;
      let list = bySpace.get(entry.space);
      if (list === undefined) bySpace.set(entry.space, (list = []));
      list.push(entry as QueuedRecord);
    }
    if (through === this.acknowledged) return;
    for (const [space, records] of bySpace) space.tail.publish(records);
    this.acknowledged = through;
    for (const settle of settled) settle.resolve(settle.value);
  }

  /** @internal Something waits for the loop's watermarks (StoreWaiters keeps watching the ring while it does). */
  get needsWatermarks(): boolean {
    // Queued items the ring had no room for (a seal's promoted copies, which no call waits on)
    // and internal drain waits need the watermarks too: each move reflushes the queue. Without
    // them the watcher stopped with the ring full, and a seal's promotion of half a million
    // staged records left close() waiting forever (bench, 16 batch writers).
    return this.unacknowledged.size > 0 || this.undrained.length > 0 || this.queue.length > 0 || this.drainWaiters.length > 0;
  }

  // --- reads ---

  /** The newest acknowledged revision: a read at it sees every acknowledged write. */
  snapshot(): { readonly revision: bigint } {
    this.checkOpenSync();
    return { revision: this.acknowledged };
  }

  async get(space: string, point: Point, options: ReadOptions = {}): Promise<Uint8Array | undefined> {
    this.checkOpen();
    const state = requireSpace(this.spacesByName, space);
    const key = pointToKey(this.core, state, point);
    const revision = this.readRevision(options, "get");
    const found = await readKey(this.readView(state), key, revision);
    return found === undefined ? undefined : found.value.slice();
  }

  /**
   * Every live point in the box at the read revision, one version each, in Hilbert order. An
   * async iterator; a bad call rejects its first next(). The scan itself is synchronous (the
   * cold path's reads): each next() is one step of it, with no async generator per result.
   */
  query(space: string, box: { readonly min: Point; readonly max: Point }, options: QueryOptions = {}): AsyncIterableIterator<QueryResult> {
    let results: Generator<{ key: bigint; revision: bigint; value: Uint8Array }, void, undefined> | null = null;
    let decoder: PointDecoder | null = null;
    let finished = false;
    const start = (): void => {
      this.checkOpenSync();
      const state = requireSpace(this.spacesByName, space);
      const checked: CheckedBox = checkBox(state, box);
      const revision = this.readRevision(options, "query", QUERY_OPTION_KEYS);
      const limit = options.limit === undefined ? Number.MAX_SAFE_INTEGER : options.limit;
      if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 0) throw new InvalidArgumentError(`query: limit must be a non-negative integer; got ${String(options.limit)}`);
      decoder = new PointDecoder(this.core, state);
      const estimate = estimateQuery(state, checked);
      results = queryBoxSync(this.core, this.readView(state), checked, revision, limit,
        { rangesMax: rangesFor(state, estimate), decoder, fillCache: fillsCache(estimate, this.options.cacheBytes) });
    };
    const iterator: AsyncIterableIterator<QueryResult> = {
      next: (): Promise<IteratorResult<QueryResult>> => {
        try {
          if (finished) return Promise.resolve({ done: true, value: undefined });
          if (results === null) start();
          this.checkOpenSync();
          const step = (results as NonNullable<typeof results>).next();
          if (step.done === true) {
            finished = true;
            return Promise.resolve({ done: true, value: undefined });
          }
          const found = step.value;
          return Promise.resolve({ done: false, value: { point: (decoder as PointDecoder).pointOf(found.key), value: found.value.slice(), revision: found.revision } });
        } catch (error) {
          finished = true;
          results?.return();
          return Promise.reject(error);
        }
      },
      return: (): Promise<IteratorResult<QueryResult>> => {
        finished = true;
        results?.return();
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  private readRevision(options: ReadOptions, what: string, keys: readonly string[] = READ_OPTION_KEYS): bigint {
    if (typeof options !== "object" || options === null || Array.isArray(options)) throw new InvalidArgumentError(`${what}: options must be an object; got ${String(options)}`);
    const unknown = Object.keys(options).filter((key) => !keys.includes(key));
    if (unknown.length > 0) throw new InvalidArgumentError(`${what}: unknown option${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; the options are ${keys.join(", ")}`);
    // Absent means the newest; null is a mistake, not "absent".
    const revision = options.revision === undefined ? this.acknowledged : options.revision;
    if (typeof revision !== "bigint" || revision < 0n) throw new InvalidArgumentError(`${what}: revision must be a non-negative bigint; got ${String(revision)}`);
    if (revision > this.acknowledged) throw new InvalidArgumentError(`${what}: revision ${revision} is not acknowledged yet (the newest is ${this.acknowledged})`);
    return revision;
  }

  /** @internal What a read of `space` sees now: blocks and tail, fixed for the read's life. */
  readView(space: SpaceState): Parameters<typeof readKey>[0] {
    return { spaceId: space.spaceId, dims: space.dims, bits: space.bits, blocks: space.blocks, tail: space.tail.view() };
  }

  // --- seal ---

  /** Seals the space's unsealed records into blocks now (as the thresholds would). */
  async seal(space: string): Promise<SealResult> {
    this.checkOpen();
    const state = requireSpace(this.spacesByName, space);
    return this.startSeal(state);
  }

  private startSeal(space: SpaceState): Promise<SealResult> {
    // One seal per space at a time: a seal asked for during one runs after it. `sealing` is the
    // chain's newest link, so close() waits for every seal asked for before it.
    const before = space.sealing;
    const sealing: Promise<SealResult> = (before === null ? sealSpace(this, space) : before.catch(() => undefined).then(() => sealSpace(this, space)))
      .catch((error: unknown) => {
        // A seal that fails leaves the space's routing and tail mid-way: the store fails with it
        // (its cause kept), and a reopen recovers from what is on disk.
        this.failBy(error);
        throw error;
      })
      .finally(() => {
        if (space.sealing === sealing) space.sealing = null;
      });
    space.sealing = sealing;
    return sealing;
  }

  /** @internal Revision bookkeeping for store-seal.ts. */
  get acknowledgedRevision(): bigint {
    return this.acknowledged;
  }

  /** @internal */
  allSpaces(): SpaceState[] {
    return [...this.spacesByName.values()];
  }

  /** @internal The next revision, for headers of files created now. */
  get nextRevisionValue(): bigint {
    return this.nextRevision;
  }

  // --- stats and close ---

  stats(): StoreStats {
    this.checkOpenSync();
    const { cache, files } = this.blockShared;
    let blocks = 0;
    let tailRecords = 0;
    for (const space of this.spacesByName.values()) {
      blocks += space.blocks.length;
      tailRecords += space.tail.recordCount;
    }
    return {
      revision: this.acknowledged,
      spaces: this.spacesByName.size,
      records: { direct: this.counts.direct, staged: this.counts.staged, promoted: this.counts.promoted },
      seals: this.counts.seals,
      blocks,
      tailRecords,
      manifestGeneration: this.manifest.generation,
      recovery: this.recovery,
      durability: this.options.durability,
      ioThread: this.options.ioThread,
      cache: { bytes: cache.heldBytes, budgetBytes: cache.budgetBytes, hits: cache.hits, misses: cache.misses },
      blockFiles: { open: files.openCount, openMax: files.openMax, opens: files.opens },
    };
  }

  /** Waits for every write to be durable, closes every file, releases the LOCK. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.state = "closing";
    this.closing = this.closeNow().finally(() => {
      this.state = "closed";
    });
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    let error: unknown = null;
    try {
      for (const space of this.spacesByName.values()) if (space.sealing !== null) await space.sealing.catch(() => undefined);
      if (this.failure === null) {
        await this.drained();
        this.ring.setState(RingState.CloseRequested);
        this.loop?.poke();
        await this.waiters.waitClosed();
      }
    } catch (caught) {
      error = caught;
    }
    // A store that failed on this side (a seal, a placement) may have a loop still running:
    // failing the ring stops it, or an in-process loop's `done` never settled and close() hung.
    if (this.failure !== null && this.ring.state !== RingState.Failed && this.ring.state !== RingState.Closed) {
      this.ring.fail(FailureKind.LoopStopped, 0);
      this.loop?.poke();
    }
    await this.loop?.terminate();
    await this.loop?.done;
    this.release();
    if (error !== null && this.failure === null) throw error;
  }

  /** @internal Frees everything without any I/O: after a close, or a simulated crash. */
  release(): void {
    // Memory first, which cannot fail; then the I/O, which can (after a crash, or a failed open),
    // each step on its own so one failure leaks nothing else.
    this.ring.detach();
    for (const region of this.regions.splice(0)) this.core.releaseRegion(region);
    const steps: Array<() => void> = [
      ...[...this.spacesByName.values()].flatMap((space) => space.blocks.map((block) => () => block.reader.close())),
      () => this.lock.release(),
      () => this.coldIo.dispose(),
    ];
    let first: unknown = null;
    for (const step of steps) {
      try {
        step();
      } catch (error) {
        first ??= error;
      }
    }
    if (first !== null) throw first;
  }

  /**
   * @internal For the simulator: the process this store lived in died (a simulated crash).
   * Rejects every waiter and releases its memory, with no I/O at all, so the disk stays as the
   * crash left it (no close, no LOCK release: the next process finds the LOCK of a dead one).
   */
  abandonAfterCrash(error: Error): void {
    if (this.closing !== null) return;
    this.state = "closed";
    this.closing = Promise.resolve();
    this.failBy(error);
    if (this.ring.state !== RingState.Failed && this.ring.state !== RingState.Closed) this.ring.fail(FailureKind.LoopStopped, 0);
    this.waiters.check();
    this.ring.detach();
    for (const region of this.regions.splice(0)) this.core.releaseRegion(region);
  }

  /** @internal The first failure recorded (null while the store works). */
  get firstFailure(): Error | null {
    return this.failure;
  }

  /** @internal The loop or a seal failed: every call from now on is refused with the cause. */
  failBy(error: unknown): void {
    if (this.failure !== null) return;
    // The first failure as it is (a DiskFullError stays one for the writes it failed); later
    // calls get a StoreFailedError with it as the cause (checkOpenSync).
    this.failure = error instanceof Error ? error
      : new StoreFailedError(`${this.dir}: the store failed: ${String(error)}`, { cause: error });
    for (const waiter of this.drainWaiters.splice(0)) waiter.reject(this.failure);
    const failure = this.failure;
    for (const entry of this.undrained.splice(0)) entry.settle?.reject(failure);
    for (const entry of this.unacknowledged.drain()) entry.settle?.reject(failure);
  }

  private checkOpenSync(): void {
    if (this.state !== "open") throw new ClosedError(`${this.dir}: the store is closed`);
    const failure = this.failure ?? this.waiters.failed;
    if (failure !== null) throw failure instanceof StoreFailedError ? failure : new StoreFailedError(`${this.dir}: the store failed earlier and refuses further calls: ${failure.message}`, { cause: failure });
  }

  /** Inside an async method, so a refusal is a rejected promise. */
  private checkOpen(): void {
    this.checkOpenSync();
  }
}
