// Radix sort wrappers (core: assembly/radix-sort.ts): (key u64, revision u64, index u32) tuples,
// sorted by (key, revision) ascending, stably: tuples with equal (key, revision) keep their input
// order, whatever their index.
//
// ╒══════════════════════ Tuple layout (24 bytes) ══════════════════════╕
//   0               8               16      20      24  byte offset
// ├───────────────┼───────────────┼───────┼───────┤
// │   key u64 LE  │ revision u64  │ index │  pad  │
// │               │      LE       │ u32 LE│       │
// └───────────────┴───────────────┴───────┴───────┘
// The padding travels with its tuple; writeSortTuple zeroes it.
//
// Two entry points: sortTuplesAt sorts tuples already in the core's memory (the hot path: Hilbert
// keys are written there by the core); sortTupleArray copies plain objects in and new objects out.
// The scratch space (sortScratchSize(count) bytes: a histogram, a second copy of the tuples and a
// stack of pending ranges, count / 17 entries of 16 bytes) comes from the region allocator once and
// is reused by every later sort that fits in it.
import { assert } from "../assert.js";
import { InvalidArgumentError } from "../errors.js";
import { type CoreContext, requireExport } from "./core-context.js";
import { type Ptr } from "./pointer.js";
import { type Region } from "./region-allocator.js";

export const SORT_TUPLE_SIZE = 24;
export const SORT_TUPLE_KEY_OFFSET = 0;
export const SORT_TUPLE_REVISION_OFFSET = 8;
export const SORT_TUPLE_INDEX_OFFSET = 16;
export const SORT_TUPLE_PAD_OFFSET = 20;
// The offsets tile the tuple with no gap, as in the core (STYLE habit 5).
assert(SORT_TUPLE_REVISION_OFFSET === SORT_TUPLE_KEY_OFFSET + 8, "revision follows the u64 key");
assert(SORT_TUPLE_INDEX_OFFSET === SORT_TUPLE_REVISION_OFFSET + 8, "index follows the u64 revision");
assert(SORT_TUPLE_PAD_OFFSET === SORT_TUPLE_INDEX_OFFSET + 4, "padding follows the u32 index");
assert(SORT_TUPLE_SIZE === SORT_TUPLE_PAD_OFFSET + 4, "four bytes of padding end the tuple");

// The core's return codes (assembly/radix-sort.ts).
const SORT_OK = 0;
const SORT_SCRATCH_TOO_SMALL = -1;
const SORT_COUNT_TOO_LARGE = -2;
const SORT_REGIONS_OVERLAP = -3;

const U64_MAX = (1n << 64n) - 1n;

export interface SortTuple {
  readonly key: bigint;
  readonly revision: bigint;
  readonly index: number;
}

type SortFn = (tuples: number, count: number, scratch: number, scratchSize: number) => number;
type CountFn = (count: number) => number;
type LimitFn = () => number;

export interface SortExports {
  sortTuples: SortFn;
  sortScratchSize: CountFn;
  sortTuplesMax: LimitFn;
  /** The largest range sorted by insertion alone, without a split. */
  sortLeafTuplesMax: LimitFn;
  sortCachedTuplesMax: LimitFn;
}

export function bindSortExports(exports: WebAssembly.Exports): SortExports {
  return {
    sortTuples: requireExport<SortFn>(exports, "sortTuples"),
    sortScratchSize: requireExport<CountFn>(exports, "sortScratchSize"),
    sortTuplesMax: requireExport<LimitFn>(exports, "sortTuplesMax"),
    sortLeafTuplesMax: requireExport<LimitFn>(exports, "sortLeafTuplesMax"),
    sortCachedTuplesMax: requireExport<LimitFn>(exports, "sortCachedTuplesMax"),
  };
}

/** The scratch region one Core reuses for every sort; it grows to the largest sort so far. */
export class SortScratch {
  private region: Region | null = null;

  constructor(private readonly ctx: CoreContext) {}

  regionFor(sizeBytes: number): Region {
    assert(Number.isSafeInteger(sizeBytes) && sizeBytes > 0, "sort scratch size must be a positive integer");
    if (this.region === null || this.region.sizeBytes < sizeBytes) {
      if (this.region !== null) this.ctx.regions.release(this.region);
      this.region = null; // allocate may throw OutOfMemoryError: never keep a released region
      this.region = this.ctx.regions.allocate(sizeBytes);
    }
    return this.region;
  }
}

function checkSortCount(fns: SortExports, count: number): void {
  const countMax = fns.sortTuplesMax() >>> 0;
  if (!Number.isSafeInteger(count) || count < 0 || count > countMax) {
    throw new InvalidArgumentError(`a sort takes 0..${countMax} tuples; got ${count}`);
  }
}

/** Sorts `count` tuples at `tuples` in place (see the layout above). */
export function sortTuplesAt(ctx: CoreContext, fns: SortExports, scratch: SortScratch, tuples: Ptr, count: number): void {
  checkSortCount(fns, count);
  assert(tuples + count * SORT_TUPLE_SIZE <= ctx.memory.buffer.byteLength, "tuples lie outside the core memory");
  const region = scratch.regionFor(fns.sortScratchSize(count) >>> 0);
  const code = fns.sortTuples(tuples, count, region.ptr, region.sizeBytes);
  if (code === SORT_REGIONS_OVERLAP) throw new InvalidArgumentError("the tuples overlap the sort's scratch region");
  assert(code !== SORT_SCRATCH_TOO_SMALL, "sortScratchSize disagrees with sortTuples");
  assert(code !== SORT_COUNT_TOO_LARGE, "sortTuplesMax disagrees with sortTuples");
  assert(code === SORT_OK, `sortTuples returned an unknown code ${code}`);
}

export function checkSortTuple(tuple: SortTuple, position: number): void {
  const { key, revision, index } = tuple;
  if (typeof key !== "bigint" || key < 0n || key > U64_MAX) {
    throw new InvalidArgumentError(`tuple ${position}: a key is a u64 bigint; got ${String(key)}`);
  }
  if (typeof revision !== "bigint" || revision < 0n || revision > U64_MAX) {
    throw new InvalidArgumentError(`tuple ${position}: a revision is a u64 bigint; got ${String(revision)}`);
  }
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) {
    throw new InvalidArgumentError(`tuple ${position}: an index is a u32; got ${index}`);
  }
}

/** Writes one tuple at byte `offset` of `view`, padding zeroed. */
export function writeSortTuple(view: DataView, offset: number, tuple: SortTuple): void {
  view.setBigUint64(offset + SORT_TUPLE_KEY_OFFSET, tuple.key, true);
  view.setBigUint64(offset + SORT_TUPLE_REVISION_OFFSET, tuple.revision, true);
  view.setUint32(offset + SORT_TUPLE_INDEX_OFFSET, tuple.index, true);
  view.setUint32(offset + SORT_TUPLE_PAD_OFFSET, 0, true);
}

export function readSortTuple(view: DataView, offset: number): SortTuple {
  return {
    key: view.getBigUint64(offset + SORT_TUPLE_KEY_OFFSET, true),
    revision: view.getBigUint64(offset + SORT_TUPLE_REVISION_OFFSET, true),
    index: view.getUint32(offset + SORT_TUPLE_INDEX_OFFSET, true),
  };
}

/** Sorts copies of `tuples` and returns them as new objects; the input array is not changed. */
export function sortTupleArray(ctx: CoreContext, fns: SortExports, scratch: SortScratch,
  tuples: readonly SortTuple[]): SortTuple[] {
  const count = tuples.length;
  checkSortCount(fns, count);
  tuples.forEach(checkSortTuple);
  const bytes = count * SORT_TUPLE_SIZE;
  const region = ctx.input(bytes);
  let view = ctx.dataView(region.ptr, bytes);
  tuples.forEach((tuple, i) => writeSortTuple(view, i * SORT_TUPLE_SIZE, tuple));
  sortTuplesAt(ctx, fns, scratch, region.ptr, count);
  view = ctx.dataView(region.ptr, bytes); // the scratch allocation may have grown the memory
  const out: SortTuple[] = new Array<SortTuple>(count);
  for (let i = 0; i < count; i++) out[i] = readSortTuple(view, i * SORT_TUPLE_SIZE);
  return out;
}
