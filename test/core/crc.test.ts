import { expect } from "chai";
import fc from "fast-check";
import * as zlib from "node:zlib";
import { patternBytes, propertySeed } from "./core-check.js";
import { registerChecks, sharedCore } from "./core-suite.js";
import { crcChecks } from "./crc-checks.js";

describe("core: crc32 / crc32c", () => {
  registerChecks(crcChecks);

  it("crc32 equals Node's zlib.crc32 on random lengths 0..1 MiB, with continuation values", async () => {
    const core = await sharedCore();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 << 20 }), fc.integer(), fc.nat({ max: 0xffffffff }), (length, seed, crc) => {
        const bytes = patternBytes(length, seed);
        expect(core.crc32(bytes, crc)).to.equal(zlib.crc32(bytes, crc));
      }),
      { seed: propertySeed(), numRuns: 60 },
    );
  });
});
