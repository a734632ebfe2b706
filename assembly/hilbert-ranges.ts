// Box -> Hilbert key ranges: the key intervals a query must scan to see every point of a box.
//
// Why ranges exist: every aligned sub-cube of side 2^k (its corner's coordinates are multiples of
// 2^k) is visited by the curve in one piece, and all its cells share the top dims*(bits-k) key
// bits. So a cube is the key range [prefix << dims*k, ((prefix + 1) << dims*k) - 1]. A box is a
// union of such cubes; we find them top-down.
//
// Method: level by level, starting from the whole space (level 0, one cube of side 2^bits). Level
// l holds cubes of side 2^(bits-l). Each pass walks the current entries in key order and refines
// every PARTIAL cube (one that meets the box but is not inside it) into its children that meet
// the box, in key order. A child inside the box becomes an EXACT range and merges with an adjacent
// EXACT neighbour; a child only meeting the box stays PARTIAL for the next pass. Cells (side 1)
// are always inside or outside, so after at most `bits` passes nothing is PARTIAL.
//
// Budget: `runs` counts the ranges the current entries would produce if every PARTIAL cube were
// kept whole (adjacent entries of any kind merge). Refining a cube never lowers it: with m runs of
// children inside the cube's interval, it grows by (m - 1), plus 1 for each side where the cube
// touched a neighbour and the child at that end is missing. A refinement that would take `runs`
// past rangesMax, or the entries past the work region's capacity, is refused: the cube is kept
// whole as FROZEN and never revisited. The result is then a superset of the box.
//
// The bound (stated once more on the export and on the host wrapper):
// - If the exact list has R <= rangesMax ranges and the work region holds at least
//   entriesMax = 6*rangesMax + 8 entries (hilbertRangesWorkSize), the result is exact. At any
//   moment runs <= R (each run contains a run of the exact list), PARTIAL and FROZEN cubes are at
//   most 2R (each holds an in/out transition of the exact list, and they are disjoint), and EXACT
//   entries at most runs + partials (each is a run's last or is followed by a partial): at most
//   5R + 3 counting the check's slack, so nothing is ever refused.
// - Otherwise the count is <= rangesMax, every box cell is covered, and each added cell lies in a
//   FROZEN cube, i.e. an aligned cube of side 2^s meeting the box, where s = *outCubeSideLog2 is
//   the largest FROZEN side. On every axis the added coordinate is within [floor(min/2^s)*2^s,
//   floor(max/2^s)*2^s + 2^s - 1]. The largest FROZEN cubes come from the first pass that refuses,
//   at some level l, so s = bits - l. Passes before it leave the complete level-l state, and that
//   pass refuses only if the complete level l + 1 needs more than rangesMax ranges (refining never
//   lowers `runs`), or if E_l + E_(l+1) + 1 > entriesMax, where E_l counts a complete level's
//   entries (its runs of inside cubes plus its partial cubes); the latter happens only when a face
//   of the box cuts many cubes that lie in few ranges.
//
// Worked example: bits 3 (an 8 x 8 grid), box x 1..5, y 2..6, 25 cells. The exact list is 6
// ranges: [8,13] [17,18] [23,24] [27,36] [39,39] [52,55]. The complete covers of levels 0..3
// need 1, 1, 2 and 6 ranges. With rangesMax 2 the passes at levels 0 and 1 refuse nothing; the
// pass at level 2 refuses some 2 x 2 cubes and returns [8,39] [52,55] with s = 1: the 11 added
// keys (14..16, 19..22, 25, 26, 37, 38) are cells of 2 x 2 cubes that meet the box. With
// rangesMax 1, level 2 already needs too many: the answer is [8,63] with s = 2.
import {
  HILBERT_BOX_INVERTED, HILBERT_COORDINATE_OUT_OF_RANGE, HILBERT_DIMENSIONS_OUT_OF_RANGE,
  HILBERT_RANGES_MAX_OUT_OF_RANGE, HILBERT_REGION_OUT_OF_BOUNDS, HILBERT_SCRATCH_TOO_SMALL,
  HILBERT_DIMS_MAX, hilbertSpaceValid, lowBitsMask, regionInMemory,
} from "./hilbert-codes";
import {
  childCubeState, childRuns, childWordCount, childrenBegin, childrenClear, childrenInsideWord, childrenPresentWord,
  childrenWorkSize, cubeStateRoot, cubeStateSize, firstChildPresent, lastChildPresent, markChildren, partialChildCount,
} from "./hilbert-children";

/** The largest ranges budget: 16384 ranges are 256 KiB of output and at most 33 MiB of work (16 dims). */
// @ts-ignore: decorator
@inline export const HILBERT_RANGES_MAX: u32 = 1 << 14;

// Entry kinds.
// @ts-ignore: decorator
@inline const EXACT: u32 = 0;
// @ts-ignore: decorator
@inline const PARTIAL: u32 = 1;
// @ts-ignore: decorator
@inline const FROZEN: u32 = 2;

// Work region: the children's work (hilbert-children.ts), then two entry buffers that the passes
// alternate between:
//
//   | children work | entries A: entriesMax entries | entries B: entriesMax entries |
//
// Entry layout (24 bytes, then the cube state of hilbert-children.ts: 16 + 8*dims bytes): the
// inclusive key interval, the kind, the cube's side as log2 (0 for EXACT entries, which need not
// be cubes), and for PARTIAL cubes the state their children are computed from.
//
//   0        8        16      20          24
//   | start  | end    | kind  | sideLog2  | cube state |
// @ts-ignore: decorator
@inline const ENTRY_START: usize = 0;
// @ts-ignore: decorator
@inline const ENTRY_END: usize = 8;
// @ts-ignore: decorator
@inline const ENTRY_KIND: usize = 16;
// @ts-ignore: decorator
@inline const ENTRY_SIDE_LOG2: usize = 20;
// @ts-ignore: decorator
@inline const ENTRY_CUBE: usize = 24;

// @ts-ignore: decorator
@inline function entrySize(dims: u32): usize {
  return ENTRY_CUBE + cubeStateSize(dims);
}

/** The work region size that gives room for entriesMax = 6*rangesMax + 8 (exact whenever R <= rangesMax). */
export function hilbertRangesWorkSize(dims: u32, rangesMax: u32): usize {
  if (dims < 1 || dims > HILBERT_DIMS_MAX || rangesMax < 1 || rangesMax > HILBERT_RANGES_MAX) return 0;
  const entriesMax = <usize>rangesMax * 6 + 8;
  return childrenWorkSize(dims) + 2 * entriesMax * entrySize(dims);
}

// This call's entry size and the entry capacity of each of its two buffers. Globals are per
// instance (per thread), and a call never re-enters.
let entryBytes: usize = 0;
let entriesMax: usize = 0;

// @ts-ignore: decorator
@inline function entryAt(entries: usize, index: usize): usize {
  return entries + index * entryBytes;
}

/** Appends an entry, merging an EXACT one into an adjacent EXACT predecessor. Returns the new count. */
function appendEntry(entries: usize, count: usize, start: u64, end: u64, kind: u32, sideLog2: u32): usize {
  if (kind == EXACT && count > 0) {
    const last = entryAt(entries, count - 1);
    if (load<u32>(last, ENTRY_KIND) == EXACT && load<u64>(last, ENTRY_END) + 1 == start) {
      store<u64>(last, end, ENTRY_END);
      return count;
    }
  }
  assert(count < entriesMax); // the caller checked the room before refining
  const at = entryAt(entries, count);
  store<u64>(at, start, ENTRY_START);
  store<u64>(at, end, ENTRY_END);
  store<u32>(at, kind, ENTRY_KIND);
  store<u32>(at, sideLog2, ENTRY_SIDE_LOG2);
  return count + 1;
}

/**
 * Appends the marked children of the PARTIAL entry `parent` (side 2^k), in key order, each PARTIAL
 * one with its cube state, and clears the bitsets.
 */
function appendChildren(entries: usize, count: usize, dims: u32, parent: usize, k: u32): usize {
  const start = load<u64>(parent, ENTRY_START);
  const childShift = <u64>(dims * (k - 1));
  const childLast = lowBitsMask(dims * (k - 1));
  for (let w: u32 = 0; w < childWordCount(); w++) {
    let present = childrenPresentWord(w);
    const inside = childrenInsideWord(w);
    while (present != 0) {
      const bit = <u32>ctz<u64>(present);
      present &= present - 1;
      const digit = <u64>((w << 6) | bit);
      const childStart = start + (digit << childShift);
      if (((inside >> bit) & 1) != 0) {
        count = appendEntry(entries, count, childStart, childStart + childLast, EXACT, 0);
      } else {
        // Not inside but meeting the box: at least two cells, so k - 1 >= 1 and the child has levels.
        count = appendEntry(entries, count, childStart, childStart + childLast, PARTIAL, k - 1);
        childCubeState(parent + ENTRY_CUBE, k, <u32>digit, entryAt(entries, count - 1) + ENTRY_CUBE);
      }
    }
  }
  childrenClear();
  return count;
}

// The ranges the current entries would give (every PARTIAL or FROZEN cube kept whole), and the
// largest side, as log2, of a FROZEN cube so far (0: none, the result is exact).
let passRuns: u32 = 0;
let passFrozenSideLog2: u32 = 0;

/** One pass: refines every PARTIAL entry of `from` (count n) into `to`, within the budget. Returns the new count. */
function refinePass(dims: u32, from: usize, n: usize, to: usize, rangesMax: u32): usize {
  let m: usize = 0;
  for (let i: usize = 0; i < n; i++) {
    const e = entryAt(from, i);
    const start = load<u64>(e, ENTRY_START);
    const end = load<u64>(e, ENTRY_END);
    const kind = load<u32>(e, ENTRY_KIND);
    const k = load<u32>(e, ENTRY_SIDE_LOG2);
    if (kind != PARTIAL) {
      m = appendEntry(to, m, start, end, kind, k);
      continue;
    }
    markChildren(e + ENTRY_CUBE, k);
    const prevAdjacent = m > 0 && load<u64>(entryAt(to, m - 1), ENTRY_END) + 1 == start;
    const nextAdjacent = i + 1 < n && load<u64>(entryAt(from, i + 1), ENTRY_START) == end + 1;
    // Refining replaces the cube's one interval by the children's runs, and breaks a link with a
    // touching neighbour when the child at that end is missing.
    const delta = childRuns(false) - 1 + <u32>(prevAdjacent && !firstChildPresent()) +
      <u32>(nextAdjacent && !lastChildPresent());
    const childEntries = <usize>(childRuns(true) + partialChildCount());
    if (passRuns + delta <= rangesMax && m + childEntries + (n - i - 1) <= entriesMax) {
      passRuns += delta;
      m = appendChildren(to, m, dims, e, k);
    } else {
      childrenClear();
      m = appendEntry(to, m, start, end, FROZEN, k);
      if (k > passFrozenSideLog2) passFrozenSideLog2 = k;
    }
  }
  return m;
}

/** Checks the box (dims u64 corners each): every corner < 2^bits and min <= max on every axis. Returns 0 or a code. */
function checkBox(dims: u32, bits: u32, boxMin: usize, boxMax: usize): i32 {
  const limit = lowBitsMask(bits);
  for (let a: u32 = 0; a < dims; a++) {
    const at = <usize>a << 3;
    if (load<u64>(boxMin + at) > limit || load<u64>(boxMax + at) > limit) return HILBERT_COORDINATE_OUT_OF_RANGE;
  }
  for (let a: u32 = 0; a < dims; a++) {
    const at = <usize>a << 3;
    if (load<u64>(boxMin + at) > load<u64>(boxMax + at)) return HILBERT_BOX_INVERTED;
  }
  return 0;
}

/** True if the box is the whole space: the root cube is then one EXACT range. */
function boxIsWholeSpace(dims: u32, bits: u32, boxMin: usize, boxMax: usize): bool {
  for (let a: u32 = 0; a < dims; a++) {
    const at = <usize>a << 3;
    if (load<u64>(boxMin + at) != 0 || load<u64>(boxMax + at) != lowBitsMask(bits)) return false;
  }
  return true;
}

/** Writes the entries, adjacent ones merged whatever their kind, as [start, end] u64 pairs. Returns the count. */
function writeRuns(entries: usize, n: usize, outRanges: usize, rangesMax: u32): u32 {
  let count: u32 = 0;
  for (let i: usize = 0; i < n; i++) {
    const e = entryAt(entries, i);
    const start = load<u64>(e, ENTRY_START);
    const end = load<u64>(e, ENTRY_END);
    const last = outRanges + ((<usize>count - 1) << 4);
    if (count > 0 && load<u64>(last, 8) + 1 == start) {
      store<u64>(last, end, 8);
    } else {
      assert(count < rangesMax); // passRuns <= rangesMax counted exactly these merges
      store<u64>(outRanges + (<usize>count << 4), start);
      store<u64>(outRanges + (<usize>count << 4), end, 8);
      count++;
    }
  }
  return count;
}

/**
 * The Hilbert key ranges covering the box [boxMin, boxMax] (dims u64 each, inclusive corners) in a
 * (dims, bits) space, as up to rangesMax [start, end] u64 pairs (inclusive) at outRanges, sorted,
 * disjoint and never adjacent (adjacent ranges are merged). Returns the number of ranges.
 *
 * Exactness: *outCubeSideLog2 (a u32) is 0 if the ranges cover exactly the box's cells. That is
 * guaranteed when the exact list has at most rangesMax ranges and workSize is at least
 * hilbertRangesWorkSize(dims, rangesMax). Otherwise it is s > 0: the ranges cover a superset of
 * the box, and every added cell lies in an aligned cube of side 2^s that meets the box (on every
 * axis, within [floor(min/2^s)*2^s, floor(max/2^s)*2^s + 2^s - 1]); s = bits - l for the first
 * level l whose pass refused a cube: the complete level l + 1 needs more than rangesMax ranges, or
 * levels l and l + 1 together need more entries than the work region holds (E_l + E_(l+1) + 1 >
 * entriesMax). See the top of this file.
 *
 * Codes: DIMENSIONS_OUT_OF_RANGE, COORDINATE_OUT_OF_RANGE (a corner >= 2^bits), BOX_INVERTED,
 * RANGES_MAX_OUT_OF_RANGE (0 or above 16384), SCRATCH_TOO_SMALL (the work region holds fewer than
 * one entry per buffer), REGION_OUT_OF_BOUNDS.
 */
export function hilbertRangesChecked(dims: u32, bits: u32, boxMin: usize, boxMax: usize, rangesMax: u32,
  outRanges: usize, outCubeSideLog2: usize, work: usize, workSize: usize): i32 {
  if (!hilbertSpaceValid(dims, bits)) return HILBERT_DIMENSIONS_OUT_OF_RANGE;
  if (rangesMax < 1 || rangesMax > HILBERT_RANGES_MAX) return HILBERT_RANGES_MAX_OUT_OF_RANGE;
  if (!regionInMemory(boxMin, <u64>dims << 3) || !regionInMemory(boxMax, <u64>dims << 3) ||
    !regionInMemory(outRanges, <u64>rangesMax << 4) || !regionInMemory(outCubeSideLog2, 4) ||
    !regionInMemory(work, <u64>workSize)) {
    return HILBERT_REGION_OUT_OF_BOUNDS;
  }
  const code = checkBox(dims, bits, boxMin, boxMax);
  if (code != 0) return code;
  const childrenSize = childrenWorkSize(dims);
  entryBytes = entrySize(dims);
  if (workSize < childrenSize + 2 * entryBytes) return HILBERT_SCRATCH_TOO_SMALL;
  childrenBegin(dims, boxMin, boxMax, work);
  entriesMax = (workSize - childrenSize) / (2 * entryBytes);
  const entriesA = work + childrenSize;
  const entriesB = entriesA + entriesMax * entryBytes;
  const root = boxIsWholeSpace(dims, bits, boxMin, boxMax) ? EXACT : PARTIAL;
  const n = appendEntry(entriesA, 0, 0, lowBitsMask(dims * bits), root, bits);
  cubeStateRoot(entryAt(entriesA, 0) + ENTRY_CUBE);
  return hilbertRangesRun(dims, bits, entriesA, n, entriesB, rangesMax, outRanges, outCubeSideLog2);
}

/** The passes, from the root entry in `from` down to cells, then the merged output. */
function hilbertRangesRun(dims: u32, bits: u32, from: usize, n: usize, to: usize, rangesMax: u32,
  outRanges: usize, outCubeSideLog2: usize): i32 {
  passRuns = 1;
  passFrozenSideLog2 = 0;
  // Each pass turns every PARTIAL cube of side 2^k into children of side 2^(k-1) or a FROZEN cube,
  // and side-1 cubes are never PARTIAL, so `bits` passes empty the PARTIAL set.
  for (let pass: u32 = 0; pass < bits && hasPartial(from, n); pass++) {
    n = refinePass(dims, from, n, to, rangesMax);
    const swap = from;
    from = to;
    to = swap;
  }
  assert(!hasPartial(from, n));
  const count = writeRuns(from, n, outRanges, rangesMax);
  assert(count == passRuns && count <= rangesMax); // the budget arithmetic tracked the merge exactly
  store<u32>(outCubeSideLog2, passFrozenSideLog2);
  return <i32>count;
}

function hasPartial(entries: usize, n: usize): bool {
  for (let i: usize = 0; i < n; i++) if (load<u32>(entryAt(entries, i), ENTRY_KIND) == PARTIAL) return true;
  return false;
}
