// The children of one aligned cube that meet a box, marked by Hilbert digit (hilbert-ranges.ts
// refines cubes with this). A cube of side 2^k has 2^dims children of side 2^(k-1); a child's
// digit is its dims key bits just below the cube's prefix, so listing the marked digits in order
// lists the children in key order without a sort.
//
// Cube state. Skilling's AxestoTranspose (hilbert.ts) walks the levels from the top; at a level
// it reads each axis's bit there and then inverts axis 0's lower bits or exchanges them with
// axis i's. Every cell of a cube of side 2^k shares its bits at levels >= k, so the levels above
// the cube make the same decisions for all of them, and their net effect on all lower bits is one
// fixed map: transposed word i (its "slot") holds axis sigma(i)'s bits, complemented if bit i of
// `complement` is set. `parity` is the XOR of all final bits at levels >= k, which the Gray
// encode folds into every lower key bit. So a child's digit needs no encoding at all:
//
//   x_i = choice[sigma(i)] ^ complement_i      (the child's bit k-1 in slot i; choice: high half)
//   D_i = x_0 ^ ... ^ x_i ^ parity             (the Gray encode; D_0 is the digit's top bit)
//
// and the child's own state is one more level of Skilling's loop applied to (sigma, complement).
//
//   cube state layout (inside each entry of hilbert-ranges.ts):
//   0        8            12       16
//   | sigma  | complement | parity | corner: dims u64 |
//   sigma packs slot i's axis in bits 4i..4i+3 (16 axes fit 64 bits).
//
// Children work region: the free axes of the cube being refined, then the two bitsets.
//
//   | free axis bits: 16 u32 | free axis deltas: 16 u32 | present: 2^dims bits | inside: 2^dims bits |
//
// Each bitset has one bit per digit, at least one u64 word (8 KiB each at 16 dims).
import { HILBERT_DIMS_MAX } from "./hilbert-codes";

// @ts-ignore: decorator
@inline export const CUBE_SIGMA: usize = 0;
// @ts-ignore: decorator
@inline export const CUBE_COMPLEMENT: usize = 8;
// @ts-ignore: decorator
@inline export const CUBE_PARITY: usize = 12;
// @ts-ignore: decorator
@inline export const CUBE_CORNER: usize = 16;
// @ts-ignore: decorator
@inline const SIGMA_IDENTITY: u64 = 0xfedcba9876543210;

// @ts-ignore: decorator
@inline const AXES_U32_SIZE: usize = <usize>HILBERT_DIMS_MAX << 2;
// @ts-ignore: decorator
@inline const WORK_FREE_AXIS_BITS: usize = 0;
// @ts-ignore: decorator
@inline const WORK_FREE_AXIS_DELTAS: usize = WORK_FREE_AXIS_BITS + AXES_U32_SIZE;
// @ts-ignore: decorator
@inline const WORK_PRESENT: usize = WORK_FREE_AXIS_DELTAS + AXES_U32_SIZE;

/** Bytes of one cube state for dims axes (a multiple of 8). */
// @ts-ignore: decorator
@inline export function cubeStateSize(dims: u32): usize {
  return CUBE_CORNER + (<usize>dims << 3);
}

/** Bytes of one bitset: 2^dims bits, at least one u64 word. */
// @ts-ignore: decorator
@inline function bitsetBytes(dims: u32): usize {
  return dims <= 6 ? 8 : (<usize>1 << dims) >> 3;
}

/** Bytes of the children work region for dims axes (a multiple of 8). */
export function childrenWorkSize(dims: u32): usize {
  return WORK_PRESENT + 2 * bitsetBytes(dims);
}

// The current call's space, box and region. Globals are per instance (per thread), and a call
// never re-enters, so they are this call's context rather than shared state.
let spaceDims: u32 = 0;
let boxMinAt: usize = 0;
let boxMaxAt: usize = 0;
let workAt: usize = 0;
let wordCount: u32 = 0;
let presentAt: usize = 0;
let insideAt: usize = 0;

/** Sets up a call: the space's dims, the box corners (dims u64 each) and childrenWorkSize(dims) bytes at work. */
export function childrenBegin(dims: u32, boxMin: usize, boxMax: usize, work: usize): void {
  spaceDims = dims;
  boxMinAt = boxMin;
  boxMaxAt = boxMax;
  workAt = work;
  wordCount = <u32>(bitsetBytes(dims) >> 3);
  presentAt = work + WORK_PRESENT;
  insideAt = presentAt + bitsetBytes(dims);
  childrenClear();
}

/** The state of the whole space: no level processed yet, corner at the origin. */
export function cubeStateRoot(cube: usize): void {
  store<u64>(cube, SIGMA_IDENTITY, CUBE_SIGMA);
  store<u32>(cube, 0, CUBE_COMPLEMENT);
  store<u32>(cube, 0, CUBE_PARITY);
  memory.fill(cube + CUBE_CORNER, 0, <usize>spaceDims << 3);
}

// @ts-ignore: decorator
@inline function sigmaAt(sigma: u64, slot: u32): u32 {
  return <u32>(sigma >> (<u64>slot << 2)) & 15;
}
// @ts-ignore: decorator
@inline function boxMin(a: u32): u64 {
  return load<u64>(boxMinAt + (<usize>a << 3));
}
// @ts-ignore: decorator
@inline function boxMax(a: u32): u64 {
  return load<u64>(boxMaxAt + (<usize>a << 3));
}
// @ts-ignore: decorator
@inline function workU32(offset: usize, index: u32): usize {
  return workAt + offset + (<usize>index << 2);
}

/**
 * Marks the children of the cube (state at `cube`, side 2^k, k >= 1): present if the child meets
 * the box, inside if it lies in it. Only children meeting the box are visited: the product, over
 * axes, of the halves of the cube the box reaches. Moving a child to the high half of the axis
 * in slot s flips x_s, so it flips D_s..D_(dims-1): the low dims - s bits of the digit. The
 * children are visited in Gray-code order of the free axes, one XOR each.
 */
export function markChildren(cube: usize, k: u32): void {
  const dims = spaceDims;
  const sigma = load<u64>(cube, CUBE_SIGMA);
  const complement = load<u32>(cube, CUBE_COMPLEMENT);
  let prefix = load<u32>(cube, CUBE_PARITY);
  let digit: u32 = 0; // every choice low: x_i = complement_i
  for (let slot: u32 = 0; slot < dims; slot++) {
    prefix ^= (complement >> slot) & 1;
    digit = (digit << 1) | prefix;
  }
  const half = <u64>1 << (k - 1);
  const sideMask = (half << 1) - 1; // 2^k - 1; all ones when k = 64
  let highOnly: u32 = 0; // axes where only the high half meets the box
  let freeCount: u32 = 0; // axes where both halves meet it
  let lowInside: u32 = 0;
  let highInside: u32 = 0;
  for (let slot: u32 = 0; slot < dims; slot++) {
    const a = sigmaAt(sigma, slot);
    const delta: u32 = (<u32>1 << (dims - slot)) - 1;
    const c = load<u64>(cube + CUBE_CORNER + (<usize>a << 3));
    const lowMeets = boxMin(a) <= c + half - 1;
    const highMeets = boxMax(a) >= c + half;
    if (lowMeets && highMeets) {
      store<u32>(workU32(WORK_FREE_AXIS_BITS, freeCount), <u32>1 << a);
      store<u32>(workU32(WORK_FREE_AXIS_DELTAS, freeCount), delta);
      freeCount++;
    } else if (highMeets) {
      highOnly |= 1 << a;
      digit ^= delta;
    }
    if (boxMin(a) <= c && boxMax(a) >= c + half - 1) lowInside |= 1 << a;
    if (boxMin(a) <= c + half && boxMax(a) >= c + sideMask) highInside |= 1 << a;
  }
  markChildrenInGrayOrder(digit, highOnly, freeCount, lowInside, highInside);
}

/** Visits the 2^freeCount children in Gray-code order of the free axes, marking each one's digit. */
function markChildrenInGrayOrder(digit: u32, choice: u32, freeCount: u32, lowInside: u32, highInside: u32): void {
  const axesAll: u32 = (<u32>1 << spaceDims) - 1;
  const childCount: u32 = <u32>1 << freeCount;
  for (let i: u32 = 0; ; ) {
    const word = <usize>(digit >> 6) << 3;
    const bit = <u64>1 << (digit & 63);
    store<u64>(presentAt + word, load<u64>(presentAt + word) | bit);
    // Inside iff on every axis the chosen half lies in the box (choice bit a set: the high half).
    if (((choice & highInside) | (~choice & lowInside)) == axesAll) {
      store<u64>(insideAt + word, load<u64>(insideAt + word) | bit);
    }
    i++;
    if (i == childCount) break;
    const f = ctz<u32>(i); // the Gray codes of i - 1 and i differ in bit ctz(i)
    choice ^= load<u32>(workU32(WORK_FREE_AXIS_BITS, f));
    digit ^= load<u32>(workU32(WORK_FREE_AXIS_DELTAS, f));
  }
}

/**
 * Writes at `child` the state of the parent's child `digit` (parent state at `parent`, side
 * 2^k, k >= 2 so that the child has levels of its own): its corner, and Skilling's level k - 1
 * applied to the parent's slots.
 */
export function childCubeState(parent: usize, k: u32, digit: u32, child: usize): void {
  const dims = spaceDims;
  let sigma = load<u64>(parent, CUBE_SIGMA);
  let complement = load<u32>(parent, CUBE_COMPLEMENT);
  const parity = load<u32>(parent, CUBE_PARITY);
  // Undo the Gray encode: x_i = D_i ^ D_(i-1) for i >= 1 (the parities cancel), x_0 = D_0 ^ parity.
  // Slot i is digit bit dims-1-i, so D_(i-1) is one bit higher.
  const x = digit ^ (digit >> 1) ^ (parity << (dims - 1));
  const half = <u64>1 << (k - 1);
  for (let slot: u32 = 0; slot < dims; slot++) {
    const a = sigmaAt(sigma, slot);
    const high = ((x >> (dims - 1 - slot)) ^ (complement >> slot)) & 1; // choice[sigma(slot)]
    const at = <usize>a << 3;
    store<u64>(child + CUBE_CORNER + at, load<u64>(parent + CUBE_CORNER + at) + select<u64>(half, 0, high != 0));
  }
  // Skilling's level k - 1: slot i's bit there set: invert slot 0; clear: exchange slots 0 and i.
  for (let i: u32 = 0; i < dims; i++) {
    if (((x >> (dims - 1 - i)) & 1) != 0) {
      complement ^= 1;
    } else if (i > 0) {
      const shift = <u64>i << 2;
      const axis0 = sigma & 15;
      const axisI = (sigma >> shift) & 15;
      sigma = (sigma & ~(<u64>15 | (<u64>15 << shift))) | axisI | (axis0 << shift);
      const swap = (complement ^ (complement >> i)) & 1;
      complement ^= swap | (swap << i);
    }
  }
  store<u64>(child, sigma, CUBE_SIGMA);
  store<u32>(child, complement, CUBE_COMPLEMENT);
  store<u32>(child, parity ^ <u32>(popcnt<u32>(x) & 1), CUBE_PARITY);
}

/** The bitsets' u64 word count. */
export function childWordCount(): u32 {
  return wordCount;
}

/** Word w of the present bitset: bit d is set if child d meets the box. */
// @ts-ignore: decorator
@inline export function childrenPresentWord(w: u32): u64 {
  return load<u64>(presentAt + (<usize>w << 3));
}

/** Word w of the inside bitset: bit d is set if child d lies in the box. */
// @ts-ignore: decorator
@inline export function childrenInsideWord(w: u32): u64 {
  return load<u64>(insideAt + (<usize>w << 3));
}

/** True if child 0 (the first in key order) meets the box. */
export function firstChildPresent(): bool {
  return (childrenPresentWord(0) & 1) != 0;
}

/** True if child 2^dims - 1 (the last in key order; bit 63 of the last word from 6 dims up) meets the box. */
export function lastChildPresent(): bool {
  const bit = ((<u64>1 << spaceDims) - 1) & 63;
  return ((childrenPresentWord(wordCount - 1) >> bit) & 1) != 0;
}

/** Runs of consecutive marked digits: of present children, or with insideOnly of inside children. */
export function childRuns(insideOnly: bool): u32 {
  let runs: u32 = 0;
  let carry: u64 = 0; // the top bit of the previous word, as bit 0
  for (let w: u32 = 0; w < wordCount; w++) {
    const v = insideOnly ? childrenPresentWord(w) & childrenInsideWord(w) : childrenPresentWord(w);
    runs += <u32>popcnt<u64>(v & ~((v << 1) | carry));
    carry = v >> 63;
  }
  return runs;
}

/** Present children that are not inside. */
export function partialChildCount(): u32 {
  let count: u32 = 0;
  for (let w: u32 = 0; w < wordCount; w++) count += <u32>popcnt<u64>(childrenPresentWord(w) & ~childrenInsideWord(w));
  return count;
}

/** Clears both bitsets for the next cube. */
export function childrenClear(): void {
  memory.fill(presentAt, 0, <usize>wordCount << 3);
  memory.fill(insideAt, 0, <usize>wordCount << 3);
}
