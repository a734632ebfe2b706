// CRC-32 and CRC-32C against the standard check values and against hash-wasm (an independent
// implementation), over random lengths 0..1 MiB at random alignments, and the sparse and four-lane
// methods against the table method on the lengths where they take over.
import { expect } from "chai";
import fc from "fast-check";
import hashWasm from "hash-wasm";
import { asPtr } from "../../host/core/index.js";
import { type CoreCheck, patternBytes, propertySeed } from "./core-check.js";

const CASTAGNOLI = 0x82f63b78;
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const hex32 = (hex: string): number => Number.parseInt(hex, 16) >>> 0;

export const crcChecks: CoreCheck[] = [
  {
    name: "crc32 and crc32c give the standard check values for '123456789'",
    run(core) {
      expect(core.crc32(ascii("123456789"))).to.equal(0xcbf43926);
      expect(core.crc32c(ascii("123456789"))).to.equal(0xe3069283);
      expect(core.crc32(new Uint8Array(0))).to.equal(0);
      expect(core.crc32c(new Uint8Array(32))).to.equal(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
      expect(core.crc32c(new Uint8Array(32).fill(0xff))).to.equal(0x62a8ab43); // RFC 3720 B.4: 32 bytes of ones
    },
  },
  {
    name: "continuation: crc(b, crc(a)) equals crc(a ++ b) for both polynomials",
    run(core) {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 30000 }), (a, b) => {
          const ab = new Uint8Array(a.length + b.length);
          ab.set(a);
          ab.set(b, a.length);
          expect(core.crc32(b, core.crc32(a))).to.equal(core.crc32(ab));
          expect(core.crc32c(b, core.crc32c(a))).to.equal(core.crc32c(ab));
        }),
        { seed: propertySeed(), numRuns: 60 },
      );
    },
  },
  {
    name: "crc32 and crc32c match hash-wasm on random lengths 0..1 MiB at random alignments",
    async run(core) {
      const region = core.allocateRegion((1 << 20) + 64);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 40000 }), fc.integer({ min: 0, max: 1 << 20 })),
          fc.integer({ min: 0, max: 63 }),
          fc.integer(),
          async (length, alignment, seed) => {
            const bytes = patternBytes(length, seed);
            const ptr = asPtr(region.ptr + alignment);
            core.bytesOf(region).set(bytes, alignment);
            expect(core.crc32At(ptr, length)).to.equal(hex32(await hashWasm.crc32(bytes)));
            expect(core.crc32cAt(ptr, length)).to.equal(hex32(await hashWasm.crc32(bytes, CASTAGNOLI)));
          },
        ),
        { seed: propertySeed(), numRuns: 80 },
      );
      core.releaseRegion(region);
    },
  },
  {
    name: "the sparse method equals the table method around its threshold and ring wrap points",
    run(core) {
      const region = core.allocateRegion(1 << 18);
      core.bytesOf(region).set(patternBytes(1 << 18, 7));
      const lengths = [19199, 19200, 19201, 19215, 19216, 19217, 16 * 512 * 3 + 5, 100000, (1 << 18) - 1];
      for (const length of lengths) {
        for (const crc of [0, 1, 0xffffffff, 0x12345678]) {
          expect(core.crc32At(region.ptr, length, crc), `crc32 length ${length}`).to.equal(core.crc32TableAt(region.ptr, length, crc));
          expect(core.crc32cAt(region.ptr, length, crc), `crc32c length ${length}`).to.equal(core.crc32cTableAt(region.ptr, length, crc));
        }
      }
      core.releaseRegion(region);
    },
  },
  {
    name: "the four-lane method equals the table method from its threshold up to the sparse one",
    run(core) {
      const region = core.allocateRegion(1 << 16);
      core.bytesOf(region).set(patternBytes(1 << 16, 11));
      const lengths = [511, 512, 513, 519, 520, 543, 544, 545, 1000, 4096, 4105, 4111, 8191, 12345, 19199];
      for (let length = 512; length < 2048; length += 37) lengths.push(length);
      for (const length of lengths) {
        for (const alignment of [0, 3]) {
          for (const crc of [0, 1, 0xffffffff, 0x12345678]) {
            const ptr = asPtr(region.ptr + alignment);
            expect(core.crc32At(ptr, length, crc), `crc32 length ${length}`).to.equal(core.crc32TableAt(ptr, length, crc));
            expect(core.crc32cAt(ptr, length, crc), `crc32c length ${length}`).to.equal(core.crc32cTableAt(ptr, length, crc));
          }
        }
      }
      core.releaseRegion(region);
    },
  },
  {
    name: "a CRC continuation value outside u32 is an InvalidArgumentError",
    run(core) {
      expect(() => core.crc32(ascii("x"), -1)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
      expect(() => core.crc32c(ascii("x"), 2 ** 32)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
      expect(() => core.crc32c(ascii("x"), 1.5)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
    },
  },
];
