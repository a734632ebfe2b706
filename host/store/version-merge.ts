// Resolving versions across sources: the blocks whose key range overlaps a query, and the live
// tail, each give the records of one key range sorted by (key, revision). The merge gives, in key
// order, one record per key: the newest with revision <= R across all sources, unless that is a
// tombstone (a delete hides every older version, in every source), and only if the caller's exact
// filter keeps the key (Hilbert ranges cover a superset of the box: hilbert-ranges.ts).
//
// A k-way merge over a heap of one cursor per source (cursor-heap.ts): O(log k) per record read,
// and memory is one current record per source whatever the range's size.
//
// Two variants over one resolver. `mergeVersions` is async, because a block source reads its
// chunks asynchronously; it awaits only sources that are async iterables, so the live tail and
// decoded in-memory chunks cost no promise per record. `mergeVersionsSync` is the same merge for
// sync sources only (a `get` on the tail and cached blocks, tests), where awaiting would only add
// a microtask per result.
import { assert, constants } from "../assert.js";
import { CursorHeap, type HeapCursor } from "./cursor-heap.js";
import { assertVersionRecord, compareVersions, isVersionRecord, type VersionRecord } from "./version-record.js";

export interface VersionMergeOptions {
  /** The read revision R: versions above it are ignored. */
  readonly atRevision: bigint;
  /** The exact filter: a key the ranges hold but the box does not is dropped. Default: keep all. */
  readonly keep?: (key: bigint) => boolean;
}

export type VersionSource = Iterable<VersionRecord> | AsyncIterable<VersionRecord>;
export type SyncVersionSource = Iterable<VersionRecord>;

interface SourceCursor extends HeapCursor {
  readonly sync: Iterator<VersionRecord> | undefined;
  readonly async: AsyncIterator<VersionRecord> | undefined;
}

/** The merge's state: the heap, and the key being resolved with its newest version <= R so far. */
class VersionResolver {
  readonly heap = new CursorHeap<SourceCursor>();
  private readonly atRevision: bigint;
  private readonly keep: (key: bigint) => boolean;

  constructor(options: VersionMergeOptions) {
    assert(options.atRevision >= 0n, "a read revision is >= 0");
    this.atRevision = options.atRevision;
    this.keep = options.keep ?? (() => true);
  }

  /**
   * Takes the cursor's next record (or its end). Sources must be sorted: each record is after
   * the one before it from the same source, which a cheap compare checks on every record.
   */
  advance(cursor: SourceCursor, result: IteratorResult<VersionRecord>, isFirst: boolean): void {
    if (result.done === true) {
      if (!isFirst) assert(this.heap.pop() === cursor, "the advanced cursor was the heap's top");
      return;
    }
    const record = result.value;
    // Per record, so the messages are built only when a check fails (a template here would
    // format two bigints per record).
    if (!isVersionRecord(record)) assertVersionRecord(record, `source ${cursor.order}`);
    if (isFirst) {
      cursor.record = record;
      this.heap.push(cursor);
      return;
    }
    if (!(compareVersions(cursor.record, record) < 0)) {
      assert(false, `source ${cursor.order} is sorted by (key, revision): (${record.key}, ${record.revision}) follows (${cursor.record.key}, ${cursor.record.revision})`);
    }
    cursor.record = record;
    this.heap.siftDownTop();
  }

  /** The key group's winner: the newest version <= R, or undefined. Folds the top cursor's record. */
  fold(newest: VersionRecord | undefined, record: VersionRecord): VersionRecord | undefined {
    if (record.revision > this.atRevision) return newest;
    if (newest === undefined || record.revision > newest.revision) return record;
    if (record.revision === newest.revision) {
      // Two sources may hold the same version (a block just installed, the tail not yet dropped):
      // it must be the same record.
      assert((record.value === null) === (newest.value === null), `revision ${record.revision} of key ${record.key} is one version`);
      if (constants.verify && record.value !== null && newest.value !== null) {
        assert(bytesEqual(record.value, newest.value), `revision ${record.revision} of key ${record.key} has one value`);
      }
    }
    return newest;
  }

  /** What the merge emits for a key group: the winner, unless it is a tombstone or outside the box. */
  emit(newest: VersionRecord | undefined): VersionRecord | undefined {
    if (newest === undefined || newest.value === null) return undefined;
    return this.keep(newest.key) ? newest : undefined;
  }
}

function sourceCursor(source: VersionSource, order: number): SourceCursor {
  const placeholder: VersionRecord = { key: 0n, revision: 1n, value: null };
  if (Symbol.iterator in source) return { record: placeholder, order, sync: source[Symbol.iterator](), async: undefined };
  return { record: placeholder, order, sync: undefined, async: source[Symbol.asyncIterator]() };
}

/** The merge of sources that may read asynchronously; see the header. */
export async function* mergeVersions(sources: readonly VersionSource[],
  options: VersionMergeOptions): AsyncGenerator<VersionRecord, void, undefined> {
  const resolver = new VersionResolver(options);
  const heap = resolver.heap;
  const cursors = sources.map(sourceCursor);
  try {
    for (const cursor of cursors) resolver.advance(cursor, await nextOf(cursor), true);
    for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
      const key = top.record.key;
      let newest: VersionRecord | undefined;
      while (top !== undefined && top.record.key === key) {
        newest = resolver.fold(newest, top.record);
        // A sync source's next() is called directly: no promise, no microtask.
        const result = top.sync !== undefined ? top.sync.next() : await nextOf(top);
        resolver.advance(top, result, false);
        top = heap.peek();
      }
      const out = resolver.emit(newest);
      if (out !== undefined) yield out;
    }
  } finally {
    // A consumer that stops early (a query's limit) closes every source: a block source may hold
    // a file read. An exhausted iterator ignores return().
    for (const cursor of cursors) {
      cursor.sync?.return?.();
      await cursor.async?.return?.();
    }
  }
}

/** The same merge for sync sources only. */
export function* mergeVersionsSync(sources: readonly SyncVersionSource[],
  options: VersionMergeOptions): Generator<VersionRecord, void, undefined> {
  const resolver = new VersionResolver(options);
  const heap = resolver.heap;
  const cursors = sources.map(sourceCursor);
  try {
    for (const cursor of cursors) resolver.advance(cursor, syncNextOf(cursor), true);
    for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
      const key = top.record.key;
      let newest: VersionRecord | undefined;
      while (top !== undefined && top.record.key === key) {
        newest = resolver.fold(newest, top.record);
        resolver.advance(top, syncNextOf(top), false);
        top = heap.peek();
      }
      const out = resolver.emit(newest);
      if (out !== undefined) yield out;
    }
  } finally {
    for (const cursor of cursors) cursor.sync?.return?.();
  }
}

function syncNextOf(cursor: SourceCursor): IteratorResult<VersionRecord> {
  assert(cursor.sync !== undefined, "mergeVersionsSync takes sync sources only");
  return cursor.sync.next();
}

function nextOf(cursor: SourceCursor): Promise<IteratorResult<VersionRecord>> | IteratorResult<VersionRecord> {
  if (cursor.sync !== undefined) return cursor.sync.next();
  assert(cursor.async !== undefined, "a cursor has a sync or an async iterator");
  return cursor.async.next();
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let at = 0; at < a.byteLength; at++) if (a[at] !== b[at]) return false;
  return true;
}
