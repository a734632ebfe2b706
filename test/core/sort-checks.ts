// The radix sort against a stable BigInt comparator sort (Array.prototype.sort is stable since
// ES2019): random inputs, the adversarial shapes that make splits skip bits, recount or recurse
// deep, and sizes on both sides of the two thresholds: the leaf (ranges sorted by insertion alone)
// and the cached range (wide digits and a touched destination; above it, streaming digits).
// The reference keeps input order for equal (key, revision), and so must the radix sort: tuples
// are compared whole, index included, so a wrong order of equal pairs fails. Inputs too large for
// the reference are checked in place: sorted, stable, a permutation, padding carried along.
import { expect } from "chai";
import fc from "fast-check";
import { type Core, asPtr } from "../../host/core/index.js";
import { SORT_TUPLE_PAD_OFFSET, SORT_TUPLE_SIZE, type SortTuple, readSortTuple, writeSortTuple } from "../../host/core/radix-sort.js";
import { type CoreCheck, propertySeed } from "./core-check.js";

const U64_MAX = (1n << 64n) - 1n;


function compareTuples(a: SortTuple, b: SortTuple): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.revision !== b.revision) return a.revision < b.revision ? -1 : 1;
  return 0;
}

function referenceSort(tuples: readonly SortTuple[]): SortTuple[] {
  return [...tuples].sort(compareTuples);
}

function expectSortedLikeReference(core: Core, tuples: readonly SortTuple[], label: string): void {
  const actual = core.sortTuples(tuples);
  const expected = referenceSort(tuples);
  expect(actual.length, label).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (a === undefined || e === undefined || a.key !== e.key || a.revision !== e.revision || a.index !== e.index) {
      expect.fail(`${label}: position ${i} holds ${JSON.stringify(a, big)}, expected ${JSON.stringify(e, big)}`);
    }
  }
}

function big(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** A small deterministic 64-bit generator (splitmix64) for inputs too large for fast-check. */
export function splitmix64(seed: bigint): () => bigint {
  let state = BigInt.asUintN(64, seed);
  return () => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}

/** `count` tuples with index = input position, from key and revision makers given the position. */
function tuplesOf(count: number, key: (i: number) => bigint, revision: (i: number) => bigint): SortTuple[] {
  return Array.from({ length: count }, (_, i) => ({ key: key(i), revision: revision(i), index: i }));
}

/** The adversarial shapes, each a function of the count, a random source and the leaf threshold. */
const SHAPES: ReadonlyArray<readonly [string, (count: number, random: () => bigint, leaf: number) => SortTuple[]]> = [
  ["all equal", (n) => tuplesOf(n, () => 42n, () => 7n)],
  ["already sorted", (n) => tuplesOf(n, (i) => BigInt(i) * 3n, () => 0n)],
  ["reversed", (n) => tuplesOf(n, (i) => BigInt(n - i) << 20n, (i) => BigInt(i % 3))],
  ["all keys equal, random revisions", (n, r) => tuplesOf(n, () => 0x1234n, () => r())],
  ["keys differing only in the top bit", (n, r) => tuplesOf(n, () => (r() & 1n) << 63n, () => 5n)],
  ["keys at 0 and 2^64-1", (n, r) => tuplesOf(n, () => ((r() & 1n) === 0n ? 0n : U64_MAX), (i) => BigInt(i % 2))],
  ["revisions at 0 and 2^64-1 under few keys", (n, r) => tuplesOf(n, () => r() & 3n, () => ((r() & 1n) === 0n ? 0n : U64_MAX))],
  ["random 60-bit keys, one revision", (n, r) => tuplesOf(n, () => r() >> 4n, () => 9n)],
  ["random 60-bit keys, four revisions", (n, r) => tuplesOf(n, () => r() >> 4n, () => r() & 3n)],
  ["full 64-bit keys and revisions", (n, r) => tuplesOf(n, () => r(), () => r())],
  ["few distinct keys (many equal pairs)", (n, r) => tuplesOf(n, () => (r() & 7n) << 40n, () => r() & 1n)],
  ["keys varying inside one 11-bit digit only", (n, r) => tuplesOf(n, () => (r() & 0x7ffn) << 22n | 0xf00000000000000fn, () => 1n)],
  ["one outlier bit per tuple (deep MSD recursion)", (n, r) => tuplesOf(n, (i) => (i % 97 === 0 ? 1n << (r() & 63n) : 0n), () => r() & 0xffn)],
  ["nested prefixes of ones in key and revision (deep MSD recursion)",
    (n, r) => tuplesOf(n, () => BigInt.asUintN(64, U64_MAX << (r() & 63n)), () => BigInt.asUintN(64, U64_MAX << (r() & 63n)))],
  ["only the last tuple differs in the top bit (the sample misses it)", (n, r) => tuplesOf(n, (i) => (i === n - 1 ? 1n << 63n : 5n), () => r() & 0xfn)],
  ["every eighth bit varies (sparse digits)", (n, r) => tuplesOf(n, () => r() & 0x8080808080808080n, () => r() & 0x8080808080808080n)],
  ["reversed groups of leaf tuples (the insertion sort's worst case)",
    (n, _r, leaf) => tuplesOf(n, (i) => (BigInt(Math.floor(i / leaf)) << 30n) | BigInt(leaf - 1 - (i % leaf)), () => 1n)],
  ["groups of leaf + 1 tuples sharing a key (every bucket is split again)",
    (n, r, leaf) => tuplesOf(n, (i) => BigInt(Math.floor(i / (leaf + 1))) * 0x9e3779b97f4a7c15n & U64_MAX, () => r() & 1n)],
];

/** One check per shape, each at counts below, at and above the leaf and cached-range thresholds. */
const shapeChecks: CoreCheck[] = SHAPES.map(([shape, make]) => ({
  name: `${shape}: sorted correctly around the leaf and cached-range thresholds`,
  run(core: Core) {
    const leaf = core.sortLeafTuplesMax();
    const random = splitmix64(BigInt(propertySeed() ?? 20261121));
    for (const count of [2, 3, 17, 255, leaf - 1, leaf, leaf + 1, 2 * leaf + 3, core.sortCachedTuplesMax(), core.sortCachedTuplesMax() + 1]) {
      expectSortedLikeReference(core, make(count, random, leaf), `${shape}, count ${count}`);
    }
  },
}));

/**
 * Sorts `count` tuples made by `make(i)` in place in the core's memory and checks the result
 * without a reference sort: ascending, equal pairs in input order (index = input position), every
 * index once, and each tuple's padding (index ^ 0x5a5a5a5a) still beside it.
 */
function expectSortedInPlace(core: Core, count: number, make: (i: number) => readonly [bigint, bigint], label: string): void {
  const region = core.allocateRegion(Math.max(count * SORT_TUPLE_SIZE, 64));
  try {
    let view = new DataView(core.memory.buffer, region.ptr, count * SORT_TUPLE_SIZE);
    for (let i = 0; i < count; i++) {
      const [key, revision] = make(i);
      writeSortTuple(view, i * SORT_TUPLE_SIZE, { key, revision, index: i });
      view.setUint32(i * SORT_TUPLE_SIZE + SORT_TUPLE_PAD_OFFSET, i ^ 0x5a5a5a5a, true);
    }
    core.sortTuplesAt(asPtr(region.ptr), count);
    view = new DataView(core.memory.buffer, region.ptr, count * SORT_TUPLE_SIZE); // the scratch may have grown the memory
    const seen = new Uint8Array(count);
    let previous: SortTuple | null = null;
    for (let i = 0; i < count; i++) {
      const tuple = readSortTuple(view, i * SORT_TUPLE_SIZE);
      if (view.getUint32(i * SORT_TUPLE_SIZE + SORT_TUPLE_PAD_OFFSET, true) !== (tuple.index ^ 0x5a5a5a5a) >>> 0) {
        expect.fail(`${label}: the padding at ${i} does not belong to index ${tuple.index}`);
      }
      if (previous !== null) {
        const order = compareTuples(previous, tuple);
        if (order > 0 || (order === 0 && previous.index > tuple.index)) expect.fail(`${label}: out of order at ${i}`);
      }
      if (seen[tuple.index] !== 0) expect.fail(`${label}: index ${tuple.index} twice`);
      seen[tuple.index] = 1;
      previous = tuple;
    }
  } finally {
    core.releaseRegion(region);
  }
}

export const sortChecks: CoreCheck[] = [
  {
    name: "random tuples sort like a stable BigInt comparator sort",
    run(core) {
      const u64 = fc.bigInt({ min: 0n, max: U64_MAX });
      const keyArb = fc.oneof(u64, fc.bigInt({ min: 0n, max: 15n }), fc.bigInt({ min: 0n, max: (1n << 60n) - 1n }));
      const tupleArb = fc.record({ key: keyArb, revision: fc.oneof(u64, fc.bigInt({ min: 0n, max: 3n })), index: fc.nat({ max: 0xffffffff }) });
      fc.assert(
        fc.property(fc.array(tupleArb, { maxLength: 400 }), (tuples) => {
          expectSortedLikeReference(core, tuples, "random tuples");
        }),
        { seed: propertySeed(), numRuns: 120 },
      );
    },
  },
  {
    name: "count 0 and count 1 are returned unchanged",
    run(core) {
      expect(core.sortTuples([])).to.deep.equal([]);
      expect(core.sortTuples([{ key: U64_MAX, revision: 3n, index: 0xffffffff }])).to.deep.equal([{ key: U64_MAX, revision: 3n, index: 0xffffffff }]);
    },
  },
  {
    name: "equal (key, revision) pairs keep their input order, not their index order",
    run(core) {
      // Indices descend while input order ascends: a sort that ordered ties by index would fail.
      const tuples = tuplesOf(3000, (i) => BigInt(i % 5), (i) => BigInt(i % 2)).map((t, i) => ({ ...t, index: 3000 - i }));
      const sorted = core.sortTuples(tuples);
      for (let i = 1; i < sorted.length; i++) {
        const a = sorted[i - 1], b = sorted[i];
        if (a !== undefined && b !== undefined && compareTuples(a, b) === 0) expect(a.index).to.be.greaterThan(b.index);
      }
    },
  },
  {
    name: "sortTuplesAt sorts 150 000 random 60-bit keys in place and the padding travels with its tuple",
    run(core) {
      const random = splitmix64(77n);
      expectSortedInPlace(core, 150_000, () => [random() >> 4n, random() & 1n], "150 000 random keys");
    },
  },
  {
    name: "the deepest recursion: 22 one-bit outliers, one per 6-bit digit of both words, over leaf equal tuples",
    run(core) {
      // Each split's digit is 6 bits (at most 64 tuples), starts at the top varying bit and peels
      // off one outlier; the rest, leaf + 1 or more tuples, is split again. Key bits 127, 121, ..,
      // 67 and revision bits 63, 57, .., 3 are the tops of 11 digits per word: depth 21, the
      // deepest SORT_DEPTH_MAX (22) allows.
      const leaf = core.sortLeafTuplesMax();
      const outliers: SortTuple[] = [];
      for (let k = 0; k < 11; k++) outliers.push({ key: 1n << BigInt(63 - 6 * k), revision: 0n, index: outliers.length });
      for (let k = 0; k < 11; k++) outliers.push({ key: 0n, revision: 1n << BigInt(63 - 6 * k), index: outliers.length });
      const base = tuplesOf(leaf, () => 0n, () => 0n).map((t, i) => ({ ...t, index: 100 + i }));
      expect(outliers.length + base.length).to.be.at.most(64);
      expectSortedLikeReference(core, [...outliers, ...base], "outliers first");
      expectSortedLikeReference(core, [...base, ...outliers.reverse()], "outliers last");
    },
  },
  {
    name: "a full stack: every bucket of a cached range holds leaf + 1 tuples",
    run(core) {
      // 1927 keys × 17 tuples = 32 759 tuples, one cached split whose digit covers every key bit:
      // 1927 buckets pushed at once, exactly the stack's count / (leaf + 1) entries.
      const leaf = core.sortLeafTuplesMax();
      const keys = Math.floor(core.sortCachedTuplesMax() / (leaf + 1));
      const count = keys * (leaf + 1);
      const random = splitmix64(5n);
      expectSortedInPlace(core, count, (i) => [BigInt(keys - 1 - (i % keys)), random() & 0xffn], "full stack");
    },
  },
  {
    name: "stream splits nest: 100 000 tuples where 1 in 97 keys has one random bit set",
    run(core) {
      // The bucket of zero keys holds 99% of the tuples, more than a cached range, at every level.
      const random = splitmix64(97n);
      expectSortedInPlace(core, 100_000, (i) => [i % 97 === 0 ? 1n << (random() & 63n) : 0n, random() & 0xffn], "outliers");
    },
  },
  {
    name: "stream splits of equal halves: 100 000 tuples whose keys differ only in the top bit",
    run(core) {
      // Split 1 uses 2 of 16 384 buckets; each half, still a stream range, is all equal.
      const random = splitmix64(2n);
      expectSortedInPlace(core, 100_000, () => [(random() & 1n) << 63n, 3n], "top bit");
    },
  },
  {
    name: "keys, revisions and indices outside their ranges are InvalidArgumentErrors",
    run(core) {
      const good = { key: 1n, revision: 1n, index: 1 };
      const bad: SortTuple[] = [
        { ...good, key: -1n }, { ...good, key: 1n << 64n }, { ...good, revision: -1n }, { ...good, revision: 1n << 64n },
        { ...good, index: -1 }, { ...good, index: 2 ** 32 }, { ...good, index: 1.5 },
        { ...good, key: 5 as unknown as bigint },
      ];
      for (const tuple of bad) {
        expect(() => core.sortTuples([good, tuple])).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
      }
      const region = core.allocateRegion(64);
      for (const count of [-1, 1.5, Number.NaN, 2 ** 40]) {
        expect(() => core.sortTuplesAt(asPtr(region.ptr), count)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
      }
      core.releaseRegion(region);
    },
  },
  ...shapeChecks,
];
