// XXH64 against hash-wasm's xxhash64 (independent implementation), with seeds.
import { expect } from "chai";
import fc from "fast-check";
import hashWasm from "hash-wasm";
import { type CoreCheck, propertySeed } from "./core-check.js";

async function reference(bytes: Uint8Array, seed: bigint): Promise<bigint> {
  const low = Number(seed & 0xffffffffn);
  const high = Number(seed >> 32n);
  return BigInt("0x" + (await hashWasm.xxhash64(bytes, low, high)));
}

export const xxh64Checks: CoreCheck[] = [
  {
    name: "xxh64 of the empty input with seed 0 is the published value",
    run(core) {
      expect(core.xxh64(new Uint8Array(0))).to.equal(0xef46db3751d8e999n);
    },
  },
  {
    name: "xxh64 matches hash-wasm for random inputs and 64-bit seeds",
    async run(core) {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 5000 }),
          fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          async (bytes, seed) => {
            expect(core.xxh64(bytes, seed)).to.equal(await reference(bytes, seed));
          },
        ),
        { seed: propertySeed(), numRuns: 300 },
      );
    },
  },
  {
    name: "an XXH64 seed outside u64 is an InvalidArgumentError",
    run(core) {
      expect(() => core.xxh64(new Uint8Array(1), -1n)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
      expect(() => core.xxh64(new Uint8Array(1), 1n << 64n)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
    },
  },
];
