// Hilbert keys: exhaustive round trips and the adjacency property on whole small grids, agreement
// with a plain BigInt transcription of Skilling's algorithm (hilbert-reference.ts) up to
// dims*bits = 64, the batch path against the single-point path, and every rejected input.
import { expect } from "chai";
import fc from "fast-check";
import { type Core, type Region } from "../../host/core/index.js";
import { type CoreCheck, propertySeed } from "./core-check.js";
import { referenceKey, referencePoint } from "./hilbert-reference.js";

/** A (dims, bits) space with dims*bits <= 64, often exactly 64. */
const arbitrarySpace = fc.integer({ min: 1, max: 16 }).chain((dims) => {
  const bitsMax = Math.floor(64 / dims);
  return fc.tuple(fc.constant(dims), fc.oneof(fc.constant(bitsMax), fc.integer({ min: 1, max: bitsMax })));
});

function arbitraryPoint(dims: number, bits: number): fc.Arbitrary<bigint[]> {
  const coordinateMax = (1n << BigInt(bits)) - 1n;
  const coordinate = fc.oneof(fc.bigInt({ min: 0n, max: coordinateMax }), fc.constantFrom(0n, coordinateMax));
  return fc.array(coordinate, { minLength: dims, maxLength: dims });
}

const manhattan = (a: readonly bigint[], b: readonly bigint[]): bigint =>
  a.reduce((sum, value, axis) => {
    const other = b[axis] ?? 0n;
    return sum + (value > other ? value - other : other - value);
  }, 0n);

/** Every key of the space through hilbertPoint, then back through hilbertKey. */
function roundTripEveryKey(core: Core, dims: number, bits: number): void {
  const keyCount = 1n << BigInt(dims * bits);
  const limit = 1n << BigInt(bits);
  for (let key = 0n; key < keyCount; key++) {
    const point = core.hilbertPoint(dims, bits, key);
    expect(point.every((coordinate) => coordinate >= 0n && coordinate < limit), `point of ${key}`).to.equal(true);
    const back = core.hilbertKey(dims, bits, point);
    if (back !== key) expect.fail(`dims ${dims} bits ${bits}: key ${key} -> [${point.join(", ")}] -> ${back}`);
  }
}

/** u32 coordinates written into a region, for the batch path. */
function writeCoords(core: Core, region: Region, points: readonly (readonly bigint[])[]): void {
  const view = new DataView(core.memory.buffer, region.ptr, region.sizeBytes);
  let offset = 0;
  for (const point of points) {
    for (const coordinate of point) {
      view.setUint32(offset, Number(coordinate), true);
      offset += 4;
    }
  }
}

function readKeys(core: Core, region: Region, count: number, stride = 8): bigint[] {
  const view = new DataView(core.memory.buffer, region.ptr, region.sizeBytes);
  return Array.from({ length: count }, (_, i) => view.getBigUint64(i * stride, true));
}

export const hilbertChecks: CoreCheck[] = [
  {
    name: "key -> point -> key round-trips over every key of small grids, dims 1..6",
    run(core) {
      // dims*bits <= 12: up to 4096 keys per grid.
      for (let dims = 1; dims <= 6; dims++) {
        for (let bits = 1; dims * bits <= 12; bits++) roundTripEveryKey(core, dims, bits);
      }
    },
  },
  {
    name: "key -> point -> key round-trips over every key of small grids, dims 7..16",
    run(core) {
      // 2^14 and 2^16 keys for dims 7 and 8 at bits 2, and every dims 9..16 at bits 1 (2^16 keys at most).
      for (const dims of [7, 8]) for (const bits of [1, 2]) roundTripEveryKey(core, dims, bits);
      for (let dims = 9; dims <= 16; dims++) roundTripEveryKey(core, dims, 1);
    },
  },
  {
    name: "consecutive keys are at Manhattan distance 1 over whole 1D, 2D, 3D and 4D grids",
    run(core) {
      const grids: Array<[number, number]> = [];
      for (let bits = 1; bits <= 10; bits++) grids.push([1, bits]);
      for (let bits = 1; bits <= 7; bits++) grids.push([2, bits]);
      for (let bits = 1; bits <= 5; bits++) grids.push([3, bits]);
      for (let bits = 1; bits <= 4; bits++) grids.push([4, bits]);
      for (const [dims, bits] of grids) {
        let previous = core.hilbertPoint(dims, bits, 0n);
        expect(previous, `key 0 of (${dims}, ${bits}) is the origin`).to.deep.equal(new Array(dims).fill(0n));
        const keyCount = 1n << BigInt(dims * bits);
        for (let key = 1n; key < keyCount; key++) {
          const point = core.hilbertPoint(dims, bits, key);
          if (manhattan(previous, point) !== 1n) {
            expect.fail(`dims ${dims} bits ${bits}: keys ${key - 1n} and ${key} map to [${previous.join()}] and [${point.join()}]`);
          }
          previous = point;
        }
      }
    },
  },
  {
    name: "dims 1 is the identity, up to bits 64",
    run(core) {
      for (const bits of [1, 7, 31, 32, 33, 53, 54, 63, 64]) {
        const top = (1n << BigInt(bits)) - 1n;
        for (const value of [0n, 1n, top >> 1n, top - 1n, top]) {
          expect(core.hilbertKey(1, bits, [value])).to.equal(value);
          expect(core.hilbertPoint(1, bits, value)).to.deep.equal([value]);
        }
      }
    },
  },
  {
    name: "keys and points agree with the BigInt transcription of Skilling, dims*bits up to 64",
    run(core) {
      fc.assert(
        fc.property(arbitrarySpace.chain(([dims, bits]) => fc.tuple(fc.constant(dims), fc.constant(bits),
          arbitraryPoint(dims, bits), fc.bigInt({ min: 0n, max: (1n << BigInt(dims * bits)) - 1n }))),
        ([dims, bits, point, key]) => {
          const expectedKey = referenceKey(point, bits);
          expect(core.hilbertKey(dims, bits, point), `key of [${point.join()}] in (${dims}, ${bits})`).to.equal(expectedKey);
          expect(core.hilbertPoint(dims, bits, expectedKey)).to.deep.equal(point);
          expect(core.hilbertPoint(dims, bits, key), `point of ${key} in (${dims}, ${bits})`)
            .to.deep.equal(referencePoint(dims, bits, key));
        }),
        { seed: propertySeed(), numRuns: 400 },
      );
    },
  },
  {
    name: "coordinates may be numbers or bigints, with the same key",
    run(core) {
      expect(core.hilbertKey(3, 21, [5, 1_000_000, 2 ** 21 - 1])).to.equal(core.hilbertKey(3, 21, [5n, 1_000_000n, 2n ** 21n - 1n]));
      expect(core.hilbertKey(2, 32, new Uint32Array([7, 0xffffffff]))).to.equal(core.hilbertKey(2, 32, [7n, 0xffffffffn]));
      expect(core.hilbertKey(1, 53, [2 ** 53 - 1])).to.equal(2n ** 53n - 1n);
    },
  },
  ...batchChecks(),
  ...rejectionChecks(),
];

function batchChecks(): CoreCheck[] {
  return [
    {
      name: "batch: hilbertKeysAt equals hilbertKey for every count 0..40 (SIMD groups and tails), at strides 8, 16, 24",
      run(core) {
        const coords = core.allocateRegion(40 * 16 * 4);
        const keys = core.allocateRegion(40 * 24);
        const dimsArbitrary = fc.oneof(fc.constantFrom(2, 3), fc.integer({ min: 1, max: 16 }));
        fc.assert(
          fc.property(dimsArbitrary.chain((dims) => fc.tuple(fc.constant(dims),
            fc.integer({ min: 1, max: Math.min(32, Math.floor(64 / dims)) }))).chain(([dims, bits]) =>
            fc.tuple(fc.constant(dims), fc.constant(bits), fc.array(arbitraryPoint(dims, bits), { maxLength: 40 }))),
          fc.constantFrom(8, 16, 24),
          ([dims, bits, points], stride) => {
            writeCoords(core, coords, points);
            const bytes = new Uint8Array(core.memory.buffer, keys.ptr, 40 * 24).fill(0xaa);
            expect(core.hilbertKeysAt(dims, bits, coords.ptr, points.length, keys.ptr, stride)).to.equal(points.length);
            expect(readKeys(core, keys, points.length, stride)).to.deep.equal(points.map((point) => core.hilbertKey(dims, bits, point)));
            // Only the keys were written: the bytes between them and after the last are as they were.
            bytes.forEach((byte, offset) => {
              const isKey = offset % stride < 8 && offset < points.length * stride;
              if (!isKey && byte !== 0xaa) expect.fail(`byte ${offset} written at stride ${stride}`);
            });
          }),
          { seed: propertySeed(), numRuns: 300 },
        );
        core.releaseRegion(coords);
        core.releaseRegion(keys);
      },
    },
    {
      name: "batch: 20000 random 2D and 3D points at the widest bits equal the reference",
      run(core) {
        const count = 20_000;
        const coords = core.allocateRegion(count * 3 * 4);
        const keys = core.allocateRegion(count * 8);
        fc.assert(
          fc.property(fc.constantFrom<[number, number]>([2, 32], [3, 21], [2, 16], [3, 16]), fc.integer(), ([dims, bits], seed) => {
            const points = Array.from({ length: count }, (_, i) => pseudoPoint(dims, bits, seed, i));
            writeCoords(core, coords, points);
            core.hilbertKeysAt(dims, bits, coords.ptr, count, keys.ptr);
            const got = readKeys(core, keys, count);
            for (let i = 0; i < count; i += 97) expect(got[i], `point ${i}`).to.equal(referenceKey(points[i] ?? [], bits));
            for (let i = 0; i < count; i++) {
              if (got[i] !== core.hilbertKey(dims, bits, points[i] ?? [])) expect.fail(`point ${i} of (${dims}, ${bits})`);
            }
          }),
          { seed: propertySeed(), numRuns: 4 },
        );
        core.releaseRegion(coords);
        core.releaseRegion(keys);
      },
    },
    {
      name: "batch: a coordinate >= 2^bits names the first bad point, whose key and later ones are not written",
      run(core) {
        const coords = core.allocateRegion(64 * 4 * 4);
        const keys = core.allocateRegion(64 * 8);
        fc.assert(
          fc.property(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 64 }), fc.nat(), fc.nat(),
            (dims, bits, count, badSeed, axisSeed) => {
              const points = Array.from({ length: count }, (_, i) => pseudoPoint(dims, bits, 9, i));
              const bad = badSeed % count;
              const axis = axisSeed % dims;
              points[bad]![axis] = 1n << BigInt(bits);
              if (bad + 1 < count) points[count - 1]![0] = 0xffffffffn; // a later bad point is not the one named
              writeCoords(core, coords, points);
              new Uint8Array(core.memory.buffer, keys.ptr, count * 8).fill(0xaa);
              expect(() => core.hilbertKeysAt(dims, bits, coords.ptr, count, keys.ptr))
                .to.throw(RangeError, `point ${bad} `).with.property("code", "SPACELOG_COORDINATE_OUT_OF_RANGE");
              const untouched = new Uint8Array(core.memory.buffer, keys.ptr + bad * 8, (count - bad) * 8);
              expect(untouched.every((byte) => byte === 0xaa), "keys from the bad point on").to.equal(true);
            }),
          { seed: propertySeed(), numRuns: 200 },
        );
        core.releaseRegion(coords);
        core.releaseRegion(keys);
      },
    },
    {
      name: "batch: bits 32 takes every u32, bits 33 is a DimensionsOutOfRangeError",
      run(core) {
        const coords = core.allocateRegion(64);
        const keys = core.allocateRegion(64);
        writeCoords(core, coords, [[0xffffffffn, 0n], [0n, 0xffffffffn]]);
        expect(core.hilbertKeysAt(2, 32, coords.ptr, 2, keys.ptr)).to.equal(2);
        expect(readKeys(core, keys, 2)).to.deep.equal([core.hilbertKey(2, 32, [0xffffffff, 0]), core.hilbertKey(2, 32, [0, 0xffffffff])]);
        expect(() => core.hilbertKeysAt(1, 33, coords.ptr, 1, keys.ptr)).to.throw(RangeError)
          .with.property("code", "SPACELOG_DIMENSIONS_OUT_OF_RANGE");
        expect(() => core.hilbertKeysAt(17, 2, coords.ptr, 1, keys.ptr)).to.throw(RangeError)
          .with.property("code", "SPACELOG_DIMENSIONS_OUT_OF_RANGE");
        core.releaseRegion(coords);
        core.releaseRegion(keys);
      },
    },
  ];
}

/** A deterministic point (xorshift32 over seed and index), for data whose content does not matter. */
function pseudoPoint(dims: number, bits: number, seed: number, index: number): bigint[] {
  let x = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) | 1;
  const point: bigint[] = [];
  for (let axis = 0; axis < dims; axis++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    point.push(BigInt(x >>> 0) & ((1n << BigInt(bits)) - 1n));
  }
  return point;
}

const COORDINATE = "SPACELOG_COORDINATE_OUT_OF_RANGE";
const DIMENSIONS = "SPACELOG_DIMENSIONS_OUT_OF_RANGE";

function rejectionChecks(): CoreCheck[] {
  return [
    {
      name: "bad coordinates are a CoordinateOutOfRangeError, never masked",
      run(core) {
        const cases: Array<[string, ArrayLike<number | bigint>]> = [
          ["coordinate 2^bits", [0, 16]],
          ["coordinate 2^bits as bigint", [16n, 0n]],
          ["negative coordinate", [-1, 0]],
          ["negative bigint coordinate", [0n, -1n]],
          ["non-integer coordinate", [1.5, 0]],
          ["NaN", [Number.NaN, 0]],
          ["unsafe integer", [2 ** 53, 0]],
        ];
        for (const [what, point] of cases) {
          expect(() => core.hilbertKey(2, 4, point), what).to.throw(RangeError).with.property("code", COORDINATE);
        }
        expect(() => core.hilbertKey(1, 64, [1n << 64n])).to.throw(RangeError).with.property("code", COORDINATE);
        expect(() => core.hilbertKey(2, 2, ["1" as unknown as number, 0])).to.throw(RangeError).with.property("code", COORDINATE);
      },
    },
    {
      name: "wrong coordinate counts and bad dims/bits are a DimensionsOutOfRangeError",
      run(core) {
        expect(() => core.hilbertKey(3, 4, [1, 2]), "too few").to.throw(RangeError).with.property("code", DIMENSIONS);
        expect(() => core.hilbertKey(2, 4, [1, 2, 3]), "too many").to.throw(RangeError).with.property("code", DIMENSIONS);
        const spaces: Array<[number, number]> = [[0, 4], [17, 1], [2, 0], [1, 65], [5, 13], [13, 5], [2.5, 4], [2, 4.5], [-1, 4]];
        for (const [dims, bits] of spaces) {
          const point = new Array<number>(Math.max(0, Math.floor(dims))).fill(0);
          expect(() => core.hilbertKey(dims, bits, point), `key (${dims}, ${bits})`).to.throw(RangeError).with.property("code", DIMENSIONS);
          expect(() => core.hilbertPoint(dims, bits, 0n), `point (${dims}, ${bits})`).to.throw(RangeError).with.property("code", DIMENSIONS);
        }
      },
    },
    {
      name: "a key >= 2^(dims*bits) or below 0 is a CoordinateOutOfRangeError",
      run(core) {
        expect(() => core.hilbertPoint(2, 4, 256n)).to.throw(RangeError).with.property("code", COORDINATE);
        expect(() => core.hilbertPoint(2, 4, -1n)).to.throw(RangeError).with.property("code", COORDINATE);
        expect(() => core.hilbertPoint(4, 16, 1n << 64n)).to.throw(RangeError).with.property("code", COORDINATE);
        expect(() => core.hilbertPoint(2, 4, 3 as unknown as bigint)).to.throw(RangeError).with.property("code", COORDINATE);
        expect(core.hilbertPoint(4, 16, (1n << 64n) - 1n)).to.have.length(4);
      },
    },
    {
      name: "the core itself returns codes, never traps, for bad arguments",
      run(core) {
        const raw = core.context.exports as unknown as Record<string, (...args: Array<number | bigint>) => unknown>;
        const call = (name: string, ...args: Array<number | bigint>): unknown => raw[name]?.(...args);
        const region = core.allocateRegion(256);
        const view = new DataView(core.memory.buffer, region.ptr, 256);
        const outside = core.memory.buffer.byteLength - 8;
        view.setBigUint64(0, 3n, true);
        view.setBigUint64(8, 4n, true);
        expect(call("hilbertKeyChecked", 2, 2, region.ptr, region.ptr + 64)).to.equal(-2); // 4 >= 2^2: not masked to 0
        expect(call("hilbertKeyChecked", 2, 3, region.ptr, region.ptr + 64)).to.equal(0);
        expect(call("hilbertKeyChecked", 0, 3, region.ptr, region.ptr + 64)).to.equal(-1);
        expect(call("hilbertKeyChecked", 17, 3, region.ptr, region.ptr + 64)).to.equal(-1);
        expect(call("hilbertKeyChecked", 16, 0x10000000, region.ptr, region.ptr + 64)).to.equal(-1); // 16 * 2^28 wraps a u32
        expect(call("hilbertKeyChecked", 2, 3, outside, region.ptr + 64)).to.equal(-5);
        expect(call("hilbertPointChecked", 2, 3, 64n, region.ptr)).to.equal(-3);
        expect(call("hilbertPointChecked", 1, 64, -1n, region.ptr)).to.equal(0); // 2^64 - 1 is a valid key of (1, 64)
        expect(call("hilbertPointChecked", 4, 16, 0n, outside)).to.equal(-5);
        expect(call("hilbertKeysBatch", 2, 33, region.ptr, 1, region.ptr + 64, 8)).to.equal(-1);
        expect(call("hilbertKeysBatch", 2, 8, outside, 4, region.ptr + 64, 8)).to.equal(-5);
        expect(call("hilbertKeysBatch", 2, 8, region.ptr, 4, region.ptr + 64, 4)).to.equal(-5); // keys would overlap
        expect(call("hilbertKeysBatch", 2, 8, region.ptr, 2, outside - 16, 24)).to.equal(-5);
        core.releaseRegion(region);
      },
    },
  ];
}
