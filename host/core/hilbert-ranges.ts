// Box -> Hilbert key ranges (assembly/hilbert-ranges.ts): the key intervals a query scans.
import { assert } from "../assert.js";
import { CoordinateOutOfRangeError, InvalidArgumentError } from "../errors.js";
import { type CoreContext } from "./core-context.js";
import { type HilbertExports } from "./hilbert.js";
import { checkPoint, checkSpace, hilbertCodeError } from "./hilbert-space.js";
import { type Ptr, ptrAdd } from "./pointer.js";

/** The default budget: enough for a tight cover of most boxes, small enough to scan cheaply. */
export const HILBERT_RANGES_MAX_DEFAULT = 256;
/** The core's ceiling (assembly/hilbert-ranges.ts): 16384 ranges need up to 33 MiB of work at 16 dims. */
export const HILBERT_RANGES_MAX = 1 << 14;

export interface HilbertBox {
  /** The inclusive low corner: dims coordinates, each a safe integer number or a bigint. */
  readonly min: ArrayLike<number | bigint>;
  /** The inclusive high corner; max >= min on every axis. */
  readonly max: ArrayLike<number | bigint>;
}

export interface HilbertRangesOptions {
  /** At most this many ranges come back (1..16384, default 256). */
  readonly rangesMax?: number;
}

export interface HilbertRanges {
  /** Inclusive [start, end] key ranges, sorted, disjoint, never adjacent (adjacent ones are merged). */
  readonly ranges: Array<[bigint, bigint]>;
  /** True if the ranges hold exactly the box's cells; false if they hold a superset. */
  readonly exact: boolean;
  /**
   * 0 when exact. Otherwise s > 0: every cell the ranges add to the box lies in an aligned cube of
   * side 2^s that meets the box, so on every axis it is within
   * [floor(min/2^s)*2^s, floor(max/2^s)*2^s + 2^s - 1].
   */
  readonly cubeSideLog2: number;
}

/**
 * The Hilbert key ranges that cover a box {min, max} (inclusive corners), refined from the whole
 * space down, level by level (level l: aligned cubes of side 2^(bits-l)). The bound, exactly:
 * - if the exact list (the box's cells as merged key ranges) has at most rangesMax ranges, it is
 *   what comes back, and `exact` is true;
 * - otherwise at most rangesMax ranges come back, `exact` is false, every box cell is covered,
 *   and every added cell lies in an aligned cube of side 2^cubeSideLog2 that meets the box.
 *   bits - cubeSideLog2 is the first level l whose refinement was cut short: the complete cover
 *   of level l + 1 (its cubes meeting the box, merged) needs more than rangesMax ranges, or, when
 *   a face of the box cuts many cubes lying in few ranges, levels l and l + 1 together need more
 *   than the 6*rangesMax + 8 entries of the core's work region. Cubes that still fit the budget
 *   are refined further, so most added cells lie in smaller cubes.
 * Example: bits 3, box x 1..5, y 2..6: exact, 6 ranges; rangesMax 2 gives [8,39] [52,55] with
 * cubeSideLog2 1; rangesMax 1 gives [8,63] with cubeSideLog2 2.
 * Corners out of [0, 2^bits), a wrong number of coordinates, or min > max on an axis: RangeError.
 */
export function hilbertRanges(ctx: CoreContext, fns: HilbertExports, dims: number, bits: number,
  box: HilbertBox, options: HilbertRangesOptions = {}): HilbertRanges {
  checkSpace(dims, bits);
  const rangesMax = options.rangesMax ?? HILBERT_RANGES_MAX_DEFAULT;
  if (!Number.isInteger(rangesMax) || rangesMax < 1 || rangesMax > HILBERT_RANGES_MAX) {
    throw new InvalidArgumentError(`rangesMax must be an integer in 1..${HILBERT_RANGES_MAX}; got ${rangesMax}`);
  }
  const min = checkPoint(dims, bits, box.min, "box.min");
  const max = checkPoint(dims, bits, box.max, "box.max");
  min.forEach((low, axis) => {
    const high = max[axis] ?? -1n;
    if (low > high) throw new CoordinateOutOfRangeError(`box.min[${axis}] = ${low} is above box.max[${axis}] = ${high}`);
  });
  // The input region: min (dims u64), max (dims u64), the cube side (u32, padded to 8), then the ranges.
  const rangesAt = dims * 16 + 8;
  const input = ctx.input(rangesAt + rangesMax * 16);
  const workSize = fns.hilbertRangesWorkSize(dims, rangesMax);
  assert(workSize > 0, "the core sized no work region");
  // The region may be larger (sizes round up to a power of two); passing workSize keeps the
  // core's entriesMax at exactly 6*rangesMax + 8, the number the bound names.
  const work = ctx.regions.allocate(workSize);
  try {
    const view = ctx.dataView(input.ptr, rangesAt);
    for (let axis = 0; axis < dims; axis++) {
      view.setBigUint64(axis * 8, min[axis] ?? 0n, true);
      view.setBigUint64((dims + axis) * 8, max[axis] ?? 0n, true);
    }
    const count = fns.hilbertRangesChecked(dims, bits, input.ptr, input.ptr + dims * 8, rangesMax,
      input.ptr + rangesAt, input.ptr + dims * 16, work.ptr, workSize);
    if (count < 0) throw hilbertCodeError(count, "hilbertRanges");
    assert(count >= 1 && count <= rangesMax, "the core returned a range count outside 1..rangesMax");
    const cubeSideLog2 = view.getUint32(dims * 16, true);
    return { ranges: readRanges(ctx, ptrAdd(input.ptr, rangesAt), count), exact: cubeSideLog2 === 0, cubeSideLog2 };
  } finally {
    ctx.regions.release(work);
  }
}

function readRanges(ctx: CoreContext, ptr: Ptr, count: number): Array<[bigint, bigint]> {
  const view = ctx.dataView(ptr, count * 16);
  const ranges: Array<[bigint, bigint]> = [];
  for (let i = 0; i < count; i++) {
    const start = view.getBigUint64(i * 16, true);
    const end = view.getBigUint64(i * 16 + 8, true);
    assert(start <= end, "the core returned a range with start > end");
    assert(i === 0 || start > (ranges[i - 1]?.[1] ?? 0n) + 1n, "the core returned unsorted or unmerged ranges");
    ranges.push([start, end]);
  }
  return ranges;
}
