// Result codes of the Hilbert functions, and the one check of a (dims, bits) space that they share.
//
// Every Hilbert export returns 0 (or a count) on success and one of these negative codes on bad
// input; none of them traps and none of them masks a value into range. host/core/hilbert-space.ts
// mirrors this table and turns each code into a typed error.
//
//   code  name                        meaning
//   ----  --------------------------  ------------------------------------------------------------
//    -1   DIMENSIONS_OUT_OF_RANGE     dims outside 1..16, bits 0, dims*bits > 64, or (batch) bits > 32
//    -2   COORDINATE_OUT_OF_RANGE     a coordinate (or a box corner) is >= 2^bits
//    -3   KEY_OUT_OF_RANGE            a key is >= 2^(dims*bits)
//    -4   SCRATCH_TOO_SMALL           no scratch region, or the work region given is too small
//    -5   REGION_OUT_OF_BOUNDS        a pointer plus its length lies outside the memory (or a batch's
//                                     count is above 2^31 - 1 or its key stride below 8)
//    -6   BOX_INVERTED                a box has min > max on some axis
//    -7   RANGES_MAX_OUT_OF_RANGE     the ranges budget is 0 or above HILBERT_RANGES_MAX (16384)

// @ts-ignore: decorator
@inline export const HILBERT_OK: i32 = 0;
// @ts-ignore: decorator
@inline export const HILBERT_DIMENSIONS_OUT_OF_RANGE: i32 = -1;
// @ts-ignore: decorator
@inline export const HILBERT_COORDINATE_OUT_OF_RANGE: i32 = -2;
// @ts-ignore: decorator
@inline export const HILBERT_KEY_OUT_OF_RANGE: i32 = -3;
// @ts-ignore: decorator
@inline export const HILBERT_SCRATCH_TOO_SMALL: i32 = -4;
// @ts-ignore: decorator
@inline export const HILBERT_REGION_OUT_OF_BOUNDS: i32 = -5;
// @ts-ignore: decorator
@inline export const HILBERT_BOX_INVERTED: i32 = -6;
// @ts-ignore: decorator
@inline export const HILBERT_RANGES_MAX_OUT_OF_RANGE: i32 = -7;

/** A key is a u64, so a space has at most 64 key bits; 16 axes of 4 bits is the widest space. */
// @ts-ignore: decorator
@inline export const HILBERT_DIMS_MAX: u32 = 16;
// @ts-ignore: decorator
@inline export const HILBERT_KEY_BITS_MAX: u32 = 64;

/** True if dims in 1..16, bits >= 1 and dims*bits <= 64. */
// @ts-ignore: decorator
@inline export function hilbertSpaceValid(dims: u32, bits: u32): bool {
  // bits is tested before the product: 16 * 2^28 wraps a u32 to 0.
  return dims >= 1 && dims <= HILBERT_DIMS_MAX && bits >= 1 && bits <= HILBERT_KEY_BITS_MAX &&
    dims * bits <= HILBERT_KEY_BITS_MAX;
}

/** The n low bits set, for n in 0..64 (a shift by 64 would be a shift by 0 in wasm). */
// @ts-ignore: decorator
@inline export function lowBitsMask(n: u32): u64 {
  return n >= 64 ? ~<u64>0 : (<u64>1 << n) - 1;
}

/** True if [ptr, ptr + sizeBytes) lies inside the memory, computed in u64 so it cannot wrap. */
// @ts-ignore: decorator
@inline export function regionInMemory(ptr: usize, sizeBytes: u64): bool {
  return <u64>ptr + sizeBytes <= (<u64>memory.size() << 16);
}
