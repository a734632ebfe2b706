// One query's key decoding (host/store/point-decoder.ts) and the core's number fast path under it
// (core.hilbertPointOfNumbers), against the bigint path they replace: point-codec's keyToPoint and
// box.ts's boxContains, on the real core, over every space shape.
import { expect } from "chai";
import fc from "fast-check";
import { type Core, loadCore } from "../../host/core/index.js";
import { CoordinateOutOfRangeError, DimensionsOutOfRangeError } from "../../host/errors.js";
import { boxContains, checkBox } from "../../host/store/box.js";
import { type SpaceShape, keyToPoint, pointToKey } from "../../host/store/point-codec.js";
import { PointDecoder } from "../../host/store/point-decoder.js";
import { propertySeed } from "../core/core-check.js";
import { spaceAndPoint } from "./space-arbitrary.js";
import { thrownTyped as thrown } from "./thrown-typed.js";

describe("store: a query's point decoder (host/store/point-decoder.ts)", () => {
  let core: Core;
  before(async () => {
    core = await loadCore();
  });

  it("hilbertPointOfNumbersEqualsHilbertPointForEverySpaceUpTo53Bits", () => {
    fc.assert(fc.property(spaceAndPoint.filter(({ space }) => space.bits <= 53), ({ space, coordinates }) => {
      const key = core.hilbertKey(space.dims, space.bits, coordinates);
      const out = new Array<number>(space.dims).fill(-1);
      const got = core.hilbertPointOfNumbers(space.dims, space.bits, key, out);
      expect(got).to.equal(out);
      expect(got).to.deep.equal(coordinates.map(Number));
    }), { seed: propertySeed(), numRuns: 2000 });
  });

  it("hilbertPointOfNumbersRefusesWideBitsAndKeysOutsideTheSpace", () => {
    thrown(() => core.hilbertPointOfNumbers(1, 54, 0n, [0]), DimensionsOutOfRangeError, "SPACELOG_DIMENSIONS_OUT_OF_RANGE");
    // 2^8 is outside a (2, 4) space; 2^64 would wrap on its way into the core.
    thrown(() => core.hilbertPointOfNumbers(2, 4, 256n, [0, 0]), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE");
    thrown(() => core.hilbertPointOfNumbers(2, 32, 1n << 64n, [0, 0]), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE");
    thrown(() => core.hilbertPointOfNumbers(2, 4, -1n, [0, 0]), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE");
  });

  it("pointOfEqualsKeyToPointAndIsAFreshArrayEachTime", () => {
    fc.assert(fc.property(spaceAndPoint, ({ space, coordinates }) => {
      const decoder = new PointDecoder(core, space);
      const key = core.hilbertKey(space.dims, space.bits, coordinates);
      const first = decoder.pointOf(key);
      const second = decoder.pointOf(key);
      expect(first).to.deep.equal(keyToPoint(core, space, key));
      expect(second).to.deep.equal(first);
      expect(second, "each result owns its array").to.not.equal(first);
      // Points come back in the space's style: numbers up to 53 bits, bigints past them.
      expect(typeof first[0]).to.equal(space.bits <= 53 ? "number" : "bigint");
    }), { seed: propertySeed(), numRuns: 1000 });
  });

  it("theBoxFilterEqualsBoxContainsForEveryKeyOfSmallSpaces", () => {
    const cases: Array<{ space: SpaceShape; min: number[]; max: number[] }> = [
      { space: { dims: 1, bits: 6 }, min: [5], max: [40] },
      { space: { dims: 2, bits: 4 }, min: [0, 3], max: [9, 15] },
      { space: { dims: 3, bits: 3 }, min: [1, 0, 2], max: [6, 7, 2] },
      { space: { dims: 4, bits: 2 }, min: [0, 1, 1, 0], max: [3, 2, 3, 1] },
    ];
    for (const { space, min, max } of cases) {
      const box = checkBox(space, { min, max });
      const decoder = new PointDecoder(core, space);
      const inBox = decoder.boxFilter(box);
      let inside = 0;
      for (let key = 0n; key < 1n << BigInt(space.dims * space.bits); key++) {
        const want = boxContains(core, space, box, key);
        expect(inBox(key), `key ${key} of ${JSON.stringify(space)}`).to.equal(want);
        // The result's point after the filter is the filter's decoding, not a stale one.
        expect(decoder.pointOf(key)).to.deep.equal(keyToPoint(core, space, key));
        if (want) inside++;
      }
      expect(inside, "the box is neither empty nor the whole space").to.be.within(1, 2 ** (space.dims * space.bits) - 1);
    }
  });

  it("theBoxFilterOfAWideSpaceTakesTheBigintPath", () => {
    const space: SpaceShape = { dims: 1, bits: 64 };
    const box = checkBox(space, { min: [(1n << 60n) + 5n], max: [(1n << 63n)] });
    const inBox = new PointDecoder(core, space).boxFilter(box);
    expect(inBox(pointToKey(core, space, [(1n << 60n) + 5n]))).to.equal(true);
    expect(inBox(pointToKey(core, space, [(1n << 60n) + 4n]))).to.equal(false);
    expect(inBox(pointToKey(core, space, [(1n << 63n) + 1n]))).to.equal(false);
  });
});
