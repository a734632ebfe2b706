// Sorts (key u64, revision u64, index u32) tuples by (key, revision), ascending. A radix sort,
// not a comparator sort, and stable: tuples with equal (key, revision) keep their input order.
//
// ╒══════════════════════ Tuple layout (24 bytes) ══════════════════════╕
//   0               8               16      20      24  byte offset
// ├───────────────┼───────────────┼───────┼───────┤
// │   key u64 LE  │ revision u64  │ index │  pad  │
// │               │      LE       │ u32 LE│       │
// └───────────────┴───────────────┴───────┴───────┘
// The sort moves all 24 bytes, padding included: whatever the host keeps in the padding travels
// with its tuple.
//
// The sort key is the 128-bit number (key << 64) | revision. Only bits that differ between tuples
// are looked at: a pre-pass ORs every key and revision XORed with the first tuple's, and a bit
// outside that mask is equal everywhere (sortPlanDigits).
//
// Two phases, because a counting-sort pass that scatters into many buckets far apart in memory is
// limited by the TLB and cache misses, not by arithmetic. Measured on the 2-core Xeon this was
// written on, 1 M tuples (24 MB): one pass into 64 buckets takes 5 ns per tuple, into 256 or 2048
// buckets 12-14 ns, while a 2048-bucket pass over 16 K tuples that sit in L2 takes 3 ns.
//
// 1. Most significant digit first, while a range is larger than SORT_LEAF_TUPLES_MAX: one stable
//    pass on the top MSD_DIGIT_BITS varying bits splits the range into 64 buckets, and each bucket
//    is sorted on its own (sortRange). A bucket's top bits are equal, so its own varying-bit mask
//    no longer contains them: every level consumes at least one digit of a word, which bounds the
//    depth by MSD_DEPTH_MAX.
// 2. Least significant digit first inside a range that fits in L2 (sortLeaf): every digit's
//    histogram in one pre-pass, then one stable pass per digit, up to 11 bits per digit. A digit
//    whose histogram has one bucket holding every tuple is skipped: its pass would only copy.
//
// Worked example, the Hilbert-key case this is for: 1 M points with 60-bit keys (3 dimensions ×
// 20 bits) and one revision. The revision mask is 0. Level 1 splits on key bits 54..59 into 64
// buckets of about 15 600 tuples (375 KB). Each bucket's mask spans key bits 0..53: 54 bits in
// ceil(54 / 11) = 5 digits of ceil(54 / 5) = 11 bits, five passes in L2; an odd count is just
// right here, because the MSD pass left the bucket in the buffer and the fifth pass writes it back
// into `tuples`. No revision pass ever runs. Total: 33 ms, 30 M tuples/s (an LSD sort over the
// whole array, six out-of-cache passes of 10 bits, took 72 ms).
//
// ╒══════════════════════════ Scratch layout ═════════════════════════════╕
//   0                         LSD_HISTOGRAMS_SIZE         HISTOGRAMS_SIZE     + count × 24
// ├─────────────────────────┼───────────────────────────┼────────────────────┤
// │ SORT_DIGITS_MAX LSD      │ MSD_DEPTH_MAX MSD          │ ping-pong buffer:  │
// │ histograms, each         │ histograms, each           │ count tuples       │
// │ SORT_BUCKETS_MAX × u32   │ MSD_BUCKETS × u32          │                    │
// └─────────────────────────┴───────────────────────────┴────────────────────┘
// 12 × 2048 × 4 = 98 304 bytes of LSD histograms and 22 × 64 × 4 = 5 632 of MSD histograms make
// HISTOGRAMS_SIZE = 103 936, so sortScratchSize(1 M) = 103 936 + 24 000 000 bytes.
// Passes alternate between `tuples` and the buffer; a range whose result lands in the wrong one is
// copied across while it is in cache, so the sorted tuples always end in `tuples`.

// @ts-ignore: decorator
@inline const TUPLE_SIZE: usize = 24;
// @ts-ignore: decorator
@inline const TUPLE_KEY_OFFSET: usize = 0;
// @ts-ignore: decorator
@inline const TUPLE_REVISION_OFFSET: usize = TUPLE_KEY_OFFSET + 8;
// @ts-ignore: decorator
@inline const TUPLE_INDEX_OFFSET: usize = TUPLE_REVISION_OFFSET + 8;
// @ts-ignore: decorator
@inline const TUPLE_PAD_OFFSET: usize = TUPLE_INDEX_OFFSET + 4;
// @ts-ignore: decorator
@inline const TUPLE_END: usize = TUPLE_PAD_OFFSET + 4;

// @ts-ignore: decorator
@inline const DIGIT_BITS_MAX: u32 = 11;
// @ts-ignore: decorator
@inline const SORT_BUCKETS_MAX: usize = 1 << DIGIT_BITS_MAX;
// Digits never straddle the two words; 64 bits need ceil(64 / 11) = 6 digits per word.
// @ts-ignore: decorator
@inline const DIGITS_PER_WORD_MAX: u32 = (64 + DIGIT_BITS_MAX - 1) / DIGIT_BITS_MAX;
// @ts-ignore: decorator
@inline const SORT_DIGITS_MAX: u32 = 2 * DIGITS_PER_WORD_MAX;
// @ts-ignore: decorator
@inline const LSD_HISTOGRAM_SIZE: usize = SORT_BUCKETS_MAX * 4;
// @ts-ignore: decorator
@inline const LSD_HISTOGRAMS_SIZE: usize = <usize>SORT_DIGITS_MAX * LSD_HISTOGRAM_SIZE;

// 64 buckets is the most one out-of-cache pass scatters into at full speed (see above).
// @ts-ignore: decorator
@inline const MSD_DIGIT_BITS: u32 = 6;
// @ts-ignore: decorator
@inline const MSD_BUCKETS: usize = 1 << MSD_DIGIT_BITS;
// Each level consumes one digit of at most 6 bits of a word, and a word's varying span of up to
// 64 bits takes at most ceil(64 / 6) = 11 digits: 22 levels for both words.
// @ts-ignore: decorator
@inline const MSD_DEPTH_MAX: u32 = 2 * ((64 + MSD_DIGIT_BITS - 1) / MSD_DIGIT_BITS);
// @ts-ignore: decorator
@inline const MSD_HISTOGRAM_SIZE: usize = MSD_BUCKETS * 4;
// @ts-ignore: decorator
@inline const HISTOGRAMS_SIZE: usize = LSD_HISTOGRAMS_SIZE + <usize>MSD_DEPTH_MAX * MSD_HISTOGRAM_SIZE;

// A range of at most this many tuples is sorted LSD first: 16 K tuples are 384 KB, 768 KB with
// the buffer, which stays in this machine's 2 MB of L2 per core with room to spare.
// @ts-ignore: decorator
@inline const SORT_LEAF_TUPLES_MAX: u32 = 1 << 14;

// 1 << 26 tuples are 1.5 GiB, more than the core's 1 GiB memory can hold, so the limit never
// refuses a sort that could run; it keeps every size below i32.MAX_VALUE.
// @ts-ignore: decorator
@inline const SORT_TUPLES_MAX: u32 = 1 << 26;

/** Sorted; `tuples` holds the result. */
// @ts-ignore: decorator
@inline const SORT_OK: i32 = 0;
/** The scratch region is smaller than sortScratchSize(count); nothing was changed. */
// @ts-ignore: decorator
@inline const SORT_SCRATCH_TOO_SMALL: i32 = -1;
/** count is above SORT_TUPLES_MAX; nothing was changed. */
// @ts-ignore: decorator
@inline const SORT_COUNT_TOO_LARGE: i32 = -2;
/** The tuples and the scratch region overlap, or one wraps around the address space. */
// @ts-ignore: decorator
@inline const SORT_REGIONS_OVERLAP: i32 = -3;

// The tuple is packed with no hole before the padding, and is a whole number of u64 words so
// that an 8-byte aligned array keeps every key and revision aligned.
assert(TUPLE_END == TUPLE_SIZE);
assert(TUPLE_SIZE % 8 == 0);
// A tuple is copied as one 16-byte vector (key, revision) and one u64 (index, pad).
assert(TUPLE_INDEX_OFFSET == 16);
assert(TUPLE_SIZE == 16 + 8);
// 6 digits of 11 bits cover a word; fewer would leave bits unsorted.
assert(DIGITS_PER_WORD_MAX * DIGIT_BITS_MAX >= 64);
// countWord is written out for exactly this many digits.
assert(DIGITS_PER_WORD_MAX == 6);
assert(MSD_DIGIT_BITS <= DIGIT_BITS_MAX);
// The buffer starts on a cache line, as the scratch region does (region-allocator.ts).
assert(HISTOGRAMS_SIZE % 64 == 0);
assert(HISTOGRAMS_SIZE == 103936); // the figure in the scratch layout above
// Bucket counts are u32, and the largest scratch size is a positive i32 at the host.
assert(<u64>SORT_TUPLES_MAX <= <u64>u32.MAX_VALUE);
assert(<u64>SORT_TUPLES_MAX * TUPLE_SIZE + HISTOGRAMS_SIZE <= <u64>i32.MAX_VALUE);

// O(buckets) consistency checks, off in release builds (flip to true while changing this file).
// @ts-ignore: decorator
@inline const DEBUG_SORT: bool = false;

/** Bytes of scratch that sortTuples needs for `count` tuples; 0 if count is above sortTuplesMax(). */
export function sortScratchSize(count: u32): usize {
  if (count > SORT_TUPLES_MAX) return 0;
  return HISTOGRAMS_SIZE + <usize>count * TUPLE_SIZE;
}

/** The largest count sortTuples accepts. */
export function sortTuplesMax(): u32 {
  return SORT_TUPLES_MAX;
}

/** The largest range sorted LSD first without an MSD split (so tests can cross the threshold). */
export function sortLeafTuplesMax(): u32 {
  return SORT_LEAF_TUPLES_MAX;
}

// The varying bits of the range being planned. Globals are per instance, so each thread has its
// own (see scratch.ts); they are read right after sortPlanDigits, before any recursion.
let varyingKey: u64 = 0;
let varyingRevision: u64 = 0;

/** Pre-pass: the bits that differ between tuples, per word, with 16-byte vector XOR/OR. */
function sortPlanDigits(tuples: usize, count: u32): void {
  const first = v128.load(tuples);
  let varying = i64x2.splat(0);
  const end = tuples + <usize>count * TUPLE_SIZE;
  for (let p = tuples + TUPLE_SIZE; p < end; p += TUPLE_SIZE) {
    varying = v128.or(varying, v128.xor(v128.load(p), first));
  }
  varyingKey = i64x2.extract_lane(varying, 0);
  varyingRevision = i64x2.extract_lane(varying, 1);
}

// @ts-ignore: decorator
@inline function lsdHistogramAt(scratch: usize, digit: u32): usize {
  return scratch + <usize>digit * LSD_HISTOGRAM_SIZE;
}

// @ts-ignore: decorator
@inline function msdHistogramAt(scratch: usize, depth: u32): usize {
  return scratch + LSD_HISTOGRAMS_SIZE + <usize>depth * MSD_HISTOGRAM_SIZE;
}

/**
 * Turns a histogram into starting positions (exclusive prefix sums). Returns false when one
 * bucket holds every tuple: the digit is the same everywhere and its pass would only copy.
 */
function sortPrefixSums(histogram: usize, buckets: usize, count: u32): bool {
  let sum: u32 = 0;
  for (let b: usize = 0; b < buckets; b++) {
    const at = histogram + (b << 2);
    const n = load<u32>(at);
    if (n == count) return false;
    store<u32>(at, sum);
    sum += n;
  }
  if (DEBUG_SORT) assert(sum == count);
  return true;
}

/** One stable counting-sort pass on the digit (word >> shift) & mask of the word at `wordOffset`. */
// @ts-ignore: decorator
@inline function sortScatter(src: usize, dst: usize, count: u32, offsets: usize, shift: u64, mask: u64,
  wordOffset: usize): void {
  const end = src + <usize>count * TUPLE_SIZE;
  for (let p = src; p < end; p += TUPLE_SIZE) {
    const word = load<u64>(p + wordOffset);
    const at = offsets + (<usize>((word >> shift) & mask) << 2);
    const position = load<u32>(at);
    store<u32>(at, position + 1);
    const q = dst + <usize>position * TUPLE_SIZE;
    v128.store(q, v128.load(p));
    store<u64>(q, load<u64>(p, TUPLE_INDEX_OFFSET), TUPLE_INDEX_OFFSET);
  }
}

function sortScatterKey(src: usize, dst: usize, count: u32, offsets: usize, shift: u64, mask: u64): void {
  sortScatter(src, dst, count, offsets, shift, mask, TUPLE_KEY_OFFSET);
}

function sortScatterRevision(src: usize, dst: usize, count: u32, offsets: usize, shift: u64, mask: u64): void {
  sortScatter(src, dst, count, offsets, shift, mask, TUPLE_REVISION_OFFSET);
}

/** Histogram of (word >> shift) & mask over the range, into a zeroed MSD histogram. */
// @ts-ignore: decorator
@inline function sortCountMsd(src: usize, count: u32, histogram: usize, shift: u64, mask: u64, wordOffset: usize): void {
  memory.fill(histogram, 0, MSD_HISTOGRAM_SIZE);
  const end = src + <usize>count * TUPLE_SIZE;
  for (let p = src; p < end; p += TUPLE_SIZE) {
    const at = histogram + (<usize>((load<u64>(p + wordOffset) >> shift) & mask) << 2);
    store<u32>(at, load<u32>(at) + 1);
  }
}

/**
 * Sorts the `count` tuples at `src`, using `alt` (as large) as the other half of each pass. The
 * result ends in `alt` when `resultInAlt`, else in `src`.
 */
function sortRange(src: usize, alt: usize, count: u32, resultInAlt: bool, scratch: usize, depth: u32): void {
  if (count > 1) sortPlanDigits(src, count);
  if (count <= 1 || (varyingKey | varyingRevision) == 0) {
    if (resultInAlt) memory.copy(alt, src, <usize>count * TUPLE_SIZE);
    return;
  }
  if (count <= SORT_LEAF_TUPLES_MAX) {
    sortLeaf(src, alt, count, resultInAlt, scratch);
    return;
  }
  assert(depth < MSD_DEPTH_MAX); // every level consumes at least one digit (see the header)
  // The digit: the top MSD_DIGIT_BITS varying bits of the most significant varying word.
  const isKey = varyingKey != 0;
  const mask = isKey ? varyingKey : varyingRevision;
  const high = 64 - <u32>clz(mask);
  const bits = min(MSD_DIGIT_BITS, high - <u32>ctz(mask));
  const shift = <u64>(high - bits);
  const digitMask = (<u64>1 << <u64>bits) - 1;
  const histogram = msdHistogramAt(scratch, depth);
  const wordOffset = isKey ? TUPLE_KEY_OFFSET : TUPLE_REVISION_OFFSET;
  sortCountMsd(src, count, histogram, shift, digitMask, wordOffset);
  // Always true: the top varying bit differs between the first tuple and another. Were it false,
  // the histogram would be half turned into offsets, so this is checked in every build.
  const split = sortPrefixSums(histogram, <usize>1 << bits, count);
  assert(split);
  if (isKey) sortScatterKey(src, alt, count, histogram, shift, digitMask);
  else sortScatterRevision(src, alt, count, histogram, shift, digitMask);
  // After the scatter, bucket b ends where bucket b + 1 starts: the offsets are now end positions.
  let start: u32 = 0;
  for (let b: usize = 0; b < (<usize>1 << bits); b++) {
    const end = load<u32>(histogram + (b << 2));
    const offset = <usize>start * TUPLE_SIZE;
    sortRange(alt + offset, src + offset, end - start, !resultInAlt, scratch, depth + 1);
    start = end;
  }
  if (DEBUG_SORT) assert(start == count);
}

// @ts-ignore: decorator
@inline function countDigit(histogram: usize, digit: u64): void {
  const at = histogram + (<usize>digit << 2);
  store<u32>(at, load<u32>(at) + 1);
}

/**
 * Counts up to DIGITS_PER_WORD_MAX digits of one word. Written out instead of looped: the loop
 * over digits measured 6.0 ns per tuple for 5 digits, this 2.9 ns (the branches are the same for
 * every tuple, so they predict perfectly).
 */
// @ts-ignore: decorator
@inline function countWord(word: u64, histograms: usize, bits: u64, mask: u64, digits: u32): void {
  countDigit(histograms, word & mask);
  if (digits > 1) countDigit(histograms + LSD_HISTOGRAM_SIZE, (word >> bits) & mask);
  if (digits > 2) countDigit(histograms + 2 * LSD_HISTOGRAM_SIZE, (word >> (2 * bits)) & mask);
  if (digits > 3) countDigit(histograms + 3 * LSD_HISTOGRAM_SIZE, (word >> (3 * bits)) & mask);
  if (digits > 4) countDigit(histograms + 4 * LSD_HISTOGRAM_SIZE, (word >> (4 * bits)) & mask);
  if (digits > 5) countDigit(histograms + 5 * LSD_HISTOGRAM_SIZE, (word >> (5 * bits)) & mask);
}

/** Every planned digit's histogram in one pass; revision digits are numbered first, then key digits. */
function sortLeafCount(src: usize, count: u32, scratch: usize,
  revisionLow: u64, revisionBits: u64, revisionDigits: u32, keyLow: u64, keyBits: u64, keyDigits: u32): void {
  memory.fill(scratch, 0, <usize>(revisionDigits + keyDigits) * LSD_HISTOGRAM_SIZE);
  const revisionMask = (<u64>1 << revisionBits) - 1, keyMask = (<u64>1 << keyBits) - 1;
  const keyHistograms = lsdHistogramAt(scratch, revisionDigits);
  const end = src + <usize>count * TUPLE_SIZE;
  if (revisionDigits == 0) {
    // The common case (one revision per batch) gets a loop that never reads the revision.
    for (let p = src; p < end; p += TUPLE_SIZE) {
      countWord(load<u64>(p, TUPLE_KEY_OFFSET) >> keyLow, keyHistograms, keyBits, keyMask, keyDigits);
    }
    return;
  }
  for (let p = src; p < end; p += TUPLE_SIZE) {
    countWord(load<u64>(p, TUPLE_REVISION_OFFSET) >> revisionLow, scratch, revisionBits, revisionMask, revisionDigits);
    if (keyDigits != 0) {
      countWord(load<u64>(p, TUPLE_KEY_OFFSET) >> keyLow, keyHistograms, keyBits, keyMask, keyDigits);
    }
  }
}

// @ts-ignore: decorator
@inline function spanOf(mask: u64): u32 {
  return mask == 0 ? 0 : 64 - <u32>clz(mask) - <u32>ctz(mask);
}

/**
 * Digits for a span of varying bits, at most `bitsWanted` wide unless that would take more than
 * DIGITS_PER_WORD_MAX digits (countWord and the histogram area hold no more): then as few bits as
 * fit six digits, which is 11 at most because 6 × 11 >= 64.
 */
// @ts-ignore: decorator
@inline function digitCount(span: u32, bitsWanted: u32): u32 {
  if (span == 0) return 0;
  const bits = max(bitsWanted, (span + DIGITS_PER_WORD_MAX - 1) / DIGITS_PER_WORD_MAX);
  return (span + bits - 1) / bits;
}

// @ts-ignore: decorator
@inline function digitBits(span: u32, digits: u32): u32 {
  if (digits == 0) return 0;
  // Even widths: 60 bits become 6 digits of 10 bits, not 5 of 11 and one of 5.
  return (span + digits - 1) / digits;
}

/** LSD sort of a range planned by sortPlanDigits; see sortRange for `resultInAlt`. */
function sortLeaf(src: usize, alt: usize, count: u32, resultInAlt: bool, scratch: usize): void {
  // Small leaves take narrower digits where the six-digit limit allows: zeroing and summing 2048
  // counters per digit would cost more than the tuples. 2^(log2(count) + 1) buckets, 16 to 2048.
  const bitsWanted = min(DIGIT_BITS_MAX, max(4, 32 - <u32>clz(count)));
  const revisionSpan = spanOf(varyingRevision), keySpan = spanOf(varyingKey);
  const revisionDigits = digitCount(revisionSpan, bitsWanted);
  const keyDigits = digitCount(keySpan, bitsWanted);
  const revisionBits = digitBits(revisionSpan, revisionDigits);
  const keyBits = digitBits(keySpan, keyDigits);
  const revisionLow = varyingRevision == 0 ? 0 : <u32>ctz(varyingRevision);
  const keyLow = varyingKey == 0 ? 0 : <u32>ctz(varyingKey);
  assert(revisionDigits <= DIGITS_PER_WORD_MAX && keyDigits <= DIGITS_PER_WORD_MAX); // countWord's limit
  assert(revisionBits <= DIGIT_BITS_MAX && keyBits <= DIGIT_BITS_MAX); // a histogram's size
  sortLeafCount(src, count, scratch, revisionLow, revisionBits, revisionDigits, keyLow, keyBits, keyDigits);
  let from = src, to = alt;
  // Revision digits first: the least significant half of the 128-bit sort key.
  for (let d: u32 = 0; d < revisionDigits; d++) {
    const offsets = lsdHistogramAt(scratch, d);
    if (!sortPrefixSums(offsets, <usize>1 << revisionBits, count)) continue;
    sortScatterRevision(from, to, count, offsets, <u64>(revisionLow + d * revisionBits), (<u64>1 << revisionBits) - 1);
    const t = from; from = to; to = t;
  }
  for (let d: u32 = 0; d < keyDigits; d++) {
    const offsets = lsdHistogramAt(scratch, revisionDigits + d);
    if (!sortPrefixSums(offsets, <usize>1 << keyBits, count)) continue;
    sortScatterKey(from, to, count, offsets, <u64>(keyLow + d * keyBits), (<u64>1 << keyBits) - 1);
    const t = from; from = to; to = t;
  }
  const wanted = resultInAlt ? alt : src;
  if (from != wanted) memory.copy(wanted, from, <usize>count * TUPLE_SIZE);
}

/**
 * Sorts `count` tuples at `tuples` by (key, revision), stably, using `scratchSize` bytes at
 * `scratch` (at least sortScratchSize(count)). Returns SORT_OK or a negative SORT_ code, in
 * which case nothing was changed.
 */
export function sortTuples(tuples: usize, count: u32, scratch: usize, scratchSize: usize): i32 {
  if (count > SORT_TUPLES_MAX) return SORT_COUNT_TOO_LARGE;
  const bytes = <usize>count * TUPLE_SIZE;
  const needed = HISTOGRAMS_SIZE + bytes;
  if (scratchSize < needed) return SORT_SCRATCH_TOO_SMALL;
  if (tuples > usize.MAX_VALUE - bytes || scratch > usize.MAX_VALUE - needed) return SORT_REGIONS_OVERLAP;
  if (tuples < scratch + needed && scratch < tuples + bytes) return SORT_REGIONS_OVERLAP;
  sortRange(tuples, scratch + HISTOGRAMS_SIZE, count, false, scratch, 0);
  return SORT_OK;
}
