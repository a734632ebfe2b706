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
// The sort key is the 128-bit number (key << 64) | revision, bit 127 the key's top bit. Most
// significant digit first: a split counts one digit of a range, scatters the range by it into the
// other half (the tuples or the buffer, alternating with depth), and each bucket is then sorted
// on its own, below that digit. A bucket of at most SORT_INSERTION_TUPLES_MAX tuples is finished
// by a stable insertion sort; a run of such buckets side by side takes one insertion sort, since
// no tuple crosses into a neighbouring bucket, and that sort also carries the run back from the
// buffer into `tuples`. Bigger buckets go on an explicit stack (sortPush) and are split in turn.
//
// A split's digit starts at the range's top varying bit: bits that are equal in every tuple are
// skipped. The count pass ORs every (key, revision) XORed with the first tuple's, so it finds the
// varying bits, but the digit must be chosen before that pass: sortSampleTop guesses the top bit
// from SORT_SAMPLES tuples spread over the range, and when the count shows the guess wrong (the
// sample missed the top bit) the range is counted again with the true top. A range whose tuples
// are all equal is done after its count.
//
// The digit's width depends on where the range lives, because a scatter is bounded by memory
// traffic, not arithmetic. Measured on the 2-core Xeon this was written on (2 MB of L2 per core):
// counting and scattering 1 M tuples (24 MB) takes 6.9 ms into 64 buckets, 12 ms into 256 and
// 14 ms into 1024. Split into 64 ranges of 15 625 tuples (375 KB), it still takes 15 ms into 1024
// buckets each when source and destination are cold, but 3.9 ms when they are in cache.
// - A range above SORT_CACHED_TUPLES_MAX (a "stream" split) is counted on a 14-bit digit, then
//   adjacent buckets are merged (the digit's low bit dropped) until at most STREAM_BUCKETS_MAX
//   buckets hold tuples: 64 write streams, or more bits at once when the keys are clustered.
// - A range that fits in L2 with its destination (a "cached" split) takes a digit of
//   ceil(log2(count)) bits, 6 to 14, so that buckets hold about one tuple and the insertion sort
//   has almost nothing to move. Its count pass also reads the destination once, so the scatter's
//   scattered writes hit L2: that took the 1 M-tuple example's second level from 9.7 ms to 4.5 ms
//   for 1.1 ms more counting.
//
// Worked example, the Hilbert-key case this is for: 1 M tuples with random 60-bit keys and one
// revision. The sample finds key bit 59. Split 1 (stream): a 14-bit count of bits 46..59 uses all
// 16 384 buckets, merged down to bits 54..59, 64 buckets of about 15 600 tuples (375 KB) written
// into the buffer. Split 2 (cached, 64 times): a 14-bit digit, key bits 40..53, buckets of about
// one tuple written back into `tuples`. One insertion sort per range fixes the rest.
// Times: 2.3 ms count + 4.1 ms scatter, 3.8 ms counting with the destination read + 4.5 ms
// scatter, 4.5 ms of insertion sorts. In all 20.7 ms, 48 M tuples/s (median of 9 runs); the design
// before this one (a 6-bit MSD split, then an 11-bit LSD sort of each bucket) took 35.8 ms,
// 28 M tuples/s, in the same runs.
//
// Rejected, measured on the same input in the same process:
// - 8-bit digits at every level with per-bucket insertion sorts up to 32 tuples: 40 ms. The first
//   256-bucket scatter alone took 11.8 ms, and 15 ms went to insertion-sorting 64 K buckets of 15.
// - Write-combining buffers (8 tuples per bucket in L1, flushed as 192 bytes) for the stream
//   scatter: 23.9 ms against 22.0 ms. Wasm has no non-temporal stores, so a flush still reads
//   each destination line before writing it; the buffering only adds copies.
// - 16-byte (key, index and padding) records in the buffer when every revision is equal, which
//   the first count knows: 20.6 ms against 20.8 ms, within noise, for a second record format.
// - Other values of SORT_INSERTION_TUPLES_MAX (T). The worst input for T is reversed groups of
//   about T tuples, each group one bucket; random keys take the same time for any T. Worst cases
//   at 1 M tuples: T = 8: 23.2 ms, 12: 22.3 ms, 16: 24.4 ms, 24: 27.8 ms, 32: 32.1 ms. But a
//   smaller T splits more small ranges: keys where every third bit varies take 47.4 ms at T = 8,
//   45.0 ms at 12 and 42.3 ms at 16 (40.0 ms before; the one input measured slower than before,
//   with every eighth bit varying: 65.6 ms against 63.5 ms).
//
// Bounds. Every digit is at least DIGIT_BITS_MIN bits wide or ends at bit 0 of its word (digits
// never straddle the two words), and a bucket's digit lies below its parent's. So a word holds at
// most ceil(64 / 6) = 11 digits and a split's depth is below SORT_DEPTH_MAX = 22. The stack only
// holds ranges of more than SORT_INSERTION_TUPLES_MAX tuples, and they never overlap: a range
// leaves the stack before its buckets enter it. So it holds at most count / 17 entries.
//
// ╒═════════════════════════════ Scratch layout ═════════════════════════════╕
// 0                  HISTOGRAM_SIZE                + count × 24              + count / 17 × 16
// ├──────────────────┼─────────────────────────────┼─────────────────────────┤
// │ histogram:       │ buffer: count tuples, the   │ stack: pending ranges,  │
// │ 2^14 × u32       │ other half of every scatter │ 16 bytes each: start,   │
// │                  │                             │ count, depth, hi (u32)  │
// └──────────────────┴─────────────────────────────┴─────────────────────────┘
// One histogram serves every split: a split's buckets are pushed or sorted before the next split.
// sortScratchSize(1 M) = 65 536 + 24 000 000 + 58 823 × 16 = 25 006 704 bytes.

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
@inline const DIGIT_BITS_MIN: i32 = 6;
// 2^14 counters are 64 KB, which still sits in L2 beside a cached range and its destination.
// @ts-ignore: decorator
@inline const DIGIT_BITS_MAX: i32 = 14;
// @ts-ignore: decorator
@inline const HISTOGRAM_SIZE: usize = (<usize>1 << <usize>DIGIT_BITS_MAX) * 4;
// 64 write streams is the most one out-of-cache scatter takes at full speed (see the header).
// @ts-ignore: decorator
@inline const STREAM_BUCKETS_MAX: u32 = 64;
// 32 K tuples are 768 KB; with its destination, 1.5 MB of this machine's 2 MB of L2 per core.
// @ts-ignore: decorator
@inline const SORT_CACHED_TUPLES_MAX: u32 = 1 << 15;
// Chosen by measurement against 8, 12, 24 and 32 (see "Rejected" in the header).
// @ts-ignore: decorator
@inline const SORT_INSERTION_TUPLES_MAX: u32 = 16;
// On random keys, 16 samples all agree on a varying top bit with probability 2^-15; a miss only
// costs one more count pass.
// @ts-ignore: decorator
@inline const SORT_SAMPLES: u32 = 16;
// @ts-ignore: decorator
@inline const SORT_DEPTH_MAX: u32 = 2 * ((64 + DIGIT_BITS_MIN - 1) / DIGIT_BITS_MIN);
// @ts-ignore: decorator
@inline const STACK_ENTRY_SIZE: usize = 16;

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
// The merge in sortStreamLow stops at DIGIT_BITS_MIN bits at the latest, which keeps the bound
// on depth.
assert(STREAM_BUCKETS_MAX == <u32>1 << <u32>DIGIT_BITS_MIN);
assert(DIGIT_BITS_MIN <= DIGIT_BITS_MAX);
// A range small enough for insertion is never split, so it is never a stream split either.
assert(SORT_INSERTION_TUPLES_MAX < SORT_CACHED_TUPLES_MAX);
// Every split range has more than SORT_INSERTION_TUPLES_MAX tuples, so the sample stride is at
// least one tuple.
assert(SORT_SAMPLES <= SORT_INSERTION_TUPLES_MAX + 1);
// The buffer starts on a cache line, as the scratch region does (region-allocator.ts).
assert(HISTOGRAM_SIZE % 64 == 0);
assert(HISTOGRAM_SIZE == 65536); // the figure in the scratch layout above
assert(SORT_DEPTH_MAX == 22); // the figure in the header
// The stack follows count × 24 bytes, so its u32 fields stay aligned.
assert(STACK_ENTRY_SIZE == 4 * 4);
// Bucket counts are u32, and the largest scratch size is a positive i32 at the host.
assert(<u64>SORT_TUPLES_MAX <= <u64>u32.MAX_VALUE);
assert(<u64>HISTOGRAM_SIZE + <u64>SORT_TUPLES_MAX * TUPLE_SIZE + <u64>sortStackSize(SORT_TUPLES_MAX) <= <u64>i32.MAX_VALUE);

// @ts-ignore: decorator
@inline function sortStackSize(count: u32): usize {
  return <usize>(count / (SORT_INSERTION_TUPLES_MAX + 1)) * STACK_ENTRY_SIZE;
}

/** Bytes of scratch that sortTuples needs for `count` tuples; 0 if count is above sortTuplesMax(). */
export function sortScratchSize(count: u32): usize {
  if (count > SORT_TUPLES_MAX) return 0;
  return HISTOGRAM_SIZE + <usize>count * TUPLE_SIZE + sortStackSize(count);
}

/** The largest count sortTuples accepts. */
export function sortTuplesMax(): u32 {
  return SORT_TUPLES_MAX;
}

/** The largest range sorted by insertion alone, without a split (so tests can cross the threshold). */
export function sortLeafTuplesMax(): u32 {
  return SORT_INSERTION_TUPLES_MAX;
}

/** The largest range split as cached (wide digit) rather than streamed (so tests can cross it). */
export function sortCachedTuplesMax(): u32 {
  return SORT_CACHED_TUPLES_MAX;
}

// Per-sort state. Globals are per instance, so each thread has its own (see scratch.ts).
// The varying bits of the range last counted, read right after sortCount.
let varyingKey: u64 = 0;
let varyingRevision: u64 = 0;
// The largest bucket of the last sortPrefixSums.
let bucketLargest: u32 = 0;
// Keeps the destination reads of a touching count from being optimised away.
let touchedSink: u64 = 0;
let stackTop: usize = 0;
let stackEnd: usize = 0;

/** The top set bit of the 128-bit (key << 64) | revision, or -1 if none is set. */
// @ts-ignore: decorator
@inline function sortTopBit(key: u64, revision: u64): i32 {
  if (key != 0) return 127 - <i32>clz(key);
  if (revision != 0) return 63 - <i32>clz(revision);
  return -1;
}

/** Stable insertion sort of `count` tuples read at `from`, written at `to` (which may be `from`). */
function sortInsertion(from: usize, to: usize, count: u32): void {
  for (let i: u32 = 0; i < count; i++) {
    // Tuple i is read before anything is written at i or above, so `to` may equal `from`.
    const p = from + <usize>i * TUPLE_SIZE;
    const pair = v128.load(p);
    const tail = load<u64>(p, TUPLE_INDEX_OFFSET);
    const key = <u64>i64x2.extract_lane(pair, 0);
    const revision = <u64>i64x2.extract_lane(pair, 1);
    let q = to + <usize>i * TUPLE_SIZE;
    while (q > to) {
      // Stop at the first tuple not greater: equal ones stay in front, which keeps the sort stable.
      const previousKey = load<u64>(q - TUPLE_SIZE, TUPLE_KEY_OFFSET);
      if (previousKey < key) break;
      if (previousKey == key && load<u64>(q - TUPLE_SIZE, TUPLE_REVISION_OFFSET) <= revision) break;
      v128.store(q, v128.load(q - TUPLE_SIZE));
      store<u64>(q, load<u64>(q - TUPLE_SIZE, TUPLE_INDEX_OFFSET), TUPLE_INDEX_OFFSET);
      q -= TUPLE_SIZE;
    }
    v128.store(q, pair);
    store<u64>(q, tail, TUPLE_INDEX_OFFSET);
  }
}

/**
 * Histogram of (word >> shift) & digitMask over the range, and its varying bits (16-byte vector
 * XOR/OR against the first tuple). With `touch`, also reads the destination range once so that
 * the scatter's writes find it in cache.
 */
// @ts-ignore: decorator
@inline function sortCountWith(src: usize, dst: usize, count: u32, histogram: usize, shift: u64, digitMask: u64,
  wordOffset: usize, touch: bool): void {
  memory.fill(histogram, 0, <usize>(digitMask + 1) << 2);
  const first = v128.load(src);
  let varying = i64x2.splat(0);
  let touched: u64 = 0;
  const toDst = dst - src;
  const end = src + <usize>count * TUPLE_SIZE;
  for (let p = src; p < end; p += TUPLE_SIZE) {
    varying = v128.or(varying, v128.xor(v128.load(p), first));
    const at = histogram + (<usize>((load<u64>(p + wordOffset) >> shift) & digitMask) << 2);
    store<u32>(at, load<u32>(at) + 1);
    if (touch) touched |= load<u64>(p + toDst);
  }
  touchedSink = touched;
  varyingKey = i64x2.extract_lane(varying, 0);
  varyingRevision = i64x2.extract_lane(varying, 1);
}

function sortCountKey(src: usize, dst: usize, count: u32, histogram: usize, shift: u64, digitMask: u64): void {
  sortCountWith(src, dst, count, histogram, shift, digitMask, TUPLE_KEY_OFFSET, false);
}

function sortCountRevision(src: usize, dst: usize, count: u32, histogram: usize, shift: u64, digitMask: u64): void {
  sortCountWith(src, dst, count, histogram, shift, digitMask, TUPLE_REVISION_OFFSET, false);
}

function sortCountKeyTouching(src: usize, dst: usize, count: u32, histogram: usize, shift: u64, digitMask: u64): void {
  sortCountWith(src, dst, count, histogram, shift, digitMask, TUPLE_KEY_OFFSET, true);
}

function sortCountRevisionTouching(src: usize, dst: usize, count: u32, histogram: usize, shift: u64, digitMask: u64): void {
  sortCountWith(src, dst, count, histogram, shift, digitMask, TUPLE_REVISION_OFFSET, true);
}

/** Counts the digit of bits low..top (both in one word); a cached range also touches `dst`. */
function sortCount(src: usize, dst: usize, count: u32, histogram: usize, top: i32, low: i32): void {
  const digitMask = (<u64>1 << <u64>(top + 1 - low)) - 1;
  const touch = count <= SORT_CACHED_TUPLES_MAX;
  if (top >= 64) {
    if (touch) sortCountKeyTouching(src, dst, count, histogram, <u64>(low - 64), digitMask);
    else sortCountKey(src, dst, count, histogram, <u64>(low - 64), digitMask);
  } else {
    if (touch) sortCountRevisionTouching(src, dst, count, histogram, <u64>low, digitMask);
    else sortCountRevision(src, dst, count, histogram, <u64>low, digitMask);
  }
}

/** One stable counting-sort pass on the digit (word >> shift) & digitMask of the word at `wordOffset`. */
// @ts-ignore: decorator
@inline function sortScatterWith(src: usize, dst: usize, count: u32, offsets: usize, shift: u64, digitMask: u64,
  wordOffset: usize): void {
  const end = src + <usize>count * TUPLE_SIZE;
  for (let p = src; p < end; p += TUPLE_SIZE) {
    const at = offsets + (<usize>((load<u64>(p + wordOffset) >> shift) & digitMask) << 2);
    const position = load<u32>(at);
    store<u32>(at, position + 1);
    const q = dst + <usize>position * TUPLE_SIZE;
    v128.store(q, v128.load(p));
    store<u64>(q, load<u64>(p, TUPLE_INDEX_OFFSET), TUPLE_INDEX_OFFSET);
  }
}

function sortScatterKey(src: usize, dst: usize, count: u32, offsets: usize, shift: u64, digitMask: u64): void {
  sortScatterWith(src, dst, count, offsets, shift, digitMask, TUPLE_KEY_OFFSET);
}

function sortScatterRevision(src: usize, dst: usize, count: u32, offsets: usize, shift: u64, digitMask: u64): void {
  sortScatterWith(src, dst, count, offsets, shift, digitMask, TUPLE_REVISION_OFFSET);
}

/**
 * A guess at the range's top varying bit from SORT_SAMPLES tuples spread over it: never above the
 * true one, and equal to it unless every sample agrees with the first tuple there. With nothing
 * varying in the sample, the guess is the bit just below the parent's digit.
 */
function sortSampleTop(src: usize, count: u32, hi: i32): i32 {
  const first = v128.load(src);
  let varying = i64x2.splat(0);
  const stride = <usize>(count / SORT_SAMPLES) * TUPLE_SIZE;
  for (let s: u32 = 1; s < SORT_SAMPLES; s++) {
    varying = v128.or(varying, v128.xor(v128.load(src + <usize>s * stride), first));
  }
  const top = sortTopBit(i64x2.extract_lane(varying, 0), i64x2.extract_lane(varying, 1));
  return top >= 0 ? top : hi - 1;
}

/** The digit's width for a range: a cached one gets about one tuple per bucket (see the header). */
// @ts-ignore: decorator
@inline function sortDigitBits(count: u32): i32 {
  if (count > SORT_CACHED_TUPLES_MAX) return DIGIT_BITS_MAX;
  return min(DIGIT_BITS_MAX, max(DIGIT_BITS_MIN, 32 - <i32>clz(count - 1)));
}

/** The digit's low bit: `bits` wide from `top`, cut at the word boundary (bit 64 or 0). */
// @ts-ignore: decorator
@inline function sortDigitLow(top: i32, bits: i32): i32 {
  return max(top + 1 - bits, top >= 64 ? 64 : 0);
}

/**
 * Drops the digit's low bit (merging bucket pairs) until at most STREAM_BUCKETS_MAX buckets hold
 * tuples; returns the new low bit. Random keys go from 14 bits to 6; keys that use few of the
 * 14-bit digit's values keep more bits.
 */
function sortStreamLow(histogram: usize, top: i32, low: i32): i32 {
  let buckets = <usize>1 << <usize>(top + 1 - low);
  let used: u32 = 0;
  for (let b: usize = 0; b < buckets; b++) used += <u32>(load<u32>(histogram + (b << 2)) != 0);
  while (used > STREAM_BUCKETS_MAX) {
    // More than 64 used buckets means more than 6 bits, so the digit stays >= DIGIT_BITS_MIN wide.
    assert(top + 1 - low > DIGIT_BITS_MIN);
    buckets >>= 1;
    used = 0;
    for (let b: usize = 0; b < buckets; b++) {
      const n = load<u32>(histogram + (b << 3)) + load<u32>(histogram + (b << 3), 4);
      store<u32>(histogram + (b << 2), n);
      used += <u32>(n != 0);
    }
    low++;
  }
  return low;
}

/** Turns counts into starting positions (exclusive prefix sums); returns the total, sets bucketLargest. */
function sortPrefixSums(histogram: usize, buckets: usize): u32 {
  let sum: u32 = 0;
  let largest: u32 = 0;
  for (let b: usize = 0; b < buckets; b++) {
    const at = histogram + (b << 2);
    const n = load<u32>(at);
    store<u32>(at, sum);
    sum += n;
    largest = max(largest, n);
  }
  bucketLargest = largest;
  return sum;
}

function sortPush(start: u32, count: u32, depth: u32, hi: i32): void {
  assert(depth < SORT_DEPTH_MAX); // every digit consumes at least 6 bits of a word (see the header)
  assert(stackTop + STACK_ENTRY_SIZE <= stackEnd); // ranges on the stack never overlap (see the header)
  store<u32>(stackTop, start, 0);
  store<u32>(stackTop, count, 4);
  store<u32>(stackTop, depth, 8);
  store<i32>(stackTop, hi, 12);
  stackTop += STACK_ENTRY_SIZE;
}

/**
 * Splits the `count` tuples from index `start`, which sit in `tuples` at even depth and in
 * `buffer` at odd depth; bits `hi` and above are equal in all of them.
 */
function sortSplit(tuples: usize, buffer: usize, histogram: usize, start: u32, count: u32, depth: u32, hi: i32): void {
  const offset = <usize>start * TUPLE_SIZE;
  const src = ((depth & 1) == 0 ? tuples : buffer) + offset;
  const dst = ((depth & 1) == 0 ? buffer : tuples) + offset;
  const bits = sortDigitBits(count);
  let top = sortSampleTop(src, count, hi);
  let low = sortDigitLow(top, bits);
  sortCount(src, dst, count, histogram, top, low);
  const varyingTop = sortTopBit(varyingKey, varyingRevision);
  if (varyingTop < 0) {
    // All equal: already sorted, and only needs to reach `tuples`.
    if ((depth & 1) == 1) memory.copy(dst, src, <usize>count * TUPLE_SIZE);
    return;
  }
  assert(varyingTop < hi);
  if (varyingTop != top) {
    // The sample missed the top bit: count the right digit.
    top = varyingTop;
    low = sortDigitLow(top, bits);
    sortCount(src, dst, count, histogram, top, low);
  }
  if (count > SORT_CACHED_TUPLES_MAX) low = sortStreamLow(histogram, top, low);
  const buckets = <usize>1 << <usize>(top + 1 - low);
  const sum = sortPrefixSums(histogram, buckets);
  assert(sum == count);
  const digitMask = <u64>buckets - 1;
  if (top >= 64) sortScatterKey(src, dst, count, histogram, <u64>(low - 64), digitMask);
  else sortScatterRevision(src, dst, count, histogram, <u64>low, digitMask);
  // After the scatter, bucket b ends where bucket b + 1 starts: the offsets are now end positions.
  sortBuckets(tuples, dst - offset, histogram, buckets, start, count, depth + 1, low);
}

/**
 * The buckets of a split, which sit in `from` (tuples or buffer) at depth `depth`: runs of small
 * buckets are insertion-sorted into `tuples`, bigger ones pushed with hi = `low`.
 */
function sortBuckets(tuples: usize, from: usize, histogram: usize, buckets: usize, start: u32, count: u32,
  depth: u32, low: i32): void {
  const offset = <usize>start * TUPLE_SIZE;
  if (low == 0) {
    // The digit reached revision bit 0: every bucket is all equal.
    if (from != tuples) memory.copy(tuples + offset, from + offset, <usize>count * TUPLE_SIZE);
    return;
  }
  if (bucketLargest <= SORT_INSERTION_TUPLES_MAX) {
    sortInsertion(from + offset, tuples + offset, count);
    return;
  }
  let runStart: u32 = 0;
  let bucketStart: u32 = 0;
  for (let b: usize = 0; b < buckets; b++) {
    const bucketEnd = load<u32>(histogram + (b << 2));
    const n = bucketEnd - bucketStart;
    if (n > SORT_INSERTION_TUPLES_MAX) {
      const runOffset = <usize>(start + runStart) * TUPLE_SIZE;
      sortInsertion(from + runOffset, tuples + runOffset, bucketStart - runStart);
      sortPush(start + bucketStart, n, depth, low);
      runStart = bucketEnd;
    }
    bucketStart = bucketEnd;
  }
  assert(bucketStart == count);
  const runOffset = <usize>(start + runStart) * TUPLE_SIZE;
  sortInsertion(from + runOffset, tuples + runOffset, bucketStart - runStart);
}

/**
 * Sorts `count` tuples at `tuples` by (key, revision), stably, using `scratchSize` bytes at
 * `scratch` (at least sortScratchSize(count)). Returns SORT_OK or a negative SORT_ code, in
 * which case nothing was changed.
 */
export function sortTuples(tuples: usize, count: u32, scratch: usize, scratchSize: usize): i32 {
  if (count > SORT_TUPLES_MAX) return SORT_COUNT_TOO_LARGE;
  const bytes = <usize>count * TUPLE_SIZE;
  const needed = sortScratchSize(count);
  if (scratchSize < needed) return SORT_SCRATCH_TOO_SMALL;
  if (tuples > usize.MAX_VALUE - bytes || scratch > usize.MAX_VALUE - needed) return SORT_REGIONS_OVERLAP;
  if (tuples < scratch + needed && scratch < tuples + bytes) return SORT_REGIONS_OVERLAP;
  if (count <= SORT_INSERTION_TUPLES_MAX) {
    sortInsertion(tuples, tuples, count);
    return SORT_OK;
  }
  const histogram = scratch;
  const buffer = scratch + HISTOGRAM_SIZE;
  const stack = buffer + bytes;
  stackTop = stack;
  stackEnd = stack + sortStackSize(count);
  sortSplit(tuples, buffer, histogram, 0, count, 0, 128);
  // Bounded: every split either finishes its range or pushes strictly smaller, deeper ranges.
  while (stackTop > stack) {
    stackTop -= STACK_ENTRY_SIZE;
    const entry = stackTop;
    sortSplit(tuples, buffer, histogram, load<u32>(entry, 0), load<u32>(entry, 4), load<u32>(entry, 8), load<i32>(entry, 12));
  }
  return SORT_OK;
}
