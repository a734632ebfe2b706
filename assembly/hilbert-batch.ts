// Hilbert keys for many points at once: the hot path that turns a batch of points into keys
// before they are sorted. Coordinates are u32, interleaved per point (x0 y0 z0 x1 y1 z1 ...), so
// bits <= 32; keys are u64, in point order, `stride` bytes apart (8 for a key array, 24 to land
// in the sort's tuples).
//
// 2 and 3 dims run Skilling's AxestoTranspose (see hilbert.ts) on four points per i32x4: one
// vector per axis holds that axis for points i..i+3, and the invert-or-exchange step becomes lane
// masks, so the loop has no data-dependent branch at all. Each iteration carries two such groups
// (eight points) through the levels: one group's steps are a serial chain through axis 0, and a
// second chain fills its latency (3D, bits 21: 32 M keys/s with one chain, 46 M/s with two). The
// transposed words are widened to i64x2 and interleaved with the same magic-mask spreads as the
// scalar path. The last count % 8 points go through the scalar fast path, which computes the same
// function. Other dims (1, 4..16) copy each point into the scratch region and take the general path.
//
// Range check: each group of eight points is tested with ORs and one any_true against the bits
// above `bits` before its keys are computed; the SIMD loop stops at the first failing group and
// the scalar loop, which checks every point it keys, finds the first bad point in it.
import {
  HILBERT_COORDINATE_OUT_OF_RANGE, HILBERT_DIMENSIONS_OUT_OF_RANGE, HILBERT_REGION_OUT_OF_BOUNDS,
  HILBERT_SCRATCH_TOO_SMALL, hilbertSpaceValid, regionInMemory,
} from "./hilbert-codes";
import { axesToTranspose, hilbertKey2, hilbertKey3, transposeToKey } from "./hilbert";
import { scratchPointer } from "./scratch";

/** Coordinates in the batch are u32. */
// @ts-ignore: decorator
@inline const BATCH_BITS_MAX: u32 = 32;

// The point index at which the last failing hilbertKeysBatch call on this instance stopped.
// A global is per instance, so each thread reads its own.
let failedIndex: u32 = 0;

/** After hilbertKeysBatch returned COORDINATE_OUT_OF_RANGE: the index of the first bad point. */
export function hilbertBatchFailedIndex(): u32 {
  return failedIndex;
}

// The lane mask of one invert-or-exchange step of AxestoTranspose for axis xi against axis 0:
// all ones in the lanes where xi's bit q is clear. Those lanes exchange X[0]'s bits below q with
// xi's (t = (x ^ xi) & p & clear), the others invert X[0]'s bits below q (p & ~clear).
// @ts-ignore: decorator
@inline function laneStepMask(xi: v128, qv: v128): v128 {
  return i32x4.eq(v128.and(xi, qv), i32x4.splat(0));
}

/** spreadBy2 of two u32 lanes widened to u64. */
// @ts-ignore: decorator
@inline function spreadBy2x2(v: v128): v128 {
  let x = v;
  x = v128.and(v128.or(x, i64x2.shl(x, 16)), i64x2.splat(0x0000ffff0000ffff));
  x = v128.and(v128.or(x, i64x2.shl(x, 8)), i64x2.splat(0x00ff00ff00ff00ff));
  x = v128.and(v128.or(x, i64x2.shl(x, 4)), i64x2.splat(0x0f0f0f0f0f0f0f0f));
  x = v128.and(v128.or(x, i64x2.shl(x, 2)), i64x2.splat(0x3333333333333333));
  return v128.and(v128.or(x, i64x2.shl(x, 1)), i64x2.splat(0x5555555555555555));
}

/** spreadBy3 of two u32 lanes (< 2^21) widened to u64. */
// @ts-ignore: decorator
@inline function spreadBy3x2(v: v128): v128 {
  let x = v;
  x = v128.and(v128.or(x, i64x2.shl(x, 32)), i64x2.splat(0x001f00000000ffff));
  x = v128.and(v128.or(x, i64x2.shl(x, 16)), i64x2.splat(0x001f0000ff0000ff));
  x = v128.and(v128.or(x, i64x2.shl(x, 8)), i64x2.splat(0x100f00f00f00f00f));
  x = v128.and(v128.or(x, i64x2.shl(x, 4)), i64x2.splat(0x10c30c30c30c30c3));
  return v128.and(v128.or(x, i64x2.shl(x, 2)), i64x2.splat(0x1249249249249249));
}

/** suffixParity32 lane-wise, shifted right by one: Skilling's Gray-encode "t" for four points. */
// @ts-ignore: decorator
@inline function grayT(v: v128): v128 {
  let u = v128.xor(v, i32x4.shr_u(v, 1));
  u = v128.xor(u, i32x4.shr_u(u, 2));
  u = v128.xor(u, i32x4.shr_u(u, 4));
  u = v128.xor(u, i32x4.shr_u(u, 8));
  u = v128.xor(u, i32x4.shr_u(u, 16));
  return i32x4.shr_u(u, 1);
}

/** Stores two keys (the lanes of an i64x2) `stride` bytes apart: into a key array or into records. */
// @ts-ignore: decorator
@inline function storeKeyPair(out: usize, stride: usize, keys: v128): void {
  v128.store64_lane(out, keys, 0);
  v128.store64_lane(out + stride, keys, 1);
}

/** Stores the four keys of transposed 2D words (after the Gray encode), the first at out. */
// @ts-ignore: decorator
@inline function storeKeys2(out: usize, stride: usize, x: v128, y: v128): void {
  storeKeyPair(out, stride, v128.or(i64x2.shl(spreadBy2x2(i64x2.extend_low_i32x4_u(x)), 1),
    spreadBy2x2(i64x2.extend_low_i32x4_u(y))));
  storeKeyPair(out + 2 * stride, stride, v128.or(i64x2.shl(spreadBy2x2(i64x2.extend_high_i32x4_u(x)), 1),
    spreadBy2x2(i64x2.extend_high_i32x4_u(y))));
}

/**
 * Keys of `pairs` pairs of groups of four 2D points, two chains as in keys3Simd. Returns the
 * points keyed: 8 * pairs, or fewer if a pair has a coordinate with a bit in `high`.
 */
// The steps are written out for both groups, as AssemblyScript has no multiple returns.
function keys2Simd(coords: usize, pairs: u32, bits: u32, high: v128, outKeys: usize, stride: usize): u32 {
  const top = i32x4.splat(1 << (bits - 1));
  for (let g: u32 = 0; g < pairs; g++) {
    // Sixteen u32: x0 y0 x1 y1 | x2 y2 x3 y3 | x4 y4 x5 y5 | x6 y6 x7 y7.
    const in_ = coords + (<usize>g << 6);
    const a = v128.load(in_);
    const b = v128.load(in_, 16);
    const c = v128.load(in_, 32);
    const d = v128.load(in_, 48);
    if (v128.any_true(v128.and(v128.or(v128.or(a, b), v128.or(c, d)), high))) return g << 3;
    let x = i32x4.shuffle(a, b, 0, 2, 4, 6);
    let y = i32x4.shuffle(a, b, 1, 3, 5, 7);
    let u = i32x4.shuffle(c, d, 0, 2, 4, 6);
    let v = i32x4.shuffle(c, d, 1, 3, 5, 7);
    let qv = top;
    for (let level = bits - 1; level >= 1; level--) {
      const pv = i32x4.sub(qv, i32x4.splat(1));
      x = v128.xor(x, v128.andnot(pv, laneStepMask(x, qv)));
      u = v128.xor(u, v128.andnot(pv, laneStepMask(u, qv)));
      const clearY = laneStepMask(y, qv);
      const clearV = laneStepMask(v, qv);
      const tY = v128.and(v128.and(v128.xor(x, y), pv), clearY);
      const tV = v128.and(v128.and(v128.xor(u, v), pv), clearV);
      x = v128.xor(x, v128.xor(v128.andnot(pv, clearY), tY));
      u = v128.xor(u, v128.xor(v128.andnot(pv, clearV), tV));
      y = v128.xor(y, tY);
      v = v128.xor(v, tV);
      qv = i32x4.shr_u(qv, 1);
    }
    y = v128.xor(y, x);
    v = v128.xor(v, u);
    const t1 = grayT(y);
    const t2 = grayT(v);
    const out = outKeys + (<usize>g << 3) * stride;
    storeKeys2(out, stride, v128.xor(x, t1), v128.xor(y, t1));
    storeKeys2(out + 4 * stride, stride, v128.xor(u, t2), v128.xor(v, t2));
  }
  return pairs << 3;
}

/** Loads four 3D points (twelve u32: x0 y0 z0 x1 | y1 z1 x2 y2 | z2 x3 y3 z3) as one vector per axis. */
// @ts-ignore: decorator
@inline function axis3(a: v128, b: v128, c: v128, axis: i32): v128 {
  if (axis == 0) return i32x4.shuffle(i32x4.shuffle(a, b, 0, 3, 6, 6), c, 0, 1, 2, 5);
  if (axis == 1) return i32x4.shuffle(i32x4.shuffle(a, b, 1, 4, 7, 7), c, 0, 1, 2, 6);
  return i32x4.shuffle(i32x4.shuffle(a, b, 2, 5, 5, 5), c, 0, 1, 4, 7);
}

/** Stores the four keys of transposed 3D words (after the Gray encode), the first at out. */
// @ts-ignore: decorator
@inline function storeKeys3(out: usize, stride: usize, x: v128, y: v128, z: v128): void {
  storeKeyPair(out, stride, v128.or(v128.or(
    i64x2.shl(spreadBy3x2(i64x2.extend_low_i32x4_u(x)), 2),
    i64x2.shl(spreadBy3x2(i64x2.extend_low_i32x4_u(y)), 1)),
    spreadBy3x2(i64x2.extend_low_i32x4_u(z))));
  storeKeyPair(out + 2 * stride, stride, v128.or(v128.or(
    i64x2.shl(spreadBy3x2(i64x2.extend_high_i32x4_u(x)), 2),
    i64x2.shl(spreadBy3x2(i64x2.extend_high_i32x4_u(y)), 1)),
    spreadBy3x2(i64x2.extend_high_i32x4_u(z))));
}

/**
 * Keys of `pairs` pairs of groups of four 3D points (bits <= 21). Two groups go through each level
 * together: one group's steps form a serial chain through axis 0 (about 12 dependent operations
 * per level), and the second chain fills the gaps. Returns the points keyed: 8 * pairs, or fewer
 * if a pair has a coordinate with a bit in `high`.
 */
function keys3Simd(coords: usize, pairs: u32, bits: u32, high: v128, outKeys: usize, stride: usize): u32 {
  const top = i32x4.splat(1 << (bits - 1));
  for (let g: u32 = 0; g < pairs; g++) {
    const in_ = coords + <usize>g * 96;
    const a = v128.load(in_);
    const b = v128.load(in_, 16);
    const c = v128.load(in_, 32);
    const d = v128.load(in_, 48);
    const e = v128.load(in_, 64);
    const f = v128.load(in_, 80);
    const all = v128.or(v128.or(v128.or(a, b), v128.or(c, d)), v128.or(e, f));
    if (v128.any_true(v128.and(all, high))) return g << 3;
    let x = axis3(a, b, c, 0);
    let y = axis3(a, b, c, 1);
    let z = axis3(a, b, c, 2);
    let u = axis3(d, e, f, 0);
    let v = axis3(d, e, f, 1);
    let w = axis3(d, e, f, 2);
    let qv = top;
    for (let level = bits - 1; level >= 1; level--) {
      const pv = i32x4.sub(qv, i32x4.splat(1));
      x = v128.xor(x, v128.andnot(pv, laneStepMask(x, qv)));
      u = v128.xor(u, v128.andnot(pv, laneStepMask(u, qv)));
      const clearY = laneStepMask(y, qv);
      const clearV = laneStepMask(v, qv);
      const tY = v128.and(v128.and(v128.xor(x, y), pv), clearY);
      const tV = v128.and(v128.and(v128.xor(u, v), pv), clearV);
      x = v128.xor(x, v128.xor(v128.andnot(pv, clearY), tY));
      u = v128.xor(u, v128.xor(v128.andnot(pv, clearV), tV));
      y = v128.xor(y, tY);
      v = v128.xor(v, tV);
      const clearZ = laneStepMask(z, qv);
      const clearW = laneStepMask(w, qv);
      const tZ = v128.and(v128.and(v128.xor(x, z), pv), clearZ);
      const tW = v128.and(v128.and(v128.xor(u, w), pv), clearW);
      x = v128.xor(x, v128.xor(v128.andnot(pv, clearZ), tZ));
      u = v128.xor(u, v128.xor(v128.andnot(pv, clearW), tW));
      z = v128.xor(z, tZ);
      w = v128.xor(w, tW);
      qv = i32x4.shr_u(qv, 1);
    }
    y = v128.xor(y, x);
    z = v128.xor(z, y);
    v = v128.xor(v, u);
    w = v128.xor(w, v);
    const t1 = grayT(z);
    const t2 = grayT(w);
    const out = outKeys + (<usize>g << 3) * stride;
    storeKeys3(out, stride, v128.xor(x, t1), v128.xor(y, t1), v128.xor(z, t1));
    storeKeys3(out + 4 * stride, stride, v128.xor(u, t2), v128.xor(v, t2), v128.xor(w, t2));
  }
  return pairs << 3;
}

/**
 * Keys of points [from, count) one at a time, each checked first. Returns the first point with a
 * coordinate above `limit` (its key and the later ones unwritten), or count.
 */
function keysScalar(dims: u32, bits: u32, limit: u32, coords: usize, from: u32, count: u32,
  outKeys: usize, stride: usize, work: usize): u32 {
  for (let i = from; i < count; i++) {
    const point = coords + ((<usize>i * dims) << 2);
    for (let a: u32 = 0; a < dims; a++) if (load<u32>(point + (<usize>a << 2)) > limit) return i;
    let key: u64;
    if (dims == 2) {
      key = hilbertKey2(load<u32>(point), load<u32>(point, 4), bits);
    } else if (dims == 3) {
      key = hilbertKey3(load<u32>(point), load<u32>(point, 4), load<u32>(point, 8), bits);
    } else {
      for (let a: u32 = 0; a < dims; a++) store<u64>(work + (<usize>a << 3), <u64>load<u32>(point + (<usize>a << 2)));
      axesToTranspose(work, dims, bits);
      key = transposeToKey(work, dims, bits);
    }
    store<u64>(outKeys + <usize>i * stride, key);
  }
  return count;
}

/**
 * Hilbert keys of `count` points at `coords` (u32 coordinates, interleaved per point), the key of
 * point i as a u64 at outKeys + i * outKeyStride: 8 for a key array, or a record's size to write
 * each key into its record (the sort's 24-byte tuples, key first). Returns count, or
 * DIMENSIONS_OUT_OF_RANGE (also for bits > 32), REGION_OUT_OF_BOUNDS (also for a stride below 8),
 * SCRATCH_TOO_SMALL (dims other than 2 and 3 need the scratch region), or COORDINATE_OUT_OF_RANGE:
 * then hilbertBatchFailedIndex() is the first bad point; keys of points before it may have been
 * written, its own and later ones were not.
 */
export function hilbertKeysBatch(dims: u32, bits: u32, coords: usize, count: u32, outKeys: usize, outKeyStride: u32): i32 {
  if (!hilbertSpaceValid(dims, bits) || bits > BATCH_BITS_MAX) return HILBERT_DIMENSIONS_OUT_OF_RANGE;
  if (count > <u32>i32.MAX_VALUE || outKeyStride < 8) return HILBERT_REGION_OUT_OF_BOUNDS;
  const outBytes = count == 0 ? 0 : <u64>(count - 1) * outKeyStride + 8;
  if (!regionInMemory(coords, (<u64>count * dims) << 2) || !regionInMemory(outKeys, outBytes)) {
    return HILBERT_REGION_OUT_OF_BOUNDS;
  }
  const work = scratchPointer();
  if (dims != 2 && dims != 3 && work == 0) return HILBERT_SCRATCH_TOO_SMALL;
  const limit: u32 = bits == BATCH_BITS_MAX ? 0xffffffff : (<u32>1 << bits) - 1;
  const high = i32x4.splat(~limit);
  const stride = <usize>outKeyStride;
  let done: u32 = 0;
  if (dims == 2) done = keys2Simd(coords, count >> 3, bits, high, outKeys, stride);
  else if (dims == 3) done = keys3Simd(coords, count >> 3, bits, high, outKeys, stride);
  // After a SIMD stop, the first bad point is among the next eight, and the scalar loop finds it.
  const end = keysScalar(dims, bits, limit, coords, done, count, outKeys, stride, work);
  if (end < count) {
    failedIndex = end;
    return HILBERT_COORDINATE_OUT_OF_RANGE;
  }
  return <i32>count;
}
