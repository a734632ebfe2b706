// Points and their keys (host/store/point-codec.ts): one test per rule, named for it, on the real core.
import { expect } from "chai";
import fc from "fast-check";
import { type Core, loadCore } from "../../host/core/index.js";
import {
  CoordinateOutOfRangeError, InvalidArgumentError, PointDimensionsError,
} from "../../host/errors.js";
import { type SpaceShape, checkPointOf, keyToPoint, pointOfCoordinates, pointToKey } from "../../host/store/point-codec.js";
import { propertySeed } from "../core/core-check.js";
import { referenceKey } from "../core/hilbert-reference.js";
import { spaceAndPoint } from "./space-arbitrary.js";
import { thrownTyped as thrown } from "./thrown-typed.js";

const INVALID = "SPACELOG_INVALID_ARGUMENT";
const COORDINATE = "SPACELOG_COORDINATE_OUT_OF_RANGE";
const POINT_DIMS = "SPACELOG_POINT_DIMENSIONS";

const plane: SpaceShape = { dims: 2, bits: 4 };
const line64: SpaceShape = { dims: 1, bits: 64 };

describe("store: points and their keys (host/store/point-codec.ts)", () => {
  let core: Core;
  before(async () => {
    core = await loadCore();
  });

  describe("points", () => {
    it("aPointOfNumbersIsItsCoordinatesAsBigints", () => {
      expect(checkPointOf(plane, [3, 15])).to.deep.equal([3n, 15n]);
    });

    it("numbersAndBigintsMayBeMixed", () => {
      expect(checkPointOf(plane, [3n, 15])).to.deep.equal([3n, 15n]);
    });

    it("aTypedArrayIsAPoint", () => {
      expect(checkPointOf(plane, new Uint32Array([1, 2]))).to.deep.equal([1n, 2n]);
      expect(checkPointOf(line64, new BigUint64Array([(1n << 64n) - 1n]))).to.deep.equal([(1n << 64n) - 1n]);
    });

    it("aPointThatIsNotAnArrayIsInvalidArgument", () => {
      for (const point of [undefined, null, 3, "12", { 0: 1, 1: 2, length: 2 }, new DataView(new ArrayBuffer(8))]) {
        thrown(() => checkPointOf(plane, point), InvalidArgumentError, INVALID);
      }
    });

    it("theWrongNumberOfCoordinatesIsPointDimensions", () => {
      for (const point of [[], [1], [1, 2, 3]]) {
        const error = thrown(() => checkPointOf(plane, point), PointDimensionsError, POINT_DIMS);
        expect(error.message).to.include(`has ${point.length} coordinate`);
      }
    });

    it("aCoordinateAtTwoToTheBitsIsCoordinateOutOfRangeNeverMasked", () => {
      thrown(() => pointToKey(core, plane, [16, 0]), CoordinateOutOfRangeError, COORDINATE);
      thrown(() => pointToKey(core, plane, [0, 16n]), CoordinateOutOfRangeError, COORDINATE);
      thrown(() => pointToKey(core, line64, [1n << 64n]), CoordinateOutOfRangeError, COORDINATE);
      expect(pointToKey(core, plane, [15, 15])).to.be.a("bigint");
    });

    it("twoPointsThatMaskedWouldCollideGetDistinctKeysOrAnError", () => {
      // With bits 4, masking would store [17, 3] as [1, 3]: it must be refused instead.
      const key = pointToKey(core, plane, [1, 3]);
      for (const point of [[17, 3], [1, 19], [1n + (1n << 32n), 3n]]) {
        let other: bigint | undefined;
        try {
          other = pointToKey(core, plane, point);
        } catch (error) {
          expect(error).to.be.instanceOf(CoordinateOutOfRangeError);
        }
        expect(other).to.not.equal(key);
      }
    });

    it("aNegativeCoordinateIsCoordinateOutOfRange", () => {
      thrown(() => checkPointOf(plane, [-1, 0]), CoordinateOutOfRangeError, COORDINATE);
      thrown(() => checkPointOf(plane, [0, -1n]), CoordinateOutOfRangeError, COORDINATE);
      thrown(() => checkPointOf(plane, [-0.5, 0]), CoordinateOutOfRangeError, COORDINATE);
    });

    it("aNonIntegerOrNaNCoordinateIsCoordinateOutOfRange", () => {
      for (const coordinate of [1.5, NaN, Infinity, -Infinity]) thrown(() => checkPointOf(plane, [coordinate, 0]), CoordinateOutOfRangeError, COORDINATE);
    });

    it("aCoordinateOfAnotherTypeIsCoordinateOutOfRange", () => {
      for (const coordinate of ["1", null, undefined, true, [1]]) thrown(() => checkPointOf(plane, [coordinate, 0]), CoordinateOutOfRangeError, COORDINATE);
    });

    it("aHoleInASparseArrayIsCoordinateOutOfRange", () => {
      const point = [1];
      point.length = 2;
      thrown(() => checkPointOf(plane, point), CoordinateOutOfRangeError, COORDINATE);
    });

    it("aSafeIntegerNumberIsAcceptedAboveBits53", () => {
      expect(checkPointOf(line64, [Number.MAX_SAFE_INTEGER])).to.deep.equal([(1n << 53n) - 1n]);
    });

    it("aNumberPastTheSafeIntegersIsRefusedEvenWhereItWouldFit", () => {
      // 2^53 is exact as a number, but 2^53 + 1 is not: past MAX_SAFE_INTEGER a number is a bigint's job.
      thrown(() => checkPointOf(line64, [2 ** 53]), CoordinateOutOfRangeError, COORDINATE);
      expect(checkPointOf(line64, [1n << 53n])).to.deep.equal([1n << 53n]);
    });

    it("theKeyIsTheReferenceCurvesKey", () => {
      expect(pointToKey(core, plane, [1, 3])).to.equal(referenceKey([1n, 3n], 4));
    });

    it("keyToPointIsNumbersUpTo53BitsAndBigintsAbove", () => {
      expect(keyToPoint(core, { dims: 1, bits: 53 }, (1n << 53n) - 1n)).to.deep.equal([2 ** 53 - 1]);
      expect(keyToPoint(core, { dims: 1, bits: 54 }, (1n << 53n))).to.deep.equal([1n << 53n]);
      expect(pointOfCoordinates(plane, [1n, 2n])).to.deep.equal([1, 2]);
    });

    it("keyToPointRefusesAKeyOutsideTheSpace", () => {
      thrown(() => keyToPoint(core, plane, 256n), CoordinateOutOfRangeError, COORDINATE);
      thrown(() => keyToPoint(core, plane, -1n), CoordinateOutOfRangeError, COORDINATE);
    });

    it("pointToKeyAndKeyToPointRoundTripAbove53BitsWithBigints", () => {
      const wide = fc.integer({ min: 54, max: 64 }).chain((bits) =>
        fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }).map((coordinate) => ({ bits, coordinate })));
      fc.assert(
        fc.property(wide, ({ bits, coordinate }) => {
          const space = { dims: 1, bits };
          const key = pointToKey(core, space, [coordinate]);
          expect(key).to.equal(referenceKey([coordinate], bits));
          expect(keyToPoint(core, space, key)).to.deep.equal([coordinate]);
        }),
        { seed: propertySeed(), numRuns: 300 },
      );
    });

    it("aRefusedPointIsLeftUnchanged", () => {
      const points: unknown[][] = [[16, 0], [1.5, 0], [1, 2, 3], [-1n, 0]];
      for (const point of points) {
        const before = [...point];
        expect(() => pointToKey(core, plane, point)).to.throw();
        expect(point).to.deep.equal(before);
      }
    });

    it("pointToKeyAndKeyToPointRoundTripForEverySpace", () => {
      fc.assert(
        fc.property(spaceAndPoint, ({ space, coordinates }) => {
          const key = pointToKey(core, space, coordinates);
          expect(key).to.equal(referenceKey(coordinates, space.bits));
          const back = keyToPoint(core, space, key);
          if (space.bits > 53) expect(back).to.deep.equal(coordinates);
          else expect(back).to.deep.equal(coordinates.map(Number));
          expect(pointToKey(core, space, back)).to.equal(key);
        }),
        { seed: propertySeed(), numRuns: 500 },
      );
    });
  });
});
