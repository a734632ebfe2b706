// Sealed blocks (docs/FORMAT.md "Blocks"): the encoder's bytes, the worked example, and one test
// per rule a reader checks, on real bytes under the real decoder. A "resealed" block has a field
// changed and its checksums fixed up, so that the rule under test is the one that fails.
import { expect } from "chai";
import fc from "fast-check";
import hashWasm from "hash-wasm";
import { type Core, loadCore } from "../../host/core/index.js";
import { decodeChunk } from "../../host/store/block-chunk.js";
import { encodeBlock, planChunks } from "../../host/store/block-encode.js";
import {
  BLOCK_HEADER_SIZE, BLOCK_INDEX_ENTRY_SIZE, BLOCK_SIZE_MIN, BLOCK_TRAILER_SIZE, type BlockIndex, type BlockProblem,
  type BlockRecord, CHUNK_BYTES_MAX, CHUNK_RECORDS_MAX, VALUE_SIZE_MAX, blockFileName, blockIdOfName, chunkSeedOf,
  chunksOverlapping, decodeBlockFrame, frameOf, isBlockProblem,
} from "../../host/store/block-format.js";
import { propertySeed } from "../core/core-check.js";
import { formatExampleBytes } from "../support/format-example.js";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The worked example of docs/FORMAT.md: block 7 of space 2, key 0x11 rev 5 "hi", key 0x2a rev 9 deleted. */
const EXAMPLE_RECORDS: BlockRecord[] = [
  { key: 0x11n, revision: 5n, value: text("hi") },
  { key: 0x2an, revision: 9n, value: null },
];
const EXAMPLE_ID = 7n;
/** Offsets in the example: the chunk at 64 (records at 64 and 86), the index entry at 106, the trailer at 138. */
const EX_RECORD_1 = 86;
const EX_ENTRY = 106;

function openBlock(core: Core, bytes: Uint8Array, expectedBlockId: bigint): BlockIndex | BlockProblem {
  return decodeBlockFrame(core, frameOf(bytes), bytes.byteLength, expectedBlockId);
}

function openOk(core: Core, bytes: Uint8Array, expectedBlockId: bigint): BlockIndex {
  const index = openBlock(core, bytes, expectedBlockId);
  if (isBlockProblem(index)) throw new Error(`expected the block to open: ${index.reason} at ${index.offset}`);
  return index;
}

/** Opens a block and decodes every chunk: the records, or the first problem. */
function readAll(core: Core, bytes: Uint8Array, expectedBlockId: bigint): BlockRecord[] | BlockProblem {
  const index = openBlock(core, bytes, expectedBlockId);
  if (isBlockProblem(index)) return index;
  const records: BlockRecord[] = [];
  for (const chunk of index.chunks) {
    const decoded = decodeChunk(core, index, chunk, bytes.subarray(chunk.offset, chunk.offset + chunk.length));
    if (isBlockProblem(decoded)) return decoded;
    records.push(...decoded);
  }
  return records;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Recomputes the trailer's index checksum (seed: the header's own block id). */
function resealIndex(core: Core, bytes: Uint8Array): Uint8Array {
  const view = viewOf(bytes);
  const indexOffset = view.getUint32(56, true);
  const trailer = bytes.byteLength - BLOCK_TRAILER_SIZE;
  const covered = new Uint8Array(BLOCK_HEADER_SIZE + trailer - indexOffset);
  covered.set(bytes.subarray(0, BLOCK_HEADER_SIZE), 0);
  covered.set(bytes.subarray(indexOffset, trailer), BLOCK_HEADER_SIZE);
  view.setBigUint64(trailer, core.xxh64(covered, view.getBigUint64(8, true)), true);
  return bytes;
}

/** Recomputes chunk i's checksum in its index entry, then the index checksum. */
function resealChunk(core: Core, bytes: Uint8Array, chunkIndex: number): Uint8Array {
  const view = viewOf(bytes);
  const indexOffset = view.getUint32(56, true);
  let offset = BLOCK_HEADER_SIZE;
  for (let i = 0; i < chunkIndex; i++) offset += view.getUint32(indexOffset + i * BLOCK_INDEX_ENTRY_SIZE + 16, true);
  const entry = indexOffset + chunkIndex * BLOCK_INDEX_ENTRY_SIZE;
  const length = view.getUint32(entry + 16, true);
  const seed = chunkSeedOf(view.getBigUint64(8, true), chunkIndex);
  view.setBigUint64(entry + 24, core.xxh64(bytes.subarray(offset, offset + length), seed), true);
  return resealIndex(core, bytes);
}

function flipBit(bytes: Uint8Array, offset: number, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[offset] = (copy[offset] ?? 0) ^ (1 << bit);
  return copy;
}

function sortedUnique(records: BlockRecord[]): BlockRecord[] {
  const sorted = [...records].sort((a, b) => (a.key !== b.key ? (a.key < b.key ? -1 : 1) : a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
  return sorted.filter((r, i) => i === 0 || r.key !== sorted[i - 1]?.key || r.revision !== sorted[i - 1]?.revision);
}

const recordArbitrary = (keyMax: bigint, valueLengthMax: number): fc.Arbitrary<BlockRecord> =>
  fc.record({
    key: fc.bigInt({ min: 0n, max: keyMax }),
    revision: fc.bigInt({ min: 1n, max: 40n }),
    value: fc.option(fc.uint8Array({ maxLength: valueLengthMax }), { freq: 4 }),
  });

const recordsArbitrary = (keyMax: bigint, valueLengthMax: number, maxLength: number): fc.Arbitrary<BlockRecord[]> =>
  fc.array(recordArbitrary(keyMax, valueLengthMax), { minLength: 1, maxLength }).map(sortedUnique);

function expectSameRecords(actual: BlockRecord[] | BlockProblem, expected: readonly BlockRecord[]): void {
  if (isBlockProblem(actual)) throw new Error(`expected records: ${actual.reason} at ${actual.offset}`);
  expect(actual.length).to.equal(expected.length);
  actual.forEach((record, i) => {
    const want = expected[i];
    expect(record.key).to.equal(want?.key);
    expect(record.revision).to.equal(want?.revision);
    if (want?.value === null) expect(record.value).to.equal(null);
    else expect(Array.from(record.value ?? [-1])).to.deep.equal(Array.from(want?.value ?? []));
  });
}

/** The worked example's bytes as docs/FORMAT.md prints them: the hex pairs opening each line of its block. */
function documentedExample(): Uint8Array {
  return formatExampleBytes("Blocks");
}

describe("store: block format (docs/FORMAT.md Blocks)", () => {
  let core: Core;
  let example: Uint8Array;
  before(async () => {
    core = await loadCore();
    example = encodeBlock(core, { blockId: EXAMPLE_ID, spaceId: 2, records: EXAMPLE_RECORDS });
  });

  describe("encoding", () => {
    it("workedExampleEqualsTheDocumentsBytes", () => {
      const documented = documentedExample();
      expect(documented.byteLength).to.equal(154);
      expect(Array.from(example)).to.deep.equal(Array.from(documented));
    });

    it("workedExampleRoundTrips", () => {
      const index = openOk(core, example, EXAMPLE_ID);
      expect(index).to.include({ blockId: 7n, spaceId: 2, recordCount: 2, keyMin: 0x11n, keyMax: 0x2an, revisionMin: 5n, revisionMax: 9n, indexOffset: 106, indexCount: 1 });
      expect(index.chunks).to.deep.equal([{ chunkIndex: 0, offset: 64, length: 42, recordCount: 2, firstKey: 0x11n, lastKey: 0x2an, checksum: 0x3fd268ac283ca408n }]);
      expectSameRecords(readAll(core, example, EXAMPLE_ID), EXAMPLE_RECORDS);
    });

    it("chunkChecksumAgreesWithHashWasm", async () => {
      const records = Array.from({ length: 200 }, (_, i): BlockRecord => ({ key: BigInt(i) * 0x1234567n, revision: 1n, value: text(`value ${i}`) }));
      const blockId = (1n << 64n) - 2n; // chunk seeds wrap past 2^64
      const bytes = encodeBlock(core, { blockId, spaceId: 1, records });
      const index = openOk(core, bytes, blockId);
      expect(index.chunks.length).to.be.greaterThan(2);
      for (const chunk of index.chunks) {
        const seed = BigInt.asUintN(64, blockId + BigInt(chunk.chunkIndex));
        const hex = await hashWasm.xxhash64(bytes.subarray(chunk.offset, chunk.offset + chunk.length), Number(seed & 0xffffffffn), Number(seed >> 32n));
        expect(BigInt("0x" + hex)).to.equal(chunk.checksum);
      }
      expect(chunkSeedOf(blockId, 2)).to.equal(0n);
    });

    it("randomSortedRecordSetsRoundTrip", () => {
      fc.assert(
        fc.property(recordsArbitrary((1n << 64n) - 1n, 300, 400), fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), (records, blockId) => {
          const bytes = encodeBlock(core, { blockId, spaceId: 9, records });
          const index = openOk(core, bytes, blockId);
          expect(index.recordCount).to.equal(records.length);
          for (const chunk of index.chunks) {
            expect(chunk.recordCount).to.be.at.most(CHUNK_RECORDS_MAX);
            if (chunk.recordCount > 1) expect(chunk.length).to.be.at.most(CHUNK_BYTES_MAX);
          }
          expectSameRecords(readAll(core, bytes, blockId), records);
        }),
        { seed: propertySeed(), numRuns: 100 },
      );
    });

    it("manyChunksOfOneKeysRevisionsRoundTrip", () => {
      const records = Array.from({ length: 1000 }, (_, i): BlockRecord => ({ key: BigInt(i >> 8), revision: BigInt(i + 1), value: i % 3 === 0 ? null : new Uint8Array(i % 50) }));
      const bytes = encodeBlock(core, { blockId: 3n, spaceId: 0, records });
      const index = openOk(core, bytes, 3n);
      expect(index.chunks.length).to.equal(Math.ceil(1000 / CHUNK_RECORDS_MAX));
      expectSameRecords(readAll(core, bytes, 3n), records);
    });

    it("aValueJustOverTheChunkTargetIsAChunkAlone", () => {
      const large = new Uint8Array(CHUNK_BYTES_MAX + 1).fill(0xab);
      const records: BlockRecord[] = [
        { key: 1n, revision: 1n, value: text("a") },
        { key: 2n, revision: 2n, value: large },
        { key: 3n, revision: 3n, value: new Uint8Array(0) },
      ];
      const bytes = encodeBlock(core, { blockId: 5n, spaceId: 1, records });
      const index = openOk(core, bytes, 5n);
      expect(index.chunks.map((c) => c.recordCount)).to.deep.equal([1, 1, 1]);
      expect(index.chunks[1]?.length).to.equal(20 + CHUNK_BYTES_MAX + 1);
      expectSameRecords(readAll(core, bytes, 5n), records);
    });

    it("chunkRuleAsTheDocumentStatesIt", () => {
      const r = (key: number, length: number): BlockRecord => ({ key: BigInt(key), revision: 1n, value: new Uint8Array(length) });
      // Records of 20 + 30000 bytes fill chunks two at a time: a third would make 90060 bytes.
      expect(planChunks([r(1, 30000), r(2, 30000), r(3, 30000)])).to.deep.equal([2, 1]);
      // A 70000-byte value after a chunk of one small record starts its own chunk.
      expect(planChunks([r(1, 5), r(2, 70000), r(3, 5)])).to.deep.equal([1, 1, 1]);
      // Exactly 65536 bytes is allowed: two records of 32768 bytes each.
      expect(planChunks([r(1, 32748), r(2, 32748)])).to.deep.equal([2]);
      expect(planChunks(Array.from({ length: 130 }, (_, i) => r(i, 0)))).to.deep.equal([64, 64, 2]);
    });

    it("writerBugsAreAssertions", () => {
      const bad = (records: BlockRecord[], blockId = 1n) => () => encodeBlock(core, { blockId, spaceId: 1, records });
      const one: BlockRecord = { key: 5n, revision: 2n, value: null };
      expect(bad([])).to.throw(/at least one record/);
      expect(bad([one], 0n)).to.throw(/block ids/);
      expect(bad([one, one])).to.throw(/sorted/);
      expect(bad([one, { key: 5n, revision: 1n, value: null }])).to.throw(/sorted/);
      expect(bad([one, { key: 4n, revision: 3n, value: null }])).to.throw(/sorted/);
      expect(bad([{ key: 1n, revision: 0n, value: null }])).to.throw(/revision/);
      expect(bad([{ key: 1n, revision: 1n, value: new Uint8Array(VALUE_SIZE_MAX + 1) }])).to.throw(/VALUE_SIZE_MAX/);
      expect(bad([{ key: 1n << 64n, revision: 1n, value: null }])).to.throw(/u64/);
    });

    it("fileNamesAreSixteenLowercaseHexDigits", () => {
      expect(blockFileName(7n)).to.equal("blk-0000000000000007.blk");
      expect(blockFileName(0xabcdefn)).to.equal("blk-0000000000abcdef.blk");
      expect(blockIdOfName("blk-0000000000abcdef.blk")).to.equal(0xabcdefn);
      expect(blockIdOfName("blk-0000000000ABCDEF.blk")).to.equal(undefined);
      expect(blockIdOfName("blk-0000000000000000.blk")).to.equal(undefined);
      expect(blockIdOfName("blk-000000000000007.blk")).to.equal(undefined);
      expect(() => blockFileName(0n)).to.throw(/block ids/);
    });
  });

  describe("opening: header, index and trailer", () => {
    it("aFlippedBitInHeaderIndexOrTrailerNeverOpens", () => {
      const framed = [...Array.from({ length: 64 }, (_, i) => i), ...Array.from({ length: 48 }, (_, i) => EX_ENTRY + i)];
      for (const offset of framed) {
        for (let bit = 0; bit < 8; bit++) {
          const problem = openBlock(core, flipBit(example, offset, bit), EXAMPLE_ID);
          // indexOffset/indexCount locate the index before any checksum; the trailer's words follow its checksum.
          const expected = offset >= 56 && offset < 64 ? "indexRange" : offset >= 146 ? "trailer" : "checksum";
          expect(problem, `byte ${offset} bit ${bit}`).to.deep.include({ reason: expected });
        }
      }
    });

    it("aFlippedBitAnywhereInAFramedPartOfALargerBlockNeverOpens", () => {
      const records = Array.from({ length: 300 }, (_, i): BlockRecord => ({ key: BigInt(i * 3), revision: 7n, value: text(`v${i}`) }));
      const bytes = encodeBlock(core, { blockId: 11n, spaceId: 4, records });
      const index = openOk(core, bytes, 11n);
      fc.assert(
        fc.property(fc.nat({ max: BLOCK_HEADER_SIZE + bytes.byteLength - index.indexOffset - 1 }), fc.nat({ max: 7 }), (n, bit) => {
          const offset = n < BLOCK_HEADER_SIZE ? n : index.indexOffset + n - BLOCK_HEADER_SIZE;
          expect(isBlockProblem(openBlock(core, flipBit(bytes, offset, bit), 11n))).to.equal(true);
        }),
        { seed: propertySeed(), numRuns: 300 },
      );
    });

    it("theWrongExpectedBlockIdIsBlockId", () => {
      expect(openBlock(core, example, 8n)).to.deep.equal({ reason: "blockId", offset: 8 });
    });

    it("aBlockWhoseOwnIdWasRewrittenDoesNotVerify", () => {
      const bytes = example.slice();
      viewOf(bytes).setBigUint64(8, 8n, true); // renamed by editing the header, not resealed
      expect(openBlock(core, bytes, 8n)).to.deep.equal({ reason: "checksum", offset: 138 });
    });

    it("aFileTooSmallIsSize", () => {
      expect(openBlock(core, example.subarray(0, BLOCK_SIZE_MIN - 1), EXAMPLE_ID)).to.deep.equal({ reason: "size", offset: 0 });
    });

    it("aFileCutShortOrExtendedIsIndexRange", () => {
      const longer = new Uint8Array(example.byteLength + 4);
      longer.set(example);
      expect(openBlock(core, example.subarray(0, example.byteLength - 1), EXAMPLE_ID)).to.deep.equal({ reason: "indexRange", offset: 56 });
      expect(openBlock(core, longer, EXAMPLE_ID)).to.deep.equal({ reason: "indexRange", offset: 56 });
    });

    it("anIndexOffsetInsideTheHeaderIsIndexRange", () => {
      // 154 = 10 + 4 x 32 + 16: the range ends at the trailer, but starts inside the header.
      const bytes = example.slice();
      viewOf(bytes).setUint32(56, 10, true);
      viewOf(bytes).setUint32(60, 4, true);
      expect(openBlock(core, bytes, EXAMPLE_ID)).to.deep.equal({ reason: "indexRange", offset: 56 });
    });

    it("aWrongTrailerMagicOrReservedWordIsTrailer", () => {
      const magic = example.slice();
      viewOf(magic).setUint32(146, 0x45425054, true);
      const reserved = example.slice();
      viewOf(reserved).setUint32(150, 1, true);
      expect(openBlock(core, magic, EXAMPLE_ID)).to.deep.equal({ reason: "trailer", offset: 146 });
      expect(openBlock(core, reserved, EXAMPLE_ID)).to.deep.equal({ reason: "trailer", offset: 150 });
    });

    /** The example with header or index fields changed, resealed: only the rule under test fails. */
    function resealed(edit: (view: DataView) => void): Uint8Array {
      const bytes = example.slice();
      edit(viewOf(bytes));
      return resealIndex(core, bytes);
    }

    it("resealedHeaderFieldsThatBreakARuleNameTheirOffset", () => {
      const cases: Array<[string, (v: DataView) => void, BlockProblem]> = [
        ["magic", (v) => v.setUint32(0, 0x4b425054, true), { reason: "magic", offset: 0 }],
        ["version 2", (v) => v.setUint16(4, 2, true), { reason: "version", offset: 4 }],
        ["reserved", (v) => v.setUint16(6, 1, true), { reason: "reserved", offset: 6 }],
        ["recordCount 0", (v) => v.setUint32(20, 0, true), { reason: "recordCount", offset: 20 }],
        ["recordCount 3", (v) => v.setUint32(20, 3, true), { reason: "recordCount", offset: 20 }],
        ["recordCount 1", (v) => v.setUint32(20, 1, true), { reason: "recordCount", offset: 20 }],
        ["keyMin below the first key", (v) => v.setBigUint64(24, 0x10n, true), { reason: "keyRange", offset: 24 }],
        ["keyMax above the last key", (v) => v.setBigUint64(32, 0x2bn, true), { reason: "keyRange", offset: 32 }],
        ["keyMin above keyMax", (v) => v.setBigUint64(24, 0x2bn, true), { reason: "keyRange", offset: 32 }],
        ["revisionMin 0", (v) => v.setBigUint64(40, 0n, true), { reason: "revisionRange", offset: 40 }],
        ["revisionMin above revisionMax", (v) => v.setBigUint64(40, 10n, true), { reason: "revisionRange", offset: 48 }],
      ];
      for (const [name, edit, problem] of cases) expect(openBlock(core, resealed(edit), EXAMPLE_ID), name).to.deep.equal(problem);
    });

    it("resealedIndexEntriesThatBreakARuleNameTheirOffset", () => {
      const cases: Array<[string, (v: DataView) => void, BlockProblem]> = [
        ["chunkRecordCount 0", (v) => v.setUint32(EX_ENTRY + 20, 0, true), { reason: "chunkRecordCount", offset: EX_ENTRY + 20 }],
        ["chunkRecordCount 65", (v) => v.setUint32(EX_ENTRY + 20, 65, true), { reason: "chunkRecordCount", offset: EX_ENTRY + 20 }],
        ["chunkLength under 20 per record", (v) => v.setUint32(EX_ENTRY + 16, 39, true), { reason: "chunkLength", offset: EX_ENTRY + 16 }],
        ["chunkLength over 64 KiB for two records", (v) => v.setUint32(EX_ENTRY + 16, CHUNK_BYTES_MAX + 1, true), { reason: "chunkLength", offset: EX_ENTRY + 16 }],
        ["chunkLength not ending at indexOffset", (v) => v.setUint32(EX_ENTRY + 16, 41, true), { reason: "indexOffset", offset: 56 }],
        ["firstKey above lastKey", (v) => v.setBigUint64(EX_ENTRY, 0x2bn, true), { reason: "chunkKeys", offset: EX_ENTRY + 8 }],
      ];
      for (const [name, edit, problem] of cases) expect(openBlock(core, resealed(edit), EXAMPLE_ID), name).to.deep.equal(problem);
    });

    it("indexEntriesOutOfKeyOrderAreChunkKeys", () => {
      const records = Array.from({ length: 130 }, (_, i): BlockRecord => ({ key: BigInt(i), revision: 1n, value: null }));
      const bytes = encodeBlock(core, { blockId: 2n, spaceId: 1, records });
      const index = openOk(core, bytes, 2n);
      const second = index.indexOffset + BLOCK_INDEX_ENTRY_SIZE;
      viewOf(bytes).setBigUint64(second, 62n, true); // below the first chunk's lastKey, 63
      expect(openBlock(core, resealIndex(core, bytes), 2n)).to.deep.equal({ reason: "chunkKeys", offset: second });
    });

    it("aGapBeforeTheIndexIsIndexOffset", () => {
      // Eight bytes between the last chunk and the index, indexOffset moved past them, resealed.
      const bytes = new Uint8Array(example.byteLength + 8);
      bytes.set(example.subarray(0, EX_ENTRY), 0);
      bytes.set(example.subarray(EX_ENTRY), EX_ENTRY + 8);
      viewOf(bytes).setUint32(56, EX_ENTRY + 8, true);
      expect(openBlock(core, resealIndex(core, bytes), EXAMPLE_ID)).to.deep.equal({ reason: "indexOffset", offset: 56 });
    });

    it("aBlockWithNoIndexEntryIsIndexCount", () => {
      // One record of 40 value bytes, so that the file stays over BLOCK_SIZE_MIN without its entry.
      const base = encodeBlock(core, { blockId: 3n, spaceId: 1, records: [{ key: 1n, revision: 1n, value: new Uint8Array(40) }] });
      const entry = base.byteLength - BLOCK_TRAILER_SIZE - BLOCK_INDEX_ENTRY_SIZE;
      const bytes = new Uint8Array(base.byteLength - BLOCK_INDEX_ENTRY_SIZE);
      bytes.set(base.subarray(0, entry), 0);
      bytes.set(base.subarray(entry + BLOCK_INDEX_ENTRY_SIZE), entry);
      viewOf(bytes).setUint32(60, 0, true);
      expect(bytes.byteLength).to.be.at.least(BLOCK_SIZE_MIN);
      expect(openBlock(core, resealIndex(core, bytes), 3n)).to.deep.equal({ reason: "indexCount", offset: 60 });
    });
  });

  describe("reading chunks", () => {
    it("aFlippedBitInAChunkFailsThatChunkOnly", () => {
      const records = Array.from({ length: 200 }, (_, i): BlockRecord => ({ key: BigInt(i), revision: 1n, value: text(`value ${i}`) }));
      const bytes = encodeBlock(core, { blockId: 4n, spaceId: 1, records });
      const clean = openOk(core, bytes, 4n);
      const target = clean.chunks[1];
      expect(target).to.not.equal(undefined);
      if (target === undefined) return;
      const flipped = flipBit(bytes, target.offset + 17, 3);
      const index = openOk(core, flipped, 4n); // the frame does not cover chunk bytes
      for (const chunk of index.chunks) {
        const decoded = decodeChunk(core, index, chunk, flipped.subarray(chunk.offset, chunk.offset + chunk.length));
        if (chunk.chunkIndex === 1) expect(decoded).to.deep.equal({ reason: "chunkChecksum", offset: target.offset });
        else expect(isBlockProblem(decoded)).to.equal(false);
      }
    });

    /** The example with chunk, header or index bytes changed, the chunk and the index resealed. */
    function resealedChunk(edit: (view: DataView) => void, base = example): Uint8Array {
      const bytes = base.slice();
      edit(viewOf(bytes));
      return resealChunk(core, bytes, 0);
    }

    it("resealedChunksThatBreakARuleNameTheRecord", () => {
      const cases: Array<[string, (v: DataView) => void, BlockProblem]> = [
        ["tombstone with length bits", (v) => v.setUint32(EX_RECORD_1 + 16, 0x80000001, true), { reason: "tombstone", offset: EX_RECORD_1 + 16 }],
        ["a length over VALUE_SIZE_MAX", (v) => v.setUint32(80, VALUE_SIZE_MAX + 1, true), { reason: "valueLength", offset: 80 }],
        ["a value past the chunk's end", (v) => v.setUint32(80, 100, true), { reason: "recordLength", offset: 80 }],
        ["a value running into the next record", (v) => v.setUint32(80, 3, true), { reason: "recordLength", offset: 87 }],
        ["a duplicate (key, revision)", (v) => { v.setBigUint64(EX_RECORD_1, 0x11n, true); v.setBigUint64(EX_RECORD_1 + 8, 5n, true); }, { reason: "order", offset: EX_RECORD_1 }],
        ["keys out of order", (v) => v.setBigUint64(EX_RECORD_1, 0x10n, true), { reason: "order", offset: EX_RECORD_1 }],
        ["a first key other than firstKey", (v) => { v.setBigUint64(EX_ENTRY, 0x10n, true); v.setBigUint64(24, 0x10n, true); }, { reason: "recordKey", offset: 64 }],
        ["a key above lastKey", (v) => { v.setBigUint64(EX_ENTRY + 8, 0x20n, true); v.setBigUint64(32, 0x20n, true); }, { reason: "recordKey", offset: EX_RECORD_1 }],
        ["a last key below lastKey", (v) => { v.setBigUint64(EX_ENTRY + 8, 0x2bn, true); v.setBigUint64(32, 0x2bn, true); }, { reason: "recordKey", offset: EX_RECORD_1 }],
        ["a revision above revisionMax", (v) => v.setBigUint64(48, 8n, true), { reason: "revision", offset: EX_RECORD_1 + 8 }],
        ["a revision below revisionMin", (v) => v.setBigUint64(40, 6n, true), { reason: "revision", offset: 64 + 8 }],
        ["bytes after the last record", (v) => { v.setUint32(EX_ENTRY + 20, 1, true); v.setUint32(20, 1, true); }, { reason: "trailingBytes", offset: EX_RECORD_1 }],
      ];
      for (const [name, edit, problem] of cases) {
        const bytes = resealedChunk(edit);
        const index = openBlock(core, bytes, EXAMPLE_ID);
        expect(isBlockProblem(index), name).to.equal(false);
        expect(readAll(core, bytes, EXAMPLE_ID), name).to.deep.equal(problem);
      }
    });

    it("aResealedChunkWithItsRecordsSwappedIsOrder", () => {
      // Two records of one key, then their revisions swapped: 9 before 5.
      const base = encodeBlock(core, { blockId: EXAMPLE_ID, spaceId: 2, records: [EXAMPLE_RECORDS[0] ?? { key: 0n, revision: 1n, value: null }, { key: 0x11n, revision: 9n, value: null }] });
      const bytes = resealedChunk((v) => { v.setBigUint64(72, 9n, true); v.setBigUint64(EX_RECORD_1 + 8, 5n, true); }, base);
      expect(readAll(core, bytes, EXAMPLE_ID)).to.deep.equal({ reason: "order", offset: EX_RECORD_1 });
    });
  });

  describe("chunksOverlapping", () => {
    it("equalsABruteForceFilter", () => {
      fc.assert(
        fc.property(recordsArbitrary(60n, 20, 500), fc.bigInt({ min: 0n, max: 64n }), fc.bigInt({ min: 0n, max: 64n }), (records, a, b) => {
          const bytes = encodeBlock(core, { blockId: 1n, spaceId: 1, records });
          const index = openOk(core, bytes, 1n);
          const [from, to] = a <= b ? [a, b] : [b, a];
          const expected = index.chunks.filter((c) => c.lastKey >= from && c.firstKey <= to);
          expect(chunksOverlapping(index, from, to)).to.deep.equal(expected);
        }),
        { seed: propertySeed(), numRuns: 200 },
      );
    });

    it("everyRecordInRangeLiesInAnOverlappingChunk", () => {
      const records = sortedUnique(Array.from({ length: 700 }, (_, i): BlockRecord => ({ key: BigInt((i * 37) % 90), revision: BigInt(i + 1), value: null })));
      const bytes = encodeBlock(core, { blockId: 1n, spaceId: 1, records });
      const index = openOk(core, bytes, 1n);
      for (let key = 0n; key < 92n; key++) {
        const found: BlockRecord[] = [];
        for (const chunk of chunksOverlapping(index, key, key)) {
          const decoded = decodeChunk(core, index, chunk, bytes.subarray(chunk.offset, chunk.offset + chunk.length));
          if (isBlockProblem(decoded)) throw new Error(decoded.reason);
          found.push(...decoded.filter((r) => r.key === key));
        }
        expect(found.length, `key ${key}`).to.equal(records.filter((r) => r.key === key).length);
      }
    });
  });
});
