// XXH64 (Yann Collet, xxHash specification "XXH64 algorithm"), used to checksum blocks and
// manifests. Little-endian loads; the result equals the reference for every length and seed.

// @ts-ignore: decorator
@inline const PRIME64_1: u64 = 0x9e3779b185ebca87;
// @ts-ignore: decorator
@inline const PRIME64_2: u64 = 0xc2b2ae3d27d4eb4f;
// @ts-ignore: decorator
@inline const PRIME64_3: u64 = 0x165667b19e3779f9;
// @ts-ignore: decorator
@inline const PRIME64_4: u64 = 0x85ebca77c2b2ae63;
// @ts-ignore: decorator
@inline const PRIME64_5: u64 = 0x27d4eb2f165667c5;
// @ts-ignore: decorator
@inline const STRIPE_SIZE: usize = 32;

// @ts-ignore: decorator
@inline function xxhRound(acc: u64, input: u64): u64 {
  return rotl<u64>(acc + input * PRIME64_2, 31) * PRIME64_1;
}

// @ts-ignore: decorator
@inline function xxhMergeRound(acc: u64, value: u64): u64 {
  return (acc ^ xxhRound(0, value)) * PRIME64_1 + PRIME64_4;
}

/** XXH64 of [ptr, ptr+len) with `seed`. */
export function xxh64(ptr: usize, len: usize, seed: u64): u64 {
  let p = ptr;
  const end = ptr + len;
  let h: u64;
  if (len >= STRIPE_SIZE) {
    let v1 = seed + PRIME64_1 + PRIME64_2;
    let v2 = seed + PRIME64_2;
    let v3 = seed;
    let v4 = seed - PRIME64_1;
    const stripesEnd = end - STRIPE_SIZE;
    while (p <= stripesEnd) {
      v1 = xxhRound(v1, load<u64>(p));
      v2 = xxhRound(v2, load<u64>(p, 8));
      v3 = xxhRound(v3, load<u64>(p, 16));
      v4 = xxhRound(v4, load<u64>(p, 24));
      p += STRIPE_SIZE;
    }
    h = rotl<u64>(v1, 1) + rotl<u64>(v2, 7) + rotl<u64>(v3, 12) + rotl<u64>(v4, 18);
    h = xxhMergeRound(h, v1);
    h = xxhMergeRound(h, v2);
    h = xxhMergeRound(h, v3);
    h = xxhMergeRound(h, v4);
  } else {
    h = seed + PRIME64_5;
  }
  h += <u64>len;
  while (p + 8 <= end) {
    h ^= xxhRound(0, load<u64>(p));
    h = rotl<u64>(h, 27) * PRIME64_1 + PRIME64_4;
    p += 8;
  }
  if (p + 4 <= end) {
    h ^= <u64>load<u32>(p) * PRIME64_1;
    h = rotl<u64>(h, 23) * PRIME64_2 + PRIME64_3;
    p += 4;
  }
  while (p < end) {
    h ^= <u64>load<u8>(p) * PRIME64_5;
    h = rotl<u64>(h, 11) * PRIME64_1;
    p++;
  }
  h ^= h >> 33;
  h *= PRIME64_2;
  h ^= h >> 29;
  h *= PRIME64_3;
  h ^= h >> 32;
  return h;
}
