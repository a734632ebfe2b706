// The n-dimensional Hilbert curve: a point of a (dims, bits) space to its u64 key and back.
//
// Method: John Skilling, "Programming the Hilbert curve", AIP Conference Proceedings 707, 381
// (2004), doi:10.1063/1.1751381. Skilling's insight is that one global Gray code over all
// dims*bits key bits does the work of the classic per-level state machine. The key is first held
// in "transposed" form, one word per axis:
//
//   dims = 3, bits = 5, key bits A B C D E F G H I J K L M N O (A most significant):
//     X[0] = A D G J M
//     X[1] = B E H K N
//     X[2] = C F I L O
//
// so bit j of X[i] is key bit j*dims + (dims-1-i). AxesToTranspose (here `axesToTranspose`)
// turns coordinates into that form in place, TransposeToAxes (`transposeToAxes`) undoes it.
// We transcribe both; the Gray decode loop runs i from dims-1 down to 1 (copies in circulation
// that run it down to 0 read X[-1]). Every branch of the published inner loop is made a
// `select`, because the taken side depends on coordinate bits and mispredicts half the time.
//
// Fast paths: 2 and 3 dims keep the transposed words in locals (2D: bits <= 32 and 3D:
// bits <= 21, so each axis fits a u32) and interleave with magic-mask spreads instead of a
// 64-step bit loop. hilbert-batch.ts runs the same arithmetic four points at a time in SIMD.
import {
  HILBERT_COORDINATE_OUT_OF_RANGE, HILBERT_KEY_OUT_OF_RANGE, HILBERT_DIMENSIONS_OUT_OF_RANGE, HILBERT_OK,
  HILBERT_REGION_OUT_OF_BOUNDS, HILBERT_SCRATCH_TOO_SMALL, hilbertSpaceValid, lowBitsMask, regionInMemory,
} from "./hilbert-codes";
import { scratchPointer } from "./scratch";

/** XOR of bit j and every bit above it, for each j: the "t" of Skilling's Gray encode is this >> 1. */
// @ts-ignore: decorator
@inline export function suffixParity64(v: u64): u64 {
  v ^= v >> 1;
  v ^= v >> 2;
  v ^= v >> 4;
  v ^= v >> 8;
  v ^= v >> 16;
  return v ^ (v >> 32);
}

// @ts-ignore: decorator
@inline export function suffixParity32(v: u32): u32 {
  v ^= v >> 1;
  v ^= v >> 2;
  v ^= v >> 4;
  v ^= v >> 8;
  return v ^ (v >> 16);
}

/** Spreads the 32 bits of v to the even bits of a u64 (bit j to bit 2j). */
// @ts-ignore: decorator
@inline export function spreadBy2(v: u32): u64 {
  let x = <u64>v;
  x = (x | (x << 16)) & 0x0000ffff0000ffff;
  x = (x | (x << 8)) & 0x00ff00ff00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f0f0f0f0f;
  x = (x | (x << 2)) & 0x3333333333333333;
  return (x | (x << 1)) & 0x5555555555555555;
}

/** Spreads the low 21 bits of v to every third bit of a u64 (bit j to bit 3j). */
// @ts-ignore: decorator
@inline export function spreadBy3(v: u32): u64 {
  let x = <u64>(v & 0x1fffff);
  x = (x | (x << 32)) & 0x001f00000000ffff;
  x = (x | (x << 16)) & 0x001f0000ff0000ff;
  x = (x | (x << 8)) & 0x100f00f00f00f00f;
  x = (x | (x << 4)) & 0x10c30c30c30c30c3;
  return (x | (x << 2)) & 0x1249249249249249;
}

/** Skilling's AxestoTranspose in place over dims u64 words at x (a point of `bits` bits per axis). */
export function axesToTranspose(x: usize, dims: u32, bits: u32): void {
  // Inverse undo: from the top level down, invert X[0]'s lower bits or exchange them with X[i]'s.
  for (let q: u64 = <u64>1 << (bits - 1); q > 1; q >>= 1) {
    const p = q - 1;
    let x0 = load<u64>(x);
    x0 ^= select<u64>(p, 0, (x0 & q) != 0);
    for (let i: u32 = 1; i < dims; i++) {
      const at = x + (<usize>i << 3);
      const xi = load<u64>(at);
      const set = (xi & q) != 0;
      const t = select<u64>(0, (x0 ^ xi) & p, set);
      x0 ^= select<u64>(p, t, set);
      store<u64>(at, xi ^ t);
    }
    store<u64>(x, x0);
  }
  // Gray encode.
  for (let i: u32 = 1; i < dims; i++) {
    const at = x + (<usize>i << 3);
    store<u64>(at, load<u64>(at) ^ load<u64>(at - 8));
  }
  const t = suffixParity64(load<u64>(x + (<usize>(dims - 1) << 3))) >> 1;
  for (let i: u32 = 0; i < dims; i++) {
    const at = x + (<usize>i << 3);
    store<u64>(at, load<u64>(at) ^ t);
  }
}

/** Skilling's TransposetoAxes in place: the inverse of axesToTranspose. */
export function transposeToAxes(x: usize, dims: u32, bits: u32): void {
  // Gray decode by H ^ (H/2).
  const last = x + (<usize>(dims - 1) << 3);
  const t = load<u64>(last) >> 1;
  for (let at = last; at > x; at -= 8) store<u64>(at, load<u64>(at) ^ load<u64>(at - 8));
  store<u64>(x, load<u64>(x) ^ t);
  // Undo excess work: from level 1 up, the same invert-or-exchange, axes in reverse order.
  for (let level: u32 = 1; level < bits; level++) {
    const q = <u64>1 << level;
    const p = q - 1;
    let x0 = load<u64>(x);
    for (let i = dims - 1; i >= 1; i--) {
      const at = x + (<usize>i << 3);
      const xi = load<u64>(at);
      const set = (xi & q) != 0;
      const t = select<u64>(0, (x0 ^ xi) & p, set);
      x0 ^= select<u64>(p, t, set);
      store<u64>(at, xi ^ t);
    }
    x0 ^= select<u64>(p, 0, (x0 & q) != 0);
    store<u64>(x, x0);
  }
}

/** Interleaves the transposed words into the key, most significant bit of X[0] first. */
export function transposeToKey(x: usize, dims: u32, bits: u32): u64 {
  let key: u64 = 0;
  for (let j = <i32>bits - 1; j >= 0; j--) {
    for (let i: u32 = 0; i < dims; i++) key = (key << 1) | ((load<u64>(x + (<usize>i << 3)) >> j) & 1);
  }
  return key;
}

/** Splits a key into its transposed words: the inverse of transposeToKey. */
export function keyToTranspose(key: u64, x: usize, dims: u32, bits: u32): void {
  for (let i: u32 = 0; i < dims; i++) store<u64>(x + (<usize>i << 3), 0);
  let shift = <i32>(dims * bits) - 1;
  for (let j = <i32>bits - 1; j >= 0; j--) {
    for (let i: u32 = 0; i < dims; i++) {
      const at = x + (<usize>i << 3);
      store<u64>(at, load<u64>(at) | (((key >> shift) & 1) << j));
      shift--;
    }
  }
}

/** 2D key of (x, y) in the transposed-in-locals form; bits in 1..32, x and y < 2^bits. */
// @ts-ignore: decorator
@inline export function hilbertKey2(x: u32, y: u32, bits: u32): u64 {
  for (let q: u32 = 1 << (bits - 1); q > 1; q >>= 1) {
    const p = q - 1;
    x ^= select<u32>(p, 0, (x & q) != 0);
    const set = (y & q) != 0;
    const t = select<u32>(0, (x ^ y) & p, set);
    x ^= select<u32>(p, t, set);
    y ^= t;
  }
  y ^= x;
  const t = suffixParity32(y) >> 1;
  return (spreadBy2(x ^ t) << 1) | spreadBy2(y ^ t);
}

/** 3D key of (x, y, z); bits in 1..21, every coordinate < 2^bits. */
// @ts-ignore: decorator
@inline export function hilbertKey3(x: u32, y: u32, z: u32, bits: u32): u64 {
  for (let q: u32 = 1 << (bits - 1); q > 1; q >>= 1) {
    const p = q - 1;
    x ^= select<u32>(p, 0, (x & q) != 0);
    const setY = (y & q) != 0;
    const tY = select<u32>(0, (x ^ y) & p, setY);
    x ^= select<u32>(p, tY, setY);
    y ^= tY;
    const setZ = (z & q) != 0;
    const tZ = select<u32>(0, (x ^ z) & p, setZ);
    x ^= select<u32>(p, tZ, setZ);
    z ^= tZ;
  }
  y ^= x;
  z ^= y;
  const t = suffixParity32(z) >> 1;
  return (spreadBy3(x ^ t) << 2) | (spreadBy3(y ^ t) << 1) | spreadBy3(z ^ t);
}

/**
 * The key of the point at `coords` (dims u64 words), all already checked < 2^bits. The general
 * path transforms a copy in `work` (dims u64 words), never the caller's coordinates.
 */
export function hilbertKeyOf(dims: u32, bits: u32, coords: usize, work: usize): u64 {
  if (dims == 2) return hilbertKey2(<u32>load<u64>(coords), <u32>load<u64>(coords, 8), bits);
  if (dims == 3) {
    return hilbertKey3(<u32>load<u64>(coords), <u32>load<u64>(coords, 8), <u32>load<u64>(coords, 16), bits);
  }
  memory.copy(work, coords, <usize>dims << 3);
  axesToTranspose(work, dims, bits);
  return transposeToKey(work, dims, bits);
}

/**
 * The Hilbert key of the point at `coords` (dims u64 words) in a (dims, bits) space, stored as a
 * u64 at `outKey`. Returns 0, or DIMENSIONS_OUT_OF_RANGE, COORDINATE_OUT_OF_RANGE (a coordinate
 * >= 2^bits; nothing is masked), REGION_OUT_OF_BOUNDS, or SCRATCH_TOO_SMALL (no scratch region;
 * the general path copies the point there).
 */
export function hilbertKeyChecked(dims: u32, bits: u32, coords: usize, outKey: usize): i32 {
  if (!hilbertSpaceValid(dims, bits)) return HILBERT_DIMENSIONS_OUT_OF_RANGE;
  if (!regionInMemory(coords, <u64>dims << 3) || !regionInMemory(outKey, 8)) return HILBERT_REGION_OUT_OF_BOUNDS;
  const limit = lowBitsMask(bits);
  for (let i: u32 = 0; i < dims; i++) {
    if (load<u64>(coords + (<usize>i << 3)) > limit) return HILBERT_COORDINATE_OUT_OF_RANGE;
  }
  const work = scratchPointer();
  if (work == 0) return HILBERT_SCRATCH_TOO_SMALL;
  store<u64>(outKey, hilbertKeyOf(dims, bits, coords, work));
  return HILBERT_OK;
}

/**
 * The point of `key` in a (dims, bits) space, stored as dims u64 words at `outCoords`. Returns 0,
 * or DIMENSIONS_OUT_OF_RANGE, KEY_OUT_OF_RANGE (key >= 2^(dims*bits)), REGION_OUT_OF_BOUNDS.
 */
export function hilbertPointChecked(dims: u32, bits: u32, key: u64, outCoords: usize): i32 {
  if (!hilbertSpaceValid(dims, bits)) return HILBERT_DIMENSIONS_OUT_OF_RANGE;
  if (!regionInMemory(outCoords, <u64>dims << 3)) return HILBERT_REGION_OUT_OF_BOUNDS;
  if (key > lowBitsMask(dims * bits)) return HILBERT_KEY_OUT_OF_RANGE;
  keyToTranspose(key, outCoords, dims, bits);
  transposeToAxes(outCoords, dims, bits);
  return HILBERT_OK;
}
