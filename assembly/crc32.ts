// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) and CRC-32C (Castagnoli, reflected
// polynomial 0x82F63B78), with zlib's continuation convention: crc(b, crc(a, 0)) == crc(a ++ b, 0).
//
// Three methods, chosen by length:
//
// 1. Slicing-by-8 tables for short inputs and for the residuals of methods 2 and 3.
//
// 2. A sparse-multiple reduction for long inputs, in the spirit of Chorba (Sam Russell, 2024,
//    "Chorba: A novel CRC32 implementation", arXiv:2412.16398): no tables and no carry-less
//    multiply on the bulk of the data, only 128-bit XORs.
//
//    Let z = x^128. For each polynomial we searched (offline, exhaustively in increasing n) a
//    multiple of P that is sparse in z:
//      CRC-32:  z^300 + z^155 + z^117 + z^89 + 1                    ≡ 0 (mod P)
//      CRC-32C: z^209 + z^144 + z^54 + z^39 + z^14 + 1               ≡ 0 (mod P)
//    (CRC-32C's P has the factor x+1, so its multiples have an even number of terms.)
//    A 16-byte unit U at unit index i, n or more units from the end, stands for U·z^(N-1-i).
//    Because z^n ≡ z^a + ... + 1, the unit can be cleared and XORed, bit-aligned, into the units
//    i+n-a, ..., i+n without changing the remainder. Pulling instead of pushing, the reduced
//    unit is r[i] = data[i] ^ r[i-d1] ^ ... ^ r[i-n] with d = n - a; every pulled r is at
//    least 65 units old, so the loads never wait on the store that produced them. Only the
//    last n units (4.8 KiB / 3.3 KiB) and the sub-unit tail go through the tables.
//    The reduced units live in a 512-unit ring in this instance's scratch region.
//
// The initial register is folded into the first 4 message bytes, exactly as the table loop does
// with `crc ^= word`; after that, leading zero units do not change a zero register.
//
// 3. Between the two (512 B up to the sparse threshold): four quarters of the input in lockstep
//    table chains, joined by multiplying by x^(8q) mod P (section 3 below).

import { scratchPointer } from "./scratch";

// @ts-ignore: decorator
@inline const TABLE_ENTRIES: usize = 256;
// @ts-ignore: decorator
@inline const TABLE_SIZE: usize = TABLE_ENTRIES * 4;
// @ts-ignore: decorator
@inline const SLICES: usize = 8;
// @ts-ignore: decorator
@inline const TABLES_SIZE: usize = TABLE_SIZE * SLICES;

// @ts-ignore: decorator
@inline const POLY_CRC32: u32 = 0xedb88320;
// @ts-ignore: decorator
@inline const POLY_CRC32C: u32 = 0x82f63b78;

// Slicing tables, filled by crcInit(). Static memory below __heap_base, never written again.
const tablesCrc32: usize = memory.data(<i32>TABLES_SIZE, 64);
const tablesCrc32c: usize = memory.data(<i32>TABLES_SIZE, 64);

// The ring of reduced units for the sparse method, at the start of the scratch region.
// @ts-ignore: decorator
@inline const UNIT_SIZE: usize = 16;
// @ts-ignore: decorator
@inline const RING_UNITS: usize = 512;
// @ts-ignore: decorator
@inline const RING_MASK: usize = RING_UNITS * UNIT_SIZE - 1;
export const CRC_RING_SIZE: usize = RING_UNITS * UNIT_SIZE;

// Below this many bytes the table loop is used for the whole input: the sparse method needs
// at least 2n units so that its hot loop runs, and gains little on anything shorter.
// @ts-ignore: decorator
@inline const SPARSE_MIN_BYTES: usize = 4 * 300 * UNIT_SIZE;

let tablesReady: bool = false;

function fillTables(tables: usize, poly: u32): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) ? (c >>> 1) ^ poly : c >>> 1;
    store<u32>(tables + (<usize>i << 2), c);
  }
  for (let s: usize = 1; s < SLICES; s++) {
    for (let i: usize = 0; i < 256; i++) {
      const prev = load<u32>(tables + (s - 1) * TABLE_SIZE + (i << 2));
      const next = (prev >>> 8) ^ load<u32>(tables + ((<usize>(prev & 0xff)) << 2));
      store<u32>(tables + s * TABLE_SIZE + (i << 2), next);
    }
  }
}

/**
 * Fills the CRC tables. Idempotent: every instance may call it; the values written are the same,
 * so a second thread writing them while the first reads them is benign.
 */
export function crcInit(): void {
  if (tablesReady) return;
  fillTables(tablesCrc32, POLY_CRC32);
  fillTables(tablesCrc32c, POLY_CRC32C);
  tablesReady = true;
}

// @ts-ignore: decorator
@inline function slice(tables: usize, s: usize, index: u32): u32 {
  return load<u32>(tables + s * TABLE_SIZE + ((<usize>(index & 0xff)) << 2));
}

/** Table loop over raw (non-inverted) register state. */
export function crcTableRaw(tables: usize, ptr: usize, len: usize, reg: u32): u32 {
  let p = ptr;
  const end = ptr + len;
  while (p < end && (p & 7) != 0) {
    reg = load<u32>(tables + ((<usize>((reg ^ load<u8>(p)) & 0xff)) << 2)) ^ (reg >>> 8);
    p++;
  }
  while (p + 8 <= end) {
    const lo = load<u32>(p) ^ reg;
    const hi = load<u32>(p, 4);
    reg =
      slice(tables, 7, lo) ^ slice(tables, 6, lo >>> 8) ^ slice(tables, 5, lo >>> 16) ^ slice(tables, 4, lo >>> 24) ^
      slice(tables, 3, hi) ^ slice(tables, 2, hi >>> 8) ^ slice(tables, 1, hi >>> 16) ^ slice(tables, 0, hi >>> 24);
    p += 8;
  }
  while (p < end) {
    reg = load<u32>(tables + ((<usize>((reg ^ load<u8>(p)) & 0xff)) << 2)) ^ (reg >>> 8);
    p++;
  }
  return reg;
}

/** The CRC-32C slicing tables, for callers that run their own table loops (frame.ts). */
export function crc32cTables(): usize {
  return tablesCrc32c;
}

/** One 4-byte step (slicing-by-4) of the raw register over a little-endian word. */
// @ts-ignore: decorator
@inline export function crcWordRaw(tables: usize, word: u32, reg: u32): u32 {
  const x = word ^ reg;
  return slice(tables, 3, x) ^ slice(tables, 2, x >>> 8) ^ slice(tables, 1, x >>> 16) ^ slice(tables, 0, x >>> 24);
}

// @ts-ignore: decorator
@inline function slicing8Step(tables: usize, p: usize, reg: u32): u32 {
  const lo = load<u32>(p) ^ reg;
  const hi = load<u32>(p, 4);
  return slice(tables, 7, lo) ^ slice(tables, 6, lo >>> 8) ^ slice(tables, 5, lo >>> 16) ^ slice(tables, 4, lo >>> 24) ^
    slice(tables, 3, hi) ^ slice(tables, 2, hi >>> 8) ^ slice(tables, 1, hi >>> 16) ^ slice(tables, 0, hi >>> 24);
}

/**
 * Four independent raw-register table chains over `len` bytes each (len a multiple of 8), run in
 * lockstep. One chain is bound by the latency of load -> xor -> load (about 1.3 GB/s here);
 * four interleaved chains keep the load ports busy instead. Registers in and out at `regs` (4 x u32).
 */
export function crcTableRaw4(tables: usize, p0: usize, p1: usize, p2: usize, p3: usize, len: usize, regs: usize): void {
  assert((len & 7) == 0); // lockstep runs whole 8-byte steps only; a host bug otherwise
  let r0 = load<u32>(regs, 0), r1 = load<u32>(regs, 4), r2 = load<u32>(regs, 8), r3 = load<u32>(regs, 12);
  for (let o: usize = 0; o < len; o += 8) {
    r0 = slicing8Step(tables, p0 + o, r0);
    r1 = slicing8Step(tables, p1 + o, r1);
    r2 = slicing8Step(tables, p2 + o, r2);
    r3 = slicing8Step(tables, p3 + o, r3);
  }
  store<u32>(regs, r0, 0);
  store<u32>(regs, r1, 4);
  store<u32>(regs, r2, 8);
  store<u32>(regs, r3, 12);
}

/** True when crc32c() would take the sparse path for this length. */
export function crcUsesSparse(len: usize): bool {
  return len >= SPARSE_MIN_BYTES && scratchPointer() != 0;
}

// @ts-ignore: decorator
@inline function ringAt(ring: usize, unitOffset: usize): usize {
  return ring + (unitOffset & RING_MASK);
}

/**
 * The sparse-multiple reduction, for z^n + z^a1 + ... + 1 given as pull distances d = n - a
 * (d4 = 0 means the polynomial has only three middle terms). Returns the raw register.
 */
// @ts-ignore: decorator
@inline function crcSparseRaw(tables: usize, ptr: usize, len: usize, reg: u32,
  n: usize, d1: usize, d2: usize, d3: usize, d4: usize): u32 {
  const ring = scratchPointer();
  const units = len / UNIT_SIZE;
  const pushed = units - n;                 // units [0, pushed) are cleared into later units
  const nBytes = n * UNIT_SIZE;
  const d1b = d1 * UNIT_SIZE, d2b = d2 * UNIT_SIZE, d3b = d3 * UNIT_SIZE, d4b = d4 * UNIT_SIZE;

  // Units [0, n): the first n units; only distances that reach unit 0 or later pull.
  const first = i32x4.replace_lane(i32x4.splat(0), 0, <i32>reg);
  for (let o: usize = 0; o < nBytes; o += UNIT_SIZE) {
    let r = v128.load(ptr + o);
    if (o == 0) r = v128.xor(r, first);
    if (o >= d1b) r = v128.xor(r, v128.load(ringAt(ring, o - d1b)));
    if (o >= d2b) r = v128.xor(r, v128.load(ringAt(ring, o - d2b)));
    if (o >= d3b) r = v128.xor(r, v128.load(ringAt(ring, o - d3b)));
    if (d4 != 0 && o >= d4b) r = v128.xor(r, v128.load(ringAt(ring, o - d4b)));
    v128.store(ringAt(ring, o), r);
  }
  // Units [n, pushed): the hot loop; every source is a pushed unit.
  const pushedBytes = pushed * UNIT_SIZE;
  for (let o: usize = nBytes; o < pushedBytes; o += UNIT_SIZE) {
    let r = v128.xor(v128.load(ptr + o), v128.load(ringAt(ring, o - nBytes)));
    r = v128.xor(r, v128.xor(v128.load(ringAt(ring, o - d1b)), v128.load(ringAt(ring, o - d2b))));
    r = v128.xor(r, v128.load(ringAt(ring, o - d3b)));
    if (d4 != 0) r = v128.xor(r, v128.load(ringAt(ring, o - d4b)));
    v128.store(ringAt(ring, o), r);
  }
  // Units [pushed, units): the residual; it pulls only from pushed units and is not pushed.
  const unitsBytes = units * UNIT_SIZE;
  for (let o: usize = pushedBytes; o < unitsBytes; o += UNIT_SIZE) {
    let r = v128.load(ptr + o);
    if (o - nBytes < pushedBytes) r = v128.xor(r, v128.load(ringAt(ring, o - nBytes)));
    if (o - d1b < pushedBytes) r = v128.xor(r, v128.load(ringAt(ring, o - d1b)));
    if (o - d2b < pushedBytes) r = v128.xor(r, v128.load(ringAt(ring, o - d2b)));
    if (o - d3b < pushedBytes) r = v128.xor(r, v128.load(ringAt(ring, o - d3b)));
    if (d4 != 0 && o - d4b < pushedBytes) r = v128.xor(r, v128.load(ringAt(ring, o - d4b)));
    v128.store(ringAt(ring, o), r);
  }
  // The residual is n units in the ring, possibly wrapping, then the tail bytes of the input.
  const start = pushedBytes & RING_MASK;
  const firstPart = min(nBytes, RING_MASK + 1 - start);
  let raw = crcTableRaw(tables, ring + start, firstPart, 0);
  raw = crcTableRaw(tables, ring, nBytes - firstPart, raw);
  return crcTableRaw(tables, ptr + unitsBytes, len - unitsBytes, raw);
}

// --- 3. Four lanes and a combine, for medium inputs ---
//
// One table chain is bound by load -> xor -> load latency (about 1.3 GB/s here), and the sparse
// method needs about 19 KiB before it pays. In between (a 4 KiB log entry, say), the input is cut
// into four equal quarters whose raw registers run in lockstep (crcTableRaw4's loop), then joined:
// a raw register r followed by n bytes equals r * x^(8n) mod P xor the raw CRC of those n bytes
// from zero (the register update is linear, and a zero byte multiplies the register by x^8). So
// with Q = x^(8q) for a quarter of q bytes: r = ((r0 * Q ^ r1) * Q ^ r2) * Q ^ r3.
//
// Polynomials here are reflected like the registers: bit 31 is the coefficient of x^0.

// @ts-ignore: decorator
@inline const X0: u32 = 0x80000000;
// Below this many bytes the single chain is used: the combine costs about 3 quarter-length
// multiplications (up to ~100 ns with x^(8q) computed afresh) and would eat the gain.
// @ts-ignore: decorator
@inline const LANES_MIN_BYTES: usize = 512;

/** a * b mod P for reflected polynomials: shift-and-add over a's bits, b times x per step. */
function multModP(a: u32, b: u32, poly: u32): u32 {
  let product: u32 = 0;
  for (let m = X0; a != 0; m >>>= 1) {
    if (a & m) {
      product ^= b;
      a ^= m;
    }
    b = (b & 1) ? (b >>> 1) ^ poly : b >>> 1;
  }
  return product;
}

/** x^(8 * bytes) mod P by squaring: x^(2^k) for each set bit k of 8 * bytes, multiplied together. */
function xPowBytes(bytes: usize, poly: u32): u32 {
  let result = X0;
  let power: u32 = X0 >>> 1; // x^1, then x^2, x^4, ...
  for (let bits = <u64>bytes << 3; bits != 0; bits >>= 1) {
    if (bits & 1) result = multModP(result, power, poly);
    power = multModP(power, power, poly);
  }
  return result;
}

// The last quarter length seen and its x^(8q), per polynomial: log entries repeat their sizes.
let cachedQuarter32: usize = 0, cachedShift32: u32 = X0;
let cachedQuarter32c: usize = 0, cachedShift32c: u32 = X0;

function quarterShift(quarter: usize, poly: u32): u32 {
  if (poly == POLY_CRC32) {
    if (quarter != cachedQuarter32) {
      cachedShift32 = xPowBytes(quarter, poly);
      cachedQuarter32 = quarter;
    }
    return cachedShift32;
  }
  if (quarter != cachedQuarter32c) {
    cachedShift32c = xPowBytes(quarter, poly);
    cachedQuarter32c = quarter;
  }
  return cachedShift32c;
}

/** The raw register over [ptr, ptr+len) from `reg`, four quarters in lockstep, then the tail. */
function crcLanesRaw(tables: usize, poly: u32, ptr: usize, len: usize, reg: u32): u32 {
  const quarter = (len >> 5) << 3; // a multiple of 8, four of them at most len
  const p1 = ptr + quarter, p2 = p1 + quarter, p3 = p2 + quarter;
  let r0 = reg, r1: u32 = 0, r2: u32 = 0, r3: u32 = 0;
  for (let o: usize = 0; o < quarter; o += 8) {
    r0 = slicing8Step(tables, ptr + o, r0);
    r1 = slicing8Step(tables, p1 + o, r1);
    r2 = slicing8Step(tables, p2 + o, r2);
    r3 = slicing8Step(tables, p3 + o, r3);
  }
  const shift = quarterShift(quarter, poly);
  const joined = multModP(multModP(multModP(r0, shift, poly) ^ r1, shift, poly) ^ r2, shift, poly) ^ r3;
  return crcTableRaw(tables, p3 + quarter, len - 4 * quarter, joined);
}

/** CRC-32 (IEEE) of [ptr, ptr+len), continuing from `crc` (0 to start). */
export function crc32(ptr: usize, len: usize, crc: u32): u32 {
  if (len >= SPARSE_MIN_BYTES && scratchPointer() != 0) {
    return ~crcSparseRaw(tablesCrc32, ptr, len, ~crc, 300, 300 - 155, 300 - 117, 300 - 89, 0);
  }
  if (len >= LANES_MIN_BYTES) return ~crcLanesRaw(tablesCrc32, POLY_CRC32, ptr, len, ~crc);
  return ~crcTableRaw(tablesCrc32, ptr, len, ~crc);
}

/** CRC-32C (Castagnoli) of [ptr, ptr+len), continuing from `crc` (0 to start). */
export function crc32c(ptr: usize, len: usize, crc: u32): u32 {
  if (len >= SPARSE_MIN_BYTES && scratchPointer() != 0) {
    return ~crcSparseRaw(tablesCrc32c, ptr, len, ~crc, 209, 209 - 144, 209 - 54, 209 - 39, 209 - 14);
  }
  if (len >= LANES_MIN_BYTES) return ~crcLanesRaw(tablesCrc32c, POLY_CRC32C, ptr, len, ~crc);
  return ~crcTableRaw(tablesCrc32c, ptr, len, ~crc);
}

/** CRC-32C by the table method only, for tests that compare the two methods. */
export function crc32cTable(ptr: usize, len: usize, crc: u32): u32 {
  return ~crcTableRaw(tablesCrc32c, ptr, len, ~crc);
}

/** CRC-32 by the table method only, for tests that compare the two methods. */
export function crc32Table(ptr: usize, len: usize, crc: u32): u32 {
  return ~crcTableRaw(tablesCrc32, ptr, len, ~crc);
}
