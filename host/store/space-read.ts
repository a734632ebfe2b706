// The store's read path over sources already open (docs/store-design.md "Reads"): one key, or every
// point of a box, at a read revision, from a space's sealed blocks and its live tail.
//
// A read takes a SpaceReadView when it starts and reads only it. The tail view is immutable
// (live-tail.ts) and the block list is the caller's snapshot, so a publish, a drop or a seal during
// the read changes nothing the read sees; the view must list every block that holds records the
// tail view no longer has (the store builds both from one state).
//
// queryBox, step by step:
// 1. The box becomes the core's Hilbert key ranges: sorted, disjoint, never adjacent, a superset
//    of the box when its exact cover needs more than rangesMax ranges (hilbert-ranges.ts).
// 2. Per range, in key order: the sources are the tail view's range (already resolved at the read
//    revision) and each block whose key range meets it and whose oldest record is at or below the
//    read revision, read chunk by chunk (block-reader.ts). mergeVersions gives one record per key:
//    the newest at or below the read revision, tombstones hidden, and the exact box filter drops
//    the cells the ranges added. Versions above the read revision are skipped by the merge itself.
// 3. The ranges increase, so the output is in key order with no sort; it streams, and stops at
//    `limit`, closing every source (the merge's finally).
// Memory: the ranges (at most rangesMax pairs), one tail cursor per run, and one verified chunk
// per block source of the current range. Nothing scales with the answer's size. Chunks read go
// into the store's chunk cache (chunk-cache.ts, bounded by its budget) unless the caller says the
// scan is too large to fill it (fillCache), and then each reader keeps its last few.
//
// The store asks for fewer ranges for small boxes (store.ts rangesFor) and passes a PointDecoder,
// so a result that passed the exact filter is not decoded twice.
//
// Why rangesMax 256 (the core's default): each range costs a fixed amount whatever it holds, a
// search in each tail run plus, per block it meets, a binary search of the index and at least
// one chunk lookup. A chunk holds up to 64 records, so ranges finer than a chunk's key span meet
// the same chunk again, once per range (served from memory: the cache or the reader's last few
// chunks). Fewer ranges widen the
// superset instead, and every added cell that holds a point costs one hilbertPoint in the filter.
// Measured with this core (2 dims, bits 16, a 1000 x 1000 box at (1000, 1003); at (12345, 12348)
// in brackets): the exact cover is 846 (947) ranges; 16 ranges add 12.8% (17.6%) to the box's
// cells, 64 add 2.7% (6.4%), 256 add 0.3% (0.6%). Past 256 the filter has almost nothing left to
// drop, while the per-range cost keeps growing.
//
// Corruption in a block is the BlockReader's CorruptionError, thrown from the query's next() (or
// rejecting readKey) after only results of chunks that verified: never a wrong or short answer
// in silence.
import { assert } from "../assert.js";
import { type Core } from "../core/index.js";
import { type BlockReader } from "./block-reader.js";
import { type CheckedBox } from "./box.js";
import { type LiveTailView } from "./live-tail.js";
import { PointDecoder } from "./point-decoder.js";
import { type ManifestBlock } from "./manifest-format.js";
import { type SyncVersionSource, type VersionMergeOptions, mergeVersionsSync } from "./version-merge.js";
import { type VersionRecord } from "./version-record.js";

/** The Hilbert key ranges a box query asks the core for; see the header for why 256. */
export const QUERY_RANGES_MAX = 256;

/** What one read of one space sees: fixed when the read starts (a seal or publish during the read changes nothing it reads). */
export interface SpaceReadView {
  readonly spaceId: number;
  readonly dims: number;
  readonly bits: number;
  /** The space's sealed blocks, opened (BlockReader), with their manifest entries (key and revision ranges). */
  readonly blocks: readonly { readonly entry: ManifestBlock; readonly reader: BlockReader }[];
  readonly tail: LiveTailView;
}

/** A live version of a point: never a tombstone. */
export interface PointVersion {
  readonly key: bigint;
  readonly revision: bigint;
  readonly value: Uint8Array;
}

export interface QueryBoxOptions {
  /** The ranges asked of the core (1..16384); default QUERY_RANGES_MAX. Tests lower it to force a superset. */
  readonly rangesMax?: number;
  /** Decodes keys for the exact filter; the caller may reuse it for the results' points (the last key decoded is kept). */
  readonly decoder?: PointDecoder;
  /**
   * Whether the chunks read go into the store's chunk cache (default true). A large scan passes
   * false, so it does not push out what small reads keep using (LevelDB's fill_cache); its
   * neighbouring ranges still share each reader's last few chunks.
   */
  readonly fillCache?: boolean;
}

/** A record that is not a tombstone is a PointVersion as it is: no copy per result. */
function isLive(record: VersionRecord): record is VersionRecord & PointVersion {
  return record.value !== null;
}

/** The cheap checks of a view, O(blocks): each block is this space's, and the reader is the entry's. */
function assertReadView(view: SpaceReadView): void {
  assert(Number.isInteger(view.dims) && view.dims >= 1, "a space has at least one dim");
  assert(Number.isInteger(view.bits) && view.bits >= 1, "a space has at least one bit per axis");
  assert(view.dims * view.bits <= 64, "dims x bits <= 64: a key is a u64");
  for (const { entry, reader } of view.blocks) {
    assert(entry.spaceId === view.spaceId, `block ${entry.blockId} is of space ${entry.spaceId}, not ${view.spaceId}`);
    assert(reader.index.blockId === entry.blockId, `the reader of block ${entry.blockId} is that block's`);
  }
}

function keyMaxOf(view: SpaceReadView): bigint {
  return (1n << BigInt(view.dims * view.bits)) - 1n;
}

/** The newest version of `key` at or below `revision`, or undefined if none or it is a tombstone. */
export async function readKey(view: SpaceReadView, key: bigint, revision: bigint): Promise<PointVersion | undefined> {
  assertReadView(view);
  assert(key >= 0n && key <= keyMaxOf(view), `the key ${key} is a key of the space`);
  assert(revision >= 0n, "a read revision is >= 0");
  let best: VersionRecord | undefined = view.tail.get(key, revision);
  // A block can give no version above min(revisionMax, revision): its cap. Newest cap first, the
  // search stops at the first block whose cap is at or below the best found, since neither it
  // nor any block after it holds a newer version (an equal revision is the same version, held
  // twice while a seal installs a block before the tail drops it).
  const candidates = view.blocks
    .filter(({ entry }) => entry.keyMin <= key && key <= entry.keyMax && entry.revisionMin <= revision)
    .map(({ entry, reader }) => ({ reader, cap: entry.revisionMax < revision ? entry.revisionMax : revision }))
    .sort((a, b) => (a.cap === b.cap ? 0 : a.cap > b.cap ? -1 : 1));
  for (const { reader, cap } of candidates) {
    if (best !== undefined && cap <= best.revision) break;
    const found = await newestInBlock(reader, key, revision);
    if (found !== undefined && (best === undefined || found.revision > best.revision)) best = found;
  }
  return best !== undefined && isLive(best) ? best : undefined;
}

/** The block's newest version of `key` at or below `revision`, tombstones included. */
async function newestInBlock(reader: BlockReader, key: bigint, revision: bigint): Promise<VersionRecord | undefined> {
  let newest: VersionRecord | undefined;
  // records(key, key) yields the key's versions by increasing revision: the last at or below the
  // read revision is the newest. Stopping early closes the generator; no further chunk is read.
  for await (const record of reader.records(key, key)) {
    if (record.revision > revision) break;
    newest = record;
  }
  return newest;
}

/**
 * Every live point in the box at `revision`, one version per point, in Hilbert key order, at most
 * `limit`: queryBoxSync as an async iterator (every read is the cold path's synchronous readAt,
 * so the two are one scan).
 */
export async function* queryBox(core: Core, view: SpaceReadView, box: CheckedBox, revision: bigint, limit: number,
  options: QueryBoxOptions = {}): AsyncGenerator<PointVersion, void, undefined> {
  yield* queryBoxSync(core, view, box, revision, limit, options);
}

/** The sync sources of one key range (every read is the cold path's synchronous readAt). */
function rangeSourcesSync(view: SpaceReadView, keyFrom: bigint, keyTo: bigint, revision: bigint, fillCache: boolean): SyncVersionSource[] {
  const sources: SyncVersionSource[] = [view.tail.range(keyFrom, keyTo, revision)];
  for (const { entry, reader } of view.blocks) {
    if (entry.keyMax < keyFrom || entry.keyMin > keyTo) continue;
    if (entry.revisionMin > revision) continue;
    sources.push(reader.recordsSync(keyFrom, keyTo, fillCache));
  }
  return sources;
}

/**
 * queryBox as a sync generator: the same results in the same order, with no promise per record.
 * The store's query iterator pulls from it (a query is cold-path reads and CPU, nothing to await).
 */
export function* queryBoxSync(core: Core, view: SpaceReadView, box: CheckedBox, revision: bigint, limit: number,
  options: QueryBoxOptions = {}): Generator<PointVersion, void, undefined> {
  assertReadView(view);
  assert(box.min.length === view.dims && box.max.length === view.dims, "the box is checked against this space");
  assert(revision >= 0n, "a read revision is >= 0");
  assert(Number.isSafeInteger(limit) && limit >= 0, "a query's limit is a non-negative integer");
  if (limit === 0) return;
  const { ranges, exact } = core.hilbertRanges(view.dims, view.bits, box, { rangesMax: options.rangesMax ?? QUERY_RANGES_MAX });
  const decoder = options.decoder ?? new PointDecoder(core, view);
  const mergeOptions: VersionMergeOptions = exact ? { atRevision: revision } : { atRevision: revision, keep: decoder.boxFilter(box) };
  let count = 0;
  let previousKey = -1n;
  for (const [keyFrom, keyTo] of ranges) {
    for (const record of mergeVersionsSync(rangeSourcesSync(view, keyFrom, keyTo, revision, options.fillCache ?? true), mergeOptions)) {
      assert(isLive(record), "the merge hides tombstones");
      assert(record.key >= keyFrom && record.key <= keyTo, "a result lies in its range");
      assert(record.key > previousKey, "a query's keys increase");
      previousKey = record.key;
      yield record;
      count += 1;
      if (count === limit) return;
    }
  }
}
