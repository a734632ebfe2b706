// Space definitions (host/store/space-spec.ts): one test per rule, named for it.
import { expect } from "chai";
import fc from "fast-check";
import {
  DimensionsOutOfRangeError, InvalidArgumentError, SpaceExistsError, UnknownSpaceError,
} from "../../host/errors.js";
import {
  SPACE_NAME_BYTES_MAX, type SpaceSpec, checkSpaceName, decideCreateSpace, parseSpaceSpec, requireSpace, sameSpec,
  spaceNameBytes,
} from "../../host/store/space-spec.js";
import { propertySeed } from "../core/core-check.js";
import { thrownTyped as thrown } from "./thrown-typed.js";

const INVALID = "SPACELOG_INVALID_ARGUMENT";
const DIMS = "SPACELOG_DIMENSIONS_OUT_OF_RANGE";

describe("store: space definitions (host/store/space-spec.ts)", () => {
  describe("names", () => {
    it("aNameOfOneCharacterIsValid", () => {
      expect(checkSpaceName("w")).to.equal("w");
    });

    it("anEmptyNameIsInvalidArgument", () => {
      thrown(() => checkSpaceName(""), InvalidArgumentError, INVALID);
    });

    it("aNonStringNameIsInvalidArgument", () => {
      for (const name of [undefined, null, 3, 3n, ["w"], { name: "w" }, Symbol("w")]) {
        thrown(() => checkSpaceName(name), InvalidArgumentError, INVALID);
      }
    });

    it("aNameOf255Utf8BytesIsValidAnd256IsNot", () => {
      expect(checkSpaceName("a".repeat(255))).to.have.length(255);
      thrown(() => checkSpaceName("a".repeat(256)), InvalidArgumentError, INVALID);
      // "é" is 2 bytes: 127 of them and one "a" are 255 bytes; 128 are 256 bytes in 128 characters.
      expect(spaceNameBytes(checkSpaceName("é".repeat(127) + "a")).byteLength).to.equal(255);
      const error = thrown(() => checkSpaceName("é".repeat(128)), InvalidArgumentError, INVALID);
      expect(error.message).to.include("got 256");
    });

    it("aNameIsMeasuredInUtf8BytesNotCharacters", () => {
      // U+1F600 is two UTF-16 units and four UTF-8 bytes: 63 of them are 252 bytes, 64 are 256.
      expect(spaceNameBytes(checkSpaceName("😀".repeat(63))).byteLength).to.equal(252);
      thrown(() => checkSpaceName("😀".repeat(64)), InvalidArgumentError, INVALID);
    });

    it("aNameWithALoneSurrogateIsInvalidArgument", () => {
      thrown(() => checkSpaceName("a\uD800b"), InvalidArgumentError, INVALID);
      thrown(() => checkSpaceName("\uDC00"), InvalidArgumentError, INVALID);
      expect(checkSpaceName("\uD83D\uDE00")).to.equal("😀");
    });

    it("aNameWithNulIsInvalidArgument", () => {
      thrown(() => checkSpaceName("a\u0000b"), InvalidArgumentError, INVALID);
    });

    it("spacesTabsAndOtherPrintableCharactersAreAllowed", () => {
      for (const name of ["my world", "a\tb", "карта", "世界", "x/y", ".", "line\nbreak"]) expect(checkSpaceName(name)).to.equal(name);
    });

    it("namesAreComparedWithoutUnicodeNormalisation", () => {
      const composed = parseSpaceSpec("\u00e9", { dims: 1, bits: 8 });
      const decomposed = parseSpaceSpec("e\u0301", { dims: 1, bits: 8 });
      expect(sameSpec(composed, decomposed)).to.equal(false);
      expect(Array.from(spaceNameBytes(composed.name))).to.not.deep.equal(Array.from(spaceNameBytes(decomposed.name)));
    });

    it("everyWellFormedNameUpTo255BytesWithoutNulIsValid", () => {
      fc.assert(
        fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 80 }), (name) => {
          const bytes = new TextEncoder().encode(name).byteLength;
          if (name.includes("\u0000") || bytes > SPACE_NAME_BYTES_MAX) {
            thrown(() => checkSpaceName(name), InvalidArgumentError, INVALID);
          } else {
            expect(checkSpaceName(name)).to.equal(name);
            expect(new TextDecoder().decode(spaceNameBytes(name))).to.equal(name);
          }
        }),
        { seed: propertySeed(), numRuns: 300 },
      );
    });
  });

  describe("options", () => {
    it("dimsAndBitsAtTheCoresLimitsAreValid", () => {
      expect(parseSpaceSpec("a", { dims: 1, bits: 1 })).to.deep.equal({ name: "a", dims: 1, bits: 1 });
      expect(parseSpaceSpec("a", { dims: 16, bits: 4 })).to.deep.equal({ name: "a", dims: 16, bits: 4 });
      expect(parseSpaceSpec("a", { dims: 1, bits: 64 })).to.deep.equal({ name: "a", dims: 1, bits: 64 });
      expect(parseSpaceSpec("a", { dims: 2, bits: 32 })).to.deep.equal({ name: "a", dims: 2, bits: 32 });
    });

    it("dimsOutside1To16IsDimensionsOutOfRange", () => {
      for (const dims of [0, 17, -1, 1.5, NaN, Infinity]) thrown(() => parseSpaceSpec("a", { dims, bits: 1 }), DimensionsOutOfRangeError, DIMS);
    });

    it("bitsBelowOneOrNonIntegerIsDimensionsOutOfRange", () => {
      for (const bits of [0, -1, 2.5, NaN]) thrown(() => parseSpaceSpec("a", { dims: 1, bits }), DimensionsOutOfRangeError, DIMS);
    });

    it("dimsTimesBitsOver64IsDimensionsOutOfRange", () => {
      thrown(() => parseSpaceSpec("a", { dims: 1, bits: 65 }), DimensionsOutOfRangeError, DIMS);
      thrown(() => parseSpaceSpec("a", { dims: 3, bits: 22 }), DimensionsOutOfRangeError, DIMS);
      thrown(() => parseSpaceSpec("a", { dims: 16, bits: 5 }), DimensionsOutOfRangeError, DIMS);
    });

    it("everyDimsBitsPairIsValidExactlyWhenTheCoreSaysSo", () => {
      for (let dims = 0; dims <= 17; dims++) {
        for (let bits = 0; bits <= 66; bits++) {
          const valid = dims >= 1 && dims <= 16 && bits >= 1 && dims * bits <= 64;
          if (valid) expect(parseSpaceSpec("a", { dims, bits })).to.include({ dims, bits });
          else thrown(() => parseSpaceSpec("a", { dims, bits }), DimensionsOutOfRangeError, DIMS);
        }
      }
    });

    it("aMissingDimsOrBitsIsInvalidArgument", () => {
      thrown(() => parseSpaceSpec("a", { bits: 8 }), InvalidArgumentError, INVALID);
      thrown(() => parseSpaceSpec("a", { dims: 2 }), InvalidArgumentError, INVALID);
      thrown(() => parseSpaceSpec("a", {}), InvalidArgumentError, INVALID);
    });

    it("aNonNumberDimsOrBitsIsInvalidArgument", () => {
      for (const value of ["3", 3n, null, true, [3]]) {
        thrown(() => parseSpaceSpec("a", { dims: value, bits: 8 }), InvalidArgumentError, INVALID);
        thrown(() => parseSpaceSpec("a", { dims: 2, bits: value }), InvalidArgumentError, INVALID);
      }
    });

    it("optionsThatAreNotAnObjectAreInvalidArgument", () => {
      for (const options of [undefined, null, 3, "dims", [2, 8]]) thrown(() => parseSpaceSpec("a", options), InvalidArgumentError, INVALID);
    });

    it("anUnknownOptionKeyIsInvalidArgumentAndNamed", () => {
      const error = thrown(() => parseSpaceSpec("a", { dims: 2, bits: 8, dim: 3 }), InvalidArgumentError, INVALID);
      expect(error.message).to.include('"dim"');
    });

    it("theNameIsCheckedBeforeTheOptions", () => {
      thrown(() => parseSpaceSpec("", { dims: 0, bits: 0 }), InvalidArgumentError, INVALID);
    });

    it("aParsedSpecIsFrozen", () => {
      const spec = parseSpaceSpec("a", { dims: 2, bits: 8 });
      expect(Object.isFrozen(spec)).to.equal(true);
    });
  });

  describe("creating and naming spaces", () => {
    const world: SpaceSpec = parseSpaceSpec("world", { dims: 3, bits: 20 });

    it("sameSpecComparesNameDimsAndBits", () => {
      expect(sameSpec(world, parseSpaceSpec("world", { dims: 3, bits: 20 }))).to.equal(true);
      expect(sameSpec(world, parseSpaceSpec("World", { dims: 3, bits: 20 }))).to.equal(false);
      expect(sameSpec(world, parseSpaceSpec("world", { dims: 2, bits: 20 }))).to.equal(false);
      expect(sameSpec(world, parseSpaceSpec("world", { dims: 3, bits: 21 }))).to.equal(false);
    });

    it("creatingANewSpaceIsCreate", () => {
      expect(decideCreateSpace(undefined, world)).to.equal("create");
    });

    it("creatingASpaceAgainWithTheSameParametersIsNotAnError", () => {
      expect(decideCreateSpace(world, parseSpaceSpec("world", { dims: 3, bits: 20 }))).to.equal("exists");
    });

    it("creatingASpaceAgainWithOtherParametersIsSpaceExists", () => {
      for (const options of [{ dims: 2, bits: 20 }, { dims: 3, bits: 21 }]) {
        const error = thrown(() => decideCreateSpace(world, parseSpaceSpec("world", options)), SpaceExistsError, "SPACELOG_SPACE_EXISTS");
        expect(error.space).to.equal("world");
        expect(error.message).to.include("dims 3, bits 20");
      }
    });

    it("anUnknownSpaceIsUnknownSpaceWithItsName", () => {
      const spaces = new Map([["world", world]]);
      expect(requireSpace(spaces, "world")).to.equal(world);
      const error = thrown(() => requireSpace(spaces, "wrold"), UnknownSpaceError, "SPACELOG_UNKNOWN_SPACE");
      expect(error.space).to.equal("wrold");
      thrown(() => requireSpace(spaces, ""), UnknownSpaceError, "SPACELOG_UNKNOWN_SPACE");
    });

    it("aNonStringSpaceNameIsInvalidArgumentNotUnknownSpace", () => {
      thrown(() => requireSpace(new Map([["3", world]]), 3), InvalidArgumentError, INVALID);
    });
  });
});
