// Values (host/store/value-check.ts): one test per rule, named for it.
import { expect } from "chai";
import { InvalidArgumentError, ValueTooLargeError } from "../../host/errors.js";
import { VALUE_SIZE_MAX } from "../../host/store/block-format.js";
import { checkValue } from "../../host/store/value-check.js";
import { thrownTyped as thrown } from "./thrown-typed.js";

const INVALID = "SPACELOG_INVALID_ARGUMENT";

describe("store: values (host/store/value-check.ts)", () => {
  describe("values", () => {
    it("aUint8ArrayOrBufferIsAValue", () => {
      const bytes = new Uint8Array([1, 2, 3]);
      expect(checkValue(bytes)).to.equal(bytes);
      const buffer = Buffer.from("hi");
      expect(checkValue(buffer)).to.equal(buffer);
    });

    it("anEmptyValueIsAValue", () => {
      expect(checkValue(new Uint8Array(0)).byteLength).to.equal(0);
    });

    it("aValueOfVALUE_SIZE_MAXBytesIsAcceptedAndOneMoreIsValueTooLarge", () => {
      // VALUE_SIZE_MAX is 16 MiB - 1: the largest length the block format's 24-bit field holds.
      expect(VALUE_SIZE_MAX).to.equal(16 * 1024 * 1024 - 1);
      expect(checkValue(new Uint8Array(VALUE_SIZE_MAX)).byteLength).to.equal(VALUE_SIZE_MAX);
      const error = thrown(() => checkValue(new Uint8Array(VALUE_SIZE_MAX + 1)), ValueTooLargeError, "SPACELOG_VALUE_TOO_LARGE");
      expect(error.valueSizeBytes).to.equal(VALUE_SIZE_MAX + 1);
      expect(error.valueSizeMax).to.equal(VALUE_SIZE_MAX);
    });

    it("aValueThatIsNotAUint8ArrayIsInvalidArgument", () => {
      for (const value of [undefined, null, "hi", 3, [1, 2], new ArrayBuffer(2), new Int8Array(2), new Uint8ClampedArray(2),
        new DataView(new ArrayBuffer(2)), { byteLength: 2 }]) {
        thrown(() => checkValue(value), InvalidArgumentError, INVALID);
      }
    });
  });
});
