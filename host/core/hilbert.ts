// Hilbert key wrappers (DESIGN section 4): one point to its key and back, and the batch hot path
// over regions the host assigns. The curve is Skilling's (see assembly/hilbert.ts).
import { assert } from "../assert.js";
import { CoordinateOutOfRangeError, DimensionsOutOfRangeError } from "../errors.js";
import { type CoreContext, requireExport } from "./core-context.js";
import { HilbertCode, checkPoint, checkSpace, hilbertCodeError } from "./hilbert-space.js";
import { type Ptr } from "./pointer.js";

type KeyCheckedFn = (dims: number, bits: number, coords: number, outKey: number) => number;
type PointCheckedFn = (dims: number, bits: number, key: bigint, outCoords: number) => number;
type KeysBatchFn = (dims: number, bits: number, coords: number, count: number, outKeys: number, outKeyStride: number) => number;
type RangesCheckedFn = (dims: number, bits: number, boxMin: number, boxMax: number, rangesMax: number,
  outRanges: number, outCubeSideLog2: number, work: number, workSize: number) => number;

export interface HilbertExports {
  hilbertKeyChecked: KeyCheckedFn;
  hilbertPointChecked: PointCheckedFn;
  hilbertKeysBatch: KeysBatchFn;
  hilbertBatchFailedIndex: () => number;
  hilbertRangesChecked: RangesCheckedFn;
  hilbertRangesWorkSize: (dims: number, rangesMax: number) => number;
}

export function bindHilbertExports(exports: WebAssembly.Exports): HilbertExports {
  return {
    hilbertKeyChecked: requireExport<KeyCheckedFn>(exports, "hilbertKeyChecked"),
    hilbertPointChecked: requireExport<PointCheckedFn>(exports, "hilbertPointChecked"),
    hilbertKeysBatch: requireExport<KeysBatchFn>(exports, "hilbertKeysBatch"),
    hilbertBatchFailedIndex: requireExport<() => number>(exports, "hilbertBatchFailedIndex"),
    hilbertRangesChecked: requireExport<RangesCheckedFn>(exports, "hilbertRangesChecked"),
    hilbertRangesWorkSize: requireExport<(dims: number, rangesMax: number) => number>(exports, "hilbertRangesWorkSize"),
  };
}

/** Batch coordinates are u32, so the batch takes bits <= 32. */
export const HILBERT_BATCH_BITS_MAX = 32;

/** The key of one point. The point goes to the input region: dims u64, then the key's u64. */
export function hilbertKey(ctx: CoreContext, fns: HilbertExports, dims: number, bits: number,
  point: ArrayLike<number | bigint>): bigint {
  checkSpace(dims, bits);
  const coordinates = checkPoint(dims, bits, point);
  const region = ctx.input(dims * 8 + 8);
  const view = ctx.dataView(region.ptr, dims * 8 + 8);
  coordinates.forEach((coordinate, axis) => view.setBigUint64(axis * 8, coordinate, true));
  const code = fns.hilbertKeyChecked(dims, bits, region.ptr, region.ptr + dims * 8);
  if (code !== HilbertCode.ok) throw hilbertCodeError(code, "hilbertKey");
  const key = view.getBigUint64(dims * 8, true);
  assert(key < 1n << BigInt(dims * bits), "the core returned a key outside the space");
  return key;
}

/**
 * The key of one point whose coordinates the caller has checked: numbers in [0, 2^bits) with
 * bits <= 32 (the store's hot path: no bigint per coordinate). The core checks them again.
 */
export function hilbertKeyOfNumbers(ctx: CoreContext, fns: HilbertExports, dims: number, bits: number, point: ArrayLike<number>,
  ord?: { ord: number }): bigint {
  const region = ctx.input(dims * 8 + 8);
  const view = ctx.dataView(region.ptr, dims * 8 + 8);
  for (let axis = 0; axis < dims; axis++) {
    view.setUint32(axis * 8, point[axis] as number, true);
    view.setUint32(axis * 8 + 4, 0, true);
  }
  const code = fns.hilbertKeyChecked(dims, bits, region.ptr, region.ptr + dims * 8);
  if (code !== HilbertCode.ok) throw hilbertCodeError(code, "hilbertKey");
  // floor(key / 2^12) from the key's two halves, exact below 2^52: its order as a number.
  if (ord !== undefined) ord.ord = view.getUint32(dims * 8 + 4, true) * 1048576 + (view.getUint32(dims * 8, true) >>> 12);
  return view.getBigUint64(dims * 8, true);
}

/**
 * The point of one key, as bigints (for every bits, so the type never depends on bits; use
 * Number() when bits <= 53). A key must be a bigint in [0, 2^(dims*bits)).
 */
export function hilbertPoint(ctx: CoreContext, fns: HilbertExports, dims: number, bits: number, key: bigint): bigint[] {
  checkSpace(dims, bits);
  if (typeof key !== "bigint" || key < 0n || key >= 1n << BigInt(dims * bits)) {
    throw new CoordinateOutOfRangeError(`a key of a (${dims}, ${bits}) space is a bigint in [0, 2^${dims * bits}); got ${String(key)}`);
  }
  const region = ctx.input(dims * 8);
  const code = fns.hilbertPointChecked(dims, bits, key, region.ptr);
  if (code !== HilbertCode.ok) throw hilbertCodeError(code, "hilbertPoint");
  const view = ctx.dataView(region.ptr, dims * 8);
  const point: bigint[] = [];
  for (let axis = 0; axis < dims; axis++) point.push(view.getBigUint64(axis * 8, true));
  return point;
}

/** Coordinates up to this many bits are exact as numbers (2^53 - 1 is Number.MAX_SAFE_INTEGER). */
export const HILBERT_NUMBER_BITS_MAX = 53;

const KEY_U64_MAX = (1n << 64n) - 1n;

/**
 * hilbertPoint's hot path for bits <= 53: the coordinates as numbers, written into `out` (its
 * first `dims` slots; returned), with no bigint per coordinate and no view per call. A query
 * decodes one key per result with it. The core checks the key against the space.
 */
export function hilbertPointOfNumbers(ctx: CoreContext, fns: HilbertExports, dims: number, bits: number, key: bigint, out: number[]): number[] {
  if (bits > HILBERT_NUMBER_BITS_MAX) throw new DimensionsOutOfRangeError(`hilbertPointOfNumbers takes bits <= ${HILBERT_NUMBER_BITS_MAX} (exact numbers); got ${bits}`);
  // A bigint outside u64 would wrap on its way into the core: refused here, and every key of the
  // space is below 2^64, so the core's own check covers the rest.
  if (typeof key !== "bigint" || key < 0n || key > KEY_U64_MAX) {
    throw new CoordinateOutOfRangeError(`a key of a (${dims}, ${bits}) space is a bigint in [0, 2^${dims * bits}); got ${String(key)}`);
  }
  const region = ctx.input(dims * 8);
  const code = fns.hilbertPointChecked(dims, bits, key, region.ptr);
  if (code !== HilbertCode.ok) throw hilbertCodeError(code, "hilbertPoint");
  const view = ctx.data;
  for (let axis = 0, at: number = region.ptr; axis < dims; axis++, at += 8) {
    out[axis] = view.getUint32(at + 4, true) * 4294967296 + view.getUint32(at, true);
  }
  return out;
}

/**
 * Keys of `count` points already in the memory: u32 coordinates interleaved per point at
 * `coordsPtr` (4-byte aligned); the key of point i as a u64 at outKeysPtr + i * outKeyStrideBytes
 * (8-byte aligned; the stride is 8 for a key array, or a record's size, e.g. 24 to write keys
 * straight into the sort's tuples). Returns count. A coordinate >= 2^bits is a
 * CoordinateOutOfRangeError naming the first bad point; keys before it may have been written,
 * its own and later ones were not.
 */
export function hilbertKeysAt(ctx: CoreContext, fns: HilbertExports, dims: number, bits: number,
  coordsPtr: Ptr, count: number, outKeysPtr: Ptr, outKeyStrideBytes = 8): number {
  checkSpace(dims, bits);
  if (bits > HILBERT_BATCH_BITS_MAX) {
    throw new DimensionsOutOfRangeError(`hilbertKeysAt takes bits <= 32 (u32 coordinates); got ${bits}`);
  }
  assert(Number.isSafeInteger(count) && count >= 0 && count <= 0x7fffffff, "count must be an integer in 0..2^31-1");
  assert(Number.isSafeInteger(outKeyStrideBytes) && outKeyStrideBytes >= 8 && outKeyStrideBytes % 8 === 0,
    "the key stride must be a multiple of 8 bytes");
  assert(coordsPtr % 4 === 0, "coordinates must be 4-byte aligned");
  assert(outKeysPtr % 8 === 0, "keys must be 8-byte aligned");
  const bytes = ctx.memory.buffer.byteLength;
  assert(coordsPtr + count * dims * 4 <= bytes, "coordinates lie outside the core memory");
  assert(outKeysPtr + count * outKeyStrideBytes <= bytes, "keys lie outside the core memory");
  const result = fns.hilbertKeysBatch(dims, bits, coordsPtr, count, outKeysPtr, outKeyStrideBytes);
  if (result === HilbertCode.coordinateOutOfRange) {
    const index = fns.hilbertBatchFailedIndex();
    throw new CoordinateOutOfRangeError(`hilbertKeysAt: point ${index} has a coordinate outside [0, 2^${bits})`);
  }
  if (result < 0) throw hilbertCodeError(result, "hilbertKeysAt");
  assert(result === count, "the core keyed a different number of points");
  return result;
}
