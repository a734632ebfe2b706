// The core as users see it: typed wrappers that copy small inputs in, and pointer-taking hot paths
// over regions the host assigns. Each area's binding and argument checks live in its own file;
// this class only delegates.
import { type CoreContext } from "./core-context.js";
import { type CrcExports, bindCrcExports, crcAt, crcOfBytes } from "./crc.js";
import { type Ptr } from "./pointer.js";
import { type Region } from "./region-allocator.js";
import { type Xxh64Exports, bindXxh64Exports, xxh64At, xxh64OfBytes } from "./xxh64.js";
import { type FrameExports, type FrameScan, bindFrameExports, encodeFrames, encodeFramesAt, readScan, scanFrames } from "./frame.js";
import { type HilbertExports, bindHilbertExports, hilbertKey, hilbertKeyOfNumbers, hilbertKeysAt, hilbertPoint, hilbertPointOfNumbers } from "./hilbert.js";
import { type HilbertBox, type HilbertRanges, type HilbertRangesOptions, hilbertRanges } from "./hilbert-ranges.js";
import { type SortExports, type SortTuple, SortScratch, bindSortExports, sortTupleArray, sortTuplesAt } from "./radix-sort.js";
import {
  type CompletionExports, type CompletionTable, type CompletionTableOptions, bindCompletionExports, createCompletionTable,
} from "./completions.js";

export class Core {
  private readonly crcExports: CrcExports;
  private readonly xxh64Exports: Xxh64Exports;
  private readonly frameExports: FrameExports;
  private readonly hilbertExports: HilbertExports;
  private readonly sortExports: SortExports;
  private readonly sortScratch: SortScratch;
  private readonly completionExports: CompletionExports;

  constructor(readonly context: CoreContext) {
    this.hilbertExports = bindHilbertExports(context.exports);
    this.crcExports = bindCrcExports(context.exports);
    this.xxh64Exports = bindXxh64Exports(context.exports);
    this.frameExports = bindFrameExports(context.exports);
    this.sortExports = bindSortExports(context.exports);
    this.sortScratch = new SortScratch(context);
    this.completionExports = bindCompletionExports(context.exports);
  }

  get memory(): WebAssembly.Memory {
    return this.context.memory;
  }

  /** A region of the shared memory for the caller's own data (hot paths take pointers into it). */
  allocateRegion(sizeBytes: number): Region {
    return this.context.regions.allocate(sizeBytes);
  }

  releaseRegion(region: Region): void {
    this.context.regions.release(region);
  }

  /** A Uint8Array over a region, valid until the memory next grows. */
  bytesOf(region: Region): Uint8Array {
    return this.context.u8.subarray(region.ptr, region.ptr + region.sizeBytes);
  }

  // --- checksums ---

  /** CRC-32 (IEEE), zlib's convention: crc32(b, crc32(a)) === crc32(a ++ b). */
  crc32(bytes: Uint8Array, crc = 0): number {
    return crcOfBytes(this.context, this.crcExports.crc32, bytes, crc);
  }

  /** CRC-32C (Castagnoli), same convention. */
  crc32c(bytes: Uint8Array, crc = 0): number {
    return crcOfBytes(this.context, this.crcExports.crc32c, bytes, crc);
  }

  crc32At(ptr: Ptr, len: number, crc = 0): number {
    return crcAt(this.context, this.crcExports.crc32, ptr, len, crc);
  }

  crc32cAt(ptr: Ptr, len: number, crc = 0): number {
    return crcAt(this.context, this.crcExports.crc32c, ptr, len, crc);
  }

  /** The table method alone, so tests can compare it with the sparse method on long inputs. */
  crc32TableAt(ptr: Ptr, len: number, crc = 0): number {
    return crcAt(this.context, this.crcExports.crc32Table, ptr, len, crc);
  }

  crc32cTableAt(ptr: Ptr, len: number, crc = 0): number {
    return crcAt(this.context, this.crcExports.crc32cTable, ptr, len, crc);
  }

  xxh64(bytes: Uint8Array, seed = 0n): bigint {
    return xxh64OfBytes(this.context, this.xxh64Exports.xxh64, bytes, seed);
  }

  xxh64At(ptr: Ptr, len: number, seed = 0n): bigint {
    return xxh64At(this.context, this.xxh64Exports.xxh64, ptr, len, seed);
  }

  // --- frames ---

  /** Encodes payloads (each starting with its entry type byte) into contiguous frames sealed with `seed`. */
  encodeFrames(payloads: readonly Uint8Array[], seed: number): Uint8Array {
    return encodeFrames(this.context, this.frameExports, payloads, seed);
  }

  /** Hot path: payloads already placed at each frame's offset + 8 from `buf`; lengths are u32s at `lengthsPtr`. */
  encodeFramesAt(buf: Ptr, lengthsPtr: Ptr, count: number, seed: number): number {
    return encodeFramesAt(this.frameExports, buf, lengthsPtr, count, seed);
  }

  /** Every valid frame in `bytes` (sealed with `seed`) and the first invalid offset with its reason. */
  scanFrames(bytes: Uint8Array, seed: number): FrameScan {
    return scanFrames(this.context, this.frameExports, bytes, seed);
  }

  /** Hot path: scans [buf, buf+len) into `capacity` 16-byte records at `out`; stop offset and reason at `result`. */
  scanFramesAt(buf: Ptr, len: number, seed: number, out: Ptr, capacity: number, result: Ptr): FrameScan {
    const count = this.frameExports.frameScan(buf, len, seed, out, capacity, result);
    return readScan(this.context, out, count, result);
  }

  // --- hilbert ---

  /**
   * The Hilbert key (Skilling's curve) of a point of a (dims, bits) space: dims in 1..16, bits >= 1,
   * dims*bits <= 64. Coordinates are safe-integer numbers or bigints in [0, 2^bits); anything else
   * is a RangeError (CoordinateOutOfRangeError / DimensionsOutOfRangeError), never masked.
   */
  hilbertKey(dims: number, bits: number, point: ArrayLike<number | bigint>): bigint {
    return hilbertKey(this.context, this.hilbertExports, dims, bits, point);
  }

  /** Hot path: coordinates already checked to be numbers in [0, 2^bits), bits <= 32. */
  hilbertKeyOfNumbers(dims: number, bits: number, point: ArrayLike<number>, ord?: { ord: number }): bigint {
    return hilbertKeyOfNumbers(this.context, this.hilbertExports, dims, bits, point, ord);
  }

  /** The point of a key in [0, 2^(dims*bits)), always as bigints (Number() them when bits <= 53). */
  hilbertPoint(dims: number, bits: number, key: bigint): bigint[] {
    return hilbertPoint(this.context, this.hilbertExports, dims, bits, key);
  }

  /** Hot path for bits <= 53: the point of a key as numbers, written into `out` and returned. */
  hilbertPointOfNumbers(dims: number, bits: number, key: bigint, out: number[]): number[] {
    return hilbertPointOfNumbers(this.context, this.hilbertExports, dims, bits, key, out);
  }

  /**
   * Batch hot path: u64 keys of `count` points of u32 coordinates (interleaved per point; bits <= 32),
   * `outKeyStrideBytes` apart (8: a key array; 24: straight into sortTuplesAt's tuples).
   */
  hilbertKeysAt(dims: number, bits: number, coordsPtr: Ptr, count: number, outKeysPtr: Ptr, outKeyStrideBytes = 8): number {
    return hilbertKeysAt(this.context, this.hilbertExports, dims, bits, coordsPtr, count, outKeysPtr, outKeyStrideBytes);
  }

  /**
   * Key ranges covering a box: exact when the exact list has at most rangesMax (default 256)
   * ranges, else at most rangesMax ranges over a superset bounded by cubeSideLog2; see
   * host/core/hilbert-ranges.ts for the bound.
   */
  hilbertRanges(dims: number, bits: number, box: HilbertBox, options?: HilbertRangesOptions): HilbertRanges {
    return hilbertRanges(this.context, this.hilbertExports, dims, bits, box, options);
  }

  // --- sort ---

  /**
   * Sorts `count` 24-byte tuples at `tuples` in place by (key, revision), stably (layout in
   * host/core/radix-sort.ts). Scratch comes from the region allocator and is reused across calls.
   */
  sortTuplesAt(tuples: Ptr, count: number): void {
    sortTuplesAt(this.context, this.sortExports, this.sortScratch, tuples, count);
  }

  /** Returns new tuple objects sorted by (key, revision); equal pairs keep their input order. */
  sortTuples(tuples: readonly SortTuple[]): SortTuple[] {
    return sortTupleArray(this.context, this.sortExports, this.sortScratch, tuples);
  }

  /** The largest range the sort finishes by insertion alone (so tests can cross the threshold). */
  sortLeafTuplesMax(): number {
    return this.sortExports.sortLeafTuplesMax() >>> 0;
  }

  /** The largest range split with one wide in-cache digit rather than streamed (so tests can cross it). */
  sortCachedTuplesMax(): number {
    return this.sortExports.sortCachedTuplesMax() >>> 0;
  }

  // --- completions ---

  /** A table of pending I/O ops with per-file written and synced positions (host/core/completions.ts). */
  createCompletionTable(options: CompletionTableOptions): CompletionTable {
    return createCompletionTable(this.context, this.completionExports, options);
  }
}
