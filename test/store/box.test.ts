// Query boxes (host/store/box.ts): one test per rule, named for it, and the exact filter against
// a brute-force comparison, on the real core.
import { expect } from "chai";
import fc from "fast-check";
import { type Core, loadCore } from "../../host/core/index.js";
import { CoordinateOutOfRangeError, InvalidArgumentError, PointDimensionsError } from "../../host/errors.js";
import { boxContains, boxContainsCoordinates, checkBox } from "../../host/store/box.js";
import { type SpaceShape, keyToPoint, pointToKey } from "../../host/store/point-codec.js";
import { propertySeed } from "../core/core-check.js";
import { spaceAndPoint } from "./space-arbitrary.js";
import { thrownTyped as thrown } from "./thrown-typed.js";

const INVALID = "SPACELOG_INVALID_ARGUMENT";
const COORDINATE = "SPACELOG_COORDINATE_OUT_OF_RANGE";
const POINT_DIMS = "SPACELOG_POINT_DIMENSIONS";

const plane: SpaceShape = { dims: 2, bits: 4 };

describe("store: query boxes (host/store/box.ts)", () => {
  let core: Core;
  before(async () => {
    core = await loadCore();
  });

  describe("boxes", () => {
    it("aBoxIsItsCornersAsBigints", () => {
      expect(checkBox(plane, { min: [1, 2], max: [3n, 4] })).to.deep.equal({ min: [1n, 2n], max: [3n, 4n] });
    });

    it("aBoxOfOneCellIsValid", () => {
      const box = checkBox(plane, { min: [5, 5], max: [5, 5] });
      expect(boxContains(core, plane, box, pointToKey(core, plane, [5, 5]))).to.equal(true);
      expect(boxContains(core, plane, box, pointToKey(core, plane, [5, 6]))).to.equal(false);
    });

    it("minAboveMaxIsInvalidArgumentNamingTheAxis", () => {
      const error = thrown(() => checkBox({ dims: 3, bits: 4 }, { min: [1, 7, 1], max: [2, 6, 0] }), InvalidArgumentError, INVALID);
      expect(error.message).to.include("box.min[1] = 7 is above box.max[1] = 6");
    });

    it("aBoxThatIsNotAnObjectIsInvalidArgument", () => {
      for (const box of [undefined, null, [[0, 0], [1, 1]], "box"]) thrown(() => checkBox(plane, box), InvalidArgumentError, INVALID);
    });

    it("anUnknownBoxKeyIsInvalidArgument", () => {
      const error = thrown(() => checkBox(plane, { min: [0, 0], max: [1, 1], low: [0, 0] }), InvalidArgumentError, INVALID);
      expect(error.message).to.include('"low"');
    });

    it("aMissingCornerIsInvalidArgument", () => {
      thrown(() => checkBox(plane, { min: [0, 0] }), InvalidArgumentError, INVALID);
    });

    it("aCornerFollowsThePointRules", () => {
      thrown(() => checkBox(plane, { min: [0], max: [1, 1] }), PointDimensionsError, POINT_DIMS);
      const error = thrown(() => checkBox(plane, { min: [0, 0], max: [1, 16] }), CoordinateOutOfRangeError, COORDINATE);
      expect(error.message).to.include("box.max[1]");
    });

    it("aCheckedBoxIsFrozen", () => {
      const box = checkBox(plane, { min: [0, 0], max: [1, 1] });
      expect(Object.isFrozen(box) && Object.isFrozen(box.min) && Object.isFrozen(box.max)).to.equal(true);
    });

    it("boxContainsEqualsABruteForceComparison", () => {
      const spaceBoxPoint = spaceAndPoint.chain(({ space, coordinates }) => {
        const coordinate = fc.bigInt({ min: 0n, max: (1n << BigInt(space.bits)) - 1n });
        const corners = fc.array(fc.tuple(coordinate, coordinate), { minLength: space.dims, maxLength: space.dims });
        return corners.map((pairs) => ({ space, coordinates, pairs }));
      });
      fc.assert(
        fc.property(spaceBoxPoint, ({ space, coordinates, pairs }) => {
          const min = pairs.map(([a, b]) => (a < b ? a : b));
          const max = pairs.map(([a, b]) => (a < b ? b : a));
          const box = checkBox(space, { min, max });
          const inside = coordinates.every((c, axis) => c >= min[axis]! && c <= max[axis]!);
          expect(boxContains(core, space, box, pointToKey(core, space, coordinates))).to.equal(inside);
          expect(boxContainsCoordinates(box, coordinates)).to.equal(inside);
          // The corners themselves are inside.
          expect(boxContainsCoordinates(box, min) && boxContainsCoordinates(box, max)).to.equal(true);
        }),
        { seed: propertySeed(), numRuns: 500 },
      );
    });

    it("everyCellOfASmallSpaceIsInTheBoxExactlyWhenBruteForceSaysSo", () => {
      const box = checkBox(plane, { min: [2, 5], max: [9, 7] });
      for (let key = 0n; key < 256n; key++) {
        const [x, y] = keyToPoint(core, plane, key) as readonly number[];
        expect(boxContains(core, plane, box, key)).to.equal(x! >= 2 && x! <= 9 && y! >= 5 && y! <= 7);
      }
    });
  });
});
