// Values (host/store/value-check.ts): one test per rule, named for it.
import { expect } from "chai";
import { InvalidArgumentError, ValueTooLargeError } from "../../host/errors.js";
import { VALUE_SIZE_MAX } from "../../host/store/block-format.js";
import { PUT_VALUE_SIZE_MAX } from "../../host/store/store-record.js";
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

    it("aValueOfPUT_VALUE_SIZE_MAXBytesIsAcceptedAndOneMoreIsValueTooLarge", () => {
      // 16 MiB - 29: a put's 29 fixed bytes and its value fill one frame (2^24 bytes at most),
      // and every such value also fits a sealed block's record (VALUE_SIZE_MAX, 16 MiB - 1).
      expect(PUT_VALUE_SIZE_MAX).to.equal(16 * 1024 * 1024 - 29);
      expect(PUT_VALUE_SIZE_MAX).to.be.below(VALUE_SIZE_MAX);
      expect(checkValue(new Uint8Array(PUT_VALUE_SIZE_MAX)).byteLength).to.equal(PUT_VALUE_SIZE_MAX);
      const error = thrown(() => checkValue(new Uint8Array(PUT_VALUE_SIZE_MAX + 1)), ValueTooLargeError, "SPACELOG_VALUE_TOO_LARGE");
      expect(error.valueSizeBytes).to.equal(PUT_VALUE_SIZE_MAX + 1);
      expect(error.valueSizeMax).to.equal(PUT_VALUE_SIZE_MAX);
    });

    it("aValueThatIsNotAUint8ArrayIsInvalidArgument", () => {
      for (const value of [undefined, null, "hi", 3, [1, 2], new ArrayBuffer(2), new Int8Array(2), new Uint8ClampedArray(2),
        new DataView(new ArrayBuffer(2)), { byteLength: 2 }]) {
        thrown(() => checkValue(value), InvalidArgumentError, INVALID);
      }
    });
  });
});
