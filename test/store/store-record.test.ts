// Store records (docs/FORMAT.md "Store records"): round trips of all three kinds, the in-place
// writer against the encoder, the worked example read back from the document, and one test per
// rule the decoder checks, each on real bytes under the real decoder: a valid payload with one
// field changed, so that the rule under test is the one that fails.
import { expect } from "chai";
import fc from "fast-check";
import { AssertionError } from "../../host/assert.js";
import { FRAME_PAYLOAD_MAX } from "../../host/core/index.js";
import { VALUE_SIZE_MAX } from "../../host/store/block-format.js";
import {
  DELETE_SIZE, PUT_FIXED_SIZE, PUT_VALUE_SIZE_MAX, R_BATCH_END, R_BITS, R_DIMS, R_NAME, R_NAME_LENGTH, R_REVISION,
  R_SPACE_ID, R_TYPE, R_VALUE, SPACE_FIXED_SIZE, type StorePayload, type StoreRecord, type StoreRecordMalformed,
  decodeStoreRecord, encodeStoreRecord, isStoreRecordMalformed, keyFitsSpace, storeRecordPayload,
} from "../../host/store/store-record.js";
import { encodeSyncMark } from "../../host/wal/sync-mark.js";
import { propertySeed } from "../core/core-check.js";
import { formatExampleBytes } from "../support/format-example.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * The worked example of docs/FORMAT.md: space 2 "points" (2D, 16 bits) defined at revision 4,
 * then a batch of two, revisions 5 and 6: put key 0x11 "hi", delete key 0x2a.
 */
const EXAMPLE: readonly StoreRecord[] = [
  { type: "space", revision: 4n, batchEnd: 4n, spaceId: 2, dims: 2, bits: 16, name: "points" },
  { type: "put", revision: 5n, batchEnd: 6n, spaceId: 2, key: 0x11n, value: text("hi") },
  { type: "delete", revision: 6n, batchEnd: 6n, spaceId: 2, key: 0x2an },
];
const EXAMPLE_SIZES = [31, 31, 29];

const PUT: StoreRecord = { type: "put", revision: 5n, batchEnd: 6n, spaceId: 2, key: 0x11n, value: text("hi") };
const DELETE: StoreRecord = { type: "delete", revision: 6n, batchEnd: 6n, spaceId: 2, key: 0x2an };
const SPACE: StoreRecord = { type: "space", revision: 4n, batchEnd: 4n, spaceId: 2, dims: 2, bits: 16, name: "points" };

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The bytes of `record` with `edit` applied. */
function edited(record: StoreRecord, edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = encodeStoreRecord(record);
  edit(viewOf(bytes), bytes);
  return bytes;
}

/** A space definition's payload with `nameBytes` as its name (nameLength set to match). */
function definitionWithName(nameBytes: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(SPACE_FIXED_SIZE + nameBytes.byteLength);
  bytes.set(encodeStoreRecord(SPACE).subarray(0, SPACE_FIXED_SIZE));
  viewOf(bytes).setUint16(R_NAME_LENGTH, nameBytes.byteLength, true);
  bytes.set(nameBytes, R_NAME);
  return bytes;
}

function decodeOk(payload: Uint8Array): StorePayload {
  const decoded = decodeStoreRecord(payload);
  if (isStoreRecordMalformed(decoded)) throw new Error(`does not decode: ${decoded.malformed}`);
  return decoded;
}

function expectMalformed(payload: Uint8Array, offsetInPayload: number, reason: RegExp): StoreRecordMalformed {
  const decoded = decodeStoreRecord(payload);
  if (!isStoreRecordMalformed(decoded)) throw new Error(`decoded as ${decoded.type}, expected malformed`);
  expect(decoded.malformed).to.match(reason);
  expect(decoded.offsetInPayload).to.equal(offsetInPayload);
  return decoded;
}

/** The same record, with the value compared by bytes. */
function expectSameRecord(actual: StorePayload, expected: StoreRecord): void {
  if (expected.type === "put") {
    expect(actual.type).to.equal("put");
    if (actual.type !== "put") return;
    const { value, ...rest } = actual;
    const { value: expectedValue, ...expectedRest } = expected;
    expect(rest).to.deep.equal(expectedRest);
    expect(Array.from(value)).to.deep.equal(Array.from(expectedValue));
  } else {
    expect(actual).to.deep.equal(expected);
  }
}

/** Space names by space-spec's rules: 1..255 bytes of UTF-8, no NUL, multi-byte characters often. */
const nameArbitrary = fc
  .string({ unit: fc.oneof(fc.constantFrom("a", "é", "€", "𝄞", "\ufeff", " "), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 80 })
  .filter((name) => !name.includes("\u0000") && text(name).byteLength <= 255);

const prefixArbitrary = fc
  .record({ revision: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), batchSize: fc.bigInt({ min: 0n, max: 1000n }), spaceId: fc.integer({ min: 1, max: 0xffffffff }) })
  .filter(({ revision, batchSize }) => revision + batchSize < 1n << 64n)
  .map(({ revision, batchSize, spaceId }) => ({ revision, batchEnd: revision + batchSize, spaceId }));

const recordArbitrary: fc.Arbitrary<StoreRecord> = fc.oneof(
  fc.record({ prefix: prefixArbitrary, key: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), value: fc.uint8Array({ maxLength: 4096 }) })
    .map(({ prefix, key, value }): StoreRecord => ({ type: "put", ...prefix, key, value })),
  fc.record({ prefix: prefixArbitrary, key: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) })
    .map(({ prefix, key }): StoreRecord => ({ type: "delete", ...prefix, key })),
  fc.record({ prefix: prefixArbitrary, dims: fc.integer({ min: 1, max: 16 }), bitsSeed: fc.integer({ min: 0, max: 63 }), name: nameArbitrary })
    .map(({ prefix, dims, bitsSeed, name }): StoreRecord => ({ type: "space", ...prefix, dims, bits: 1 + (bitsSeed % Math.floor(64 / dims)), name })),
);

describe("store: store records (docs/FORMAT.md Store records)", () => {
  describe("encoding", () => {
    it("everyKindRoundTrips", () => {
      fc.assert(
        fc.property(recordArbitrary, (record) => {
          const bytes = encodeStoreRecord(record);
          expectSameRecord(decodeOk(bytes), record);
        }),
        { seed: propertySeed(), numRuns: 500 },
      );
    });

    it("writeToWritesExactlyTheEncodedBytesAndNothingAround", () => {
      fc.assert(
        fc.property(recordArbitrary, fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 }), (record, before, after) => {
          const encoded = encodeStoreRecord(record);
          const payload = storeRecordPayload(record);
          expect(payload.size).to.equal(encoded.byteLength);
          const ring = new Uint8Array(before + payload.size + after).fill(0xa5);
          payload.writeTo(ring, before);
          expect(Array.from(ring.subarray(before, before + payload.size))).to.deep.equal(Array.from(encoded));
          expect(ring.subarray(0, before).every((b) => b === 0xa5)).to.equal(true);
          expect(ring.subarray(before + payload.size).every((b) => b === 0xa5)).to.equal(true);
        }),
        { seed: propertySeed(), numRuns: 300 },
      );
    });

    it("writeToOutsideItsTargetIsABug", () => {
      const payload = storeRecordPayload(PUT);
      expect(() => payload.writeTo(new Uint8Array(payload.size), 1)).to.throw(AssertionError);
    });

    it("workedExampleEqualsTheDocumentsBytes", () => {
      const documented = formatExampleBytes("Store records");
      const encoded = EXAMPLE.map(encodeStoreRecord);
      expect(encoded.map((bytes) => bytes.byteLength)).to.deep.equal(EXAMPLE_SIZES);
      expect(documented.byteLength).to.equal(91);
      const joined = new Uint8Array(documented.byteLength);
      let at = 0;
      for (const bytes of encoded) {
        joined.set(bytes, at);
        at += bytes.byteLength;
      }
      expect(at).to.equal(documented.byteLength);
      expect(Array.from(joined)).to.deep.equal(Array.from(documented));
    });

    it("workedExampleDecodesFromTheDocument", () => {
      const documented = formatExampleBytes("Store records");
      let at = 0;
      EXAMPLE.forEach((record, i) => {
        const size = EXAMPLE_SIZES[i] as number;
        expectSameRecord(decodeOk(documented.subarray(at, at + size)), record);
        at += size;
      });
    });

    it("aValueAtTheLimitFitsOneFrame", () => {
      expect(PUT_VALUE_SIZE_MAX).to.equal(FRAME_PAYLOAD_MAX - PUT_FIXED_SIZE);
      expect(PUT_VALUE_SIZE_MAX).to.be.below(VALUE_SIZE_MAX);
      // new Uint8Array is zero-filled lazily by the OS: 16 MiB untouched costs no page writes.
      const value = new Uint8Array(PUT_VALUE_SIZE_MAX);
      const payload = storeRecordPayload({ ...PUT, value });
      expect(payload.size).to.equal(FRAME_PAYLOAD_MAX);
      expect(() => storeRecordPayload({ ...PUT, value: new Uint8Array(PUT_VALUE_SIZE_MAX + 1) })).to.throw(AssertionError, /PUT_VALUE_SIZE_MAX/);
    });

    it("encoderAssertsEveryRule", () => {
      const bad: StoreRecord[] = [
        { ...PUT, revision: 0n },
        { ...PUT, revision: 1n << 64n },
        { ...PUT, batchEnd: 4n },
        { ...PUT, spaceId: 0 },
        { ...PUT, spaceId: 2 ** 32 },
        { ...PUT, spaceId: 1.5 },
        { ...DELETE, key: -1n },
        { ...DELETE, key: 1n << 64n },
        { ...SPACE, dims: 0 },
        { ...SPACE, dims: 17 },
        { ...SPACE, bits: 0 },
        { ...SPACE, dims: 3, bits: 22 },
        { ...SPACE, name: "" },
        { ...SPACE, name: "a\u0000b" },
        { ...SPACE, name: "lone \ud800" },
        { ...SPACE, name: "é".repeat(128) },
      ];
      for (const record of bad) expect(() => encodeStoreRecord(record), JSON.stringify(record, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))).to.throw(AssertionError);
      expect(encodeStoreRecord({ ...SPACE, name: "é".repeat(127) + "a" }).byteLength).to.equal(SPACE_FIXED_SIZE + 255);
    });
  });

  describe("keyFitsSpace", () => {
    it("keysBelowTwoToTheKeyBitsFit", () => {
      expect(keyFitsSpace(0n, 1, 1)).to.equal(true);
      expect(keyFitsSpace(1n, 1, 1)).to.equal(true);
      expect(keyFitsSpace(2n, 1, 1)).to.equal(false);
      expect(keyFitsSpace((1n << 30n) - 1n, 3, 10)).to.equal(true);
      expect(keyFitsSpace(1n << 30n, 3, 10)).to.equal(false);
      expect(keyFitsSpace((1n << 64n) - 1n, 4, 16)).to.equal(true);
      expect(keyFitsSpace(1n << 64n, 4, 16)).to.equal(false);
      expect(keyFitsSpace(-1n, 4, 16)).to.equal(false);
    });

    it("aSpaceOutsideTheRulesIsABug", () => {
      expect(() => keyFitsSpace(0n, 0, 1)).to.throw(AssertionError);
      expect(() => keyFitsSpace(0n, 17, 1)).to.throw(AssertionError);
      expect(() => keyFitsSpace(0n, 2, 0)).to.throw(AssertionError);
      expect(() => keyFitsSpace(0n, 2, 33)).to.throw(AssertionError);
    });
  });

  describe("sync marks", () => {
    it("syncMarkDecodesAsAMark", () => {
      expect(decodeStoreRecord(encodeSyncMark(4096n))).to.deep.equal({ type: "sync-mark", durable: 4096n });
    });

    it("syncMarkOfTheWrongLengthDoesNotDecode", () => {
      const mark = encodeSyncMark(4096n);
      expectMalformed(mark.subarray(0, 8), 1, /sync mark body of 7 bytes/);
      const long = new Uint8Array(10);
      long.set(mark);
      expectMalformed(long, 1, /sync mark body of 9 bytes/);
    });
  });

  describe("decoding rules", () => {
    it("emptyPayload", () => {
      expectMalformed(new Uint8Array(0), 0, /empty payload/);
    });

    it("unknownTypes0And9And19AndTheLogsTypes", () => {
      for (const type of [0, 1, 2, 3, 7, 9, 15, 19, 255]) {
        expectMalformed(edited(PUT, (view) => view.setUint8(R_TYPE, type)), R_TYPE, new RegExp(`unknown store record type ${type} `));
      }
    });

    it("shorterThanTheFixedBytes", () => {
      expectMalformed(encodeStoreRecord(PUT).subarray(0, PUT_FIXED_SIZE - 1), 0, /type 16 in 28 bytes, under its 29/);
      expectMalformed(encodeStoreRecord(SPACE).subarray(0, SPACE_FIXED_SIZE - 1), 0, /type 18 in 24 bytes, under its 25/);
      expectMalformed(encodeStoreRecord(DELETE).subarray(0, 1), 0, /type 17 in 1 bytes/);
    });

    it("revisionZero", () => {
      for (const record of [PUT, DELETE, SPACE]) {
        expectMalformed(edited(record, (view) => view.setBigUint64(R_REVISION, 0n, true)), R_REVISION, /revision 0/);
      }
    });

    it("batchEndBelowRevision", () => {
      expectMalformed(edited(PUT, (view) => view.setBigUint64(R_BATCH_END, 4n, true)), R_BATCH_END, /batchEnd 4 is below its revision 5/);
      expect(decodeOk(edited(PUT, (view) => view.setBigUint64(R_BATCH_END, 5n, true)))).to.include({ revision: 5n, batchEnd: 5n });
    });

    it("spaceIdZero", () => {
      for (const record of [PUT, DELETE, SPACE]) {
        expectMalformed(edited(record, (view) => view.setUint32(R_SPACE_ID, 0, true)), R_SPACE_ID, /space 0/);
      }
    });

    it("deleteShortOrLong", () => {
      expectMalformed(encodeStoreRecord(DELETE).subarray(0, DELETE_SIZE - 1), 0, /under its 29 fixed bytes/);
      const long = new Uint8Array(DELETE_SIZE + 1);
      long.set(encodeStoreRecord(DELETE));
      expectMalformed(long, DELETE_SIZE, /a delete of 30 bytes, not 29/);
    });

    it("putWithAnEmptyValueDecodes", () => {
      const decoded = decodeOk(encodeStoreRecord({ ...PUT, value: new Uint8Array(0) }));
      expect(decoded.type === "put" && decoded.value.byteLength).to.equal(0);
    });

    it("putValueOverTheLimit", () => {
      // Only the prefix is written: the rest of the lazily zeroed buffer is never touched.
      const payload = new Uint8Array(PUT_FIXED_SIZE + PUT_VALUE_SIZE_MAX + 1);
      payload.set(encodeStoreRecord({ ...PUT, value: new Uint8Array(0) }));
      expectMalformed(payload, R_VALUE, new RegExp(`put value of ${PUT_VALUE_SIZE_MAX + 1} bytes \\(at most ${PUT_VALUE_SIZE_MAX}\\)`));
      const decoded = decodeOk(payload.subarray(0, payload.byteLength - 1));
      expect(decoded.type === "put" && decoded.value.byteLength).to.equal(PUT_VALUE_SIZE_MAX);
    });

    it("trailingBytesAfterADefinition", () => {
      const long = new Uint8Array(SPACE_FIXED_SIZE + 6 + 1);
      long.set(encodeStoreRecord(SPACE));
      expectMalformed(long, SPACE_FIXED_SIZE + 6, /1 bytes after a space definition's name/);
    });

    it("dimsZeroOrSeventeen", () => {
      expectMalformed(edited(SPACE, (view) => view.setUint8(R_DIMS, 0)), R_DIMS, /0 dims \(1\.\.16\)/);
      expectMalformed(edited(SPACE, (view) => view.setUint8(R_DIMS, 17)), R_DIMS, /17 dims \(1\.\.16\)/);
      expect(decodeOk(edited(SPACE, (view) => { view.setUint8(R_DIMS, 16); view.setUint8(R_BITS, 4); }))).to.include({ dims: 16, bits: 4 });
    });

    it("bitsZero", () => {
      expectMalformed(edited(SPACE, (view) => view.setUint8(R_BITS, 0)), R_BITS, /0 bits/);
    });

    it("dimsTimesBitsOver64", () => {
      expectMalformed(edited(SPACE, (view) => { view.setUint8(R_DIMS, 3); view.setUint8(R_BITS, 22); }), R_BITS, /3 dims x 22 bits = 66 key bits/);
      expectMalformed(edited(SPACE, (view) => view.setUint8(R_BITS, 33)), R_BITS, /2 dims x 33 bits = 66/);
      expect(decodeOk(edited(SPACE, (view) => view.setUint8(R_BITS, 32)))).to.include({ dims: 2, bits: 32 });
    });

    it("nameLengthZero", () => {
      expectMalformed(definitionWithName(new Uint8Array(0)), R_NAME_LENGTH, /space name of 0 bytes \(1\.\.255\)/);
    });

    it("nameLengthOver255", () => {
      expectMalformed(definitionWithName(new Uint8Array(256).fill(0x61)), R_NAME_LENGTH, /space name of 256 bytes \(1\.\.255\)/);
      expect(decodeOk(definitionWithName(new Uint8Array(255).fill(0x61)))).to.include({ name: "a".repeat(255) });
    });

    it("nameLengthPastTheEnd", () => {
      expectMalformed(edited(SPACE, (view) => view.setUint16(R_NAME_LENGTH, 7, true)), R_NAME_LENGTH, /7 bytes runs past the payload's 31/);
    });

    it("nameNotUtf8", () => {
      // A lone continuation byte, an overlong "/" (c0 af), an encoded surrogate (ed a0 80), a cut "€".
      for (const name of [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x61, 0xff]]) {
        expectMalformed(definitionWithName(Uint8Array.from(name)), R_NAME, /not well-formed UTF-8/);
      }
    });

    it("nulInTheName", () => {
      expectMalformed(definitionWithName(text("ab\u0000c")), R_NAME + 2, /NUL/);
      expectMalformed(definitionWithName(Uint8Array.of(0)), R_NAME, /NUL/);
    });

    it("aLeadingByteOrderMarkIsPartOfTheName", () => {
      const decoded = decodeOk(definitionWithName(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)));
      expect(decoded).to.include({ name: "\ufeffa" });
      expectSameRecord(decodeOk(encodeStoreRecord({ ...SPACE, name: "\ufeffa" })), { ...SPACE, name: "\ufeffa" });
    });
  });
});
