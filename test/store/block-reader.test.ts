// Reading sealed blocks through StorageIo (host/store/block-reader.ts), on real files and on
// SimDisk: ranges against a brute-force filter, a flipped bit in each part of a block, files that
// are not the manifest's block, the cross-chunk order rule, and the reads a narrow range costs.
import { expect } from "chai";
import fc from "fast-check";
import { type Core } from "../../host/core/index.js";
import { CorruptLogError, CorruptionError, ClosedError, IoError } from "../../host/errors.js";
import { createRealIo } from "../../host/io/create-io.js";
import { type IoFile, type StorageIo } from "../../host/io/storage-io.js";
import { type BlockExpectation, type BlockReader, RECENT_CHUNKS_MAX, openBlock } from "../../host/store/block-reader.js";
import { BlockFilePool } from "../../host/store/block-file-pool.js";
import { ChunkCache } from "../../host/store/chunk-cache.js";
import { encodeBlock } from "../../host/store/block-encode.js";
import {
  BLOCK_HEADER_SIZE, BLOCK_TRAILER_SIZE, type BlockIndex, type BlockRecord, E_CHECKSUM, BLOCK_INDEX_ENTRY_SIZE,
  H_KEY_MAX, H_KEY_MIN, H_RECORD_COUNT, H_REVISION_MAX, H_REVISION_MIN, H_SPACE_ID, blockFileName, chunkSeedOf,
  decodeBlockFrame, frameOf, indexChecksumOf, isBlockProblem,
} from "../../host/store/block-format.js";
import { SimDisk } from "../../host/sim/sim-disk.js";
import { createSimIo } from "../../host/sim/sim-io.js";
import { sharedCore } from "../core/core-suite.js";
import { propertySeed } from "../core/core-check.js";
import { makeTempDir, removeTempDir } from "../wal/temp-dir.js";

const SPACE_ID = 3;

interface Fixture {
  readonly io: StorageIo;
  readonly dir: string;
  cleanup(): void;
}

type FixtureFactory = (core: Core, seed: number) => Fixture;

const BACKENDS: readonly [string, FixtureFactory][] = [
  ["real files", (core) => {
    const dir = makeTempDir("block-reader");
    const io = createRealIo(core, "sync");
    return { io, dir, cleanup: () => { io.dispose(); removeTempDir(dir); } };
  }],
  ["SimDisk", (core, seed) => {
    const disk = new SimDisk({ seed });
    const io = createSimIo(core, disk);
    io.makeDirectory("/store");
    return { io, dir: "/store", cleanup: () => io.dispose() };
  }],
];

function pathOf(fixture: Fixture, blockId: bigint): string {
  return `${fixture.dir}/${blockFileName(blockId)}`;
}

function writeBlock(fixture: Fixture, blockId: bigint, bytes: Uint8Array): void {
  expect(fixture.io.createSmallFile(pathOf(fixture, blockId), bytes)).to.equal(true);
}

/** The manifest's entry for a block, read from the records it was encoded from. */
function expectationOf(records: readonly BlockRecord[], fileSize: number): BlockExpectation {
  const revisions = records.map((record) => record.revision);
  return {
    spaceId: SPACE_ID, recordCount: records.length, fileSize,
    keyMin: records[0]?.key ?? 0n, keyMax: records[records.length - 1]?.key ?? 0n,
    revisionMin: revisions.reduce((a, b) => (a < b ? a : b)), revisionMax: revisions.reduce((a, b) => (a > b ? a : b)),
  };
}

function sortRecords(records: BlockRecord[]): BlockRecord[] {
  return records.sort((a, b) => (a.key !== b.key ? (a.key < b.key ? -1 : 1) : a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
}

/** `count` records on keys 0, 1, 2, ... with one revision each, `valueSize` bytes of value. */
function denseRecords(count: number, valueSize = 4): BlockRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: BigInt(i), revision: BigInt(i + 1), value: new Uint8Array(valueSize).fill(i & 0xff) }));
}

function indexOf(core: Core, bytes: Uint8Array, blockId: bigint): BlockIndex {
  const index = decodeBlockFrame(core, frameOf(bytes), bytes.byteLength, blockId);
  if (isBlockProblem(index)) throw new Error(`the test's block does not decode: ${index.reason}`);
  return index;
}

async function collect(reader: BlockReader, keyFrom: bigint, keyTo: bigint): Promise<BlockRecord[]> {
  const out: BlockRecord[] = [];
  for await (const record of reader.records(keyFrom, keyTo)) out.push(record);
  return out;
}

/** The records yielded before the generator threw, and what it threw (undefined if it ended). */
async function collectUntilError(reader: BlockReader, keyFrom: bigint, keyTo: bigint): Promise<{ records: BlockRecord[]; error: unknown }> {
  const records: BlockRecord[] = [];
  try {
    for await (const record of reader.records(keyFrom, keyTo)) records.push(record);
  } catch (error) {
    return { records, error };
  }
  return { records, error: undefined };
}

function openError(core: Core, fixture: Fixture, blockId: bigint, expected: BlockExpectation): CorruptionError {
  let caught: unknown;
  try {
    openBlock(core, fixture.io, fixture.dir, blockId, expected).close();
  } catch (error) {
    caught = error;
  }
  expect(caught, "openBlock throws").to.be.instanceOf(CorruptionError);
  const error = caught as CorruptionError;
  expect(error.code).to.equal("SPACELOG_CORRUPTION");
  expect(error.file).to.equal(pathOf(fixture, blockId));
  return error;
}

function flipBit(bytes: Uint8Array, offset: number, bit = 0): Uint8Array {
  const copy = bytes.slice();
  copy[offset] = (copy[offset] ?? 0) ^ (1 << bit);
  return copy;
}

/** Record sets with repeated keys (several revisions), tombstones, and enough records for several chunks. */
const recordsArbitrary = fc.uniqueArray(
  fc.record({
    key: fc.bigInt({ min: 0n, max: 400n }),
    revision: fc.bigInt({ min: 1n, max: 50n }),
    value: fc.option(fc.uint8Array({ maxLength: 24 }), { freq: 5 }),
  }),
  { minLength: 1, maxLength: 400, selector: (record) => `${record.key}:${record.revision}` },
).map((records) => sortRecords(records));

const rangeArbitrary = fc.tuple(fc.bigInt({ min: 0n, max: 420n }), fc.bigInt({ min: 0n, max: 420n }))
  .map(([a, b]): [bigint, bigint] => (a <= b ? [a, b] : [b, a]));

describe("store/block-reader", function () {
  this.timeout(60_000);
  let core: Core;
  before(async () => {
    core = await sharedCore();
  });

  for (const [backend, makeFixture] of BACKENDS) {
    describe(backend, () => {
      let fixture: Fixture;
      beforeEach(() => {
        fixture = makeFixture(core, propertySeed() ?? 1);
      });
      afterEach(() => fixture.cleanup());

      it("rangesEqualABruteForceFilterOfTheRecords", async () => {
        let blockId = 0n;
        await fc.assert(fc.asyncProperty(recordsArbitrary, fc.array(rangeArbitrary, { minLength: 1, maxLength: 6 }), async (records, ranges) => {
          blockId += 1n;
          const bytes = encodeBlock(core, { blockId, spaceId: SPACE_ID, records });
          writeBlock(fixture, blockId, bytes);
          const reader = openBlock(core, fixture.io, fixture.dir, blockId, expectationOf(records, bytes.byteLength));
          try {
            expect(await collect(reader, 0n, (1n << 64n) - 1n)).to.deep.equal(records);
            for (const [keyFrom, keyTo] of ranges) {
              const expected = records.filter((record) => record.key >= keyFrom && record.key <= keyTo);
              expect(await collect(reader, keyFrom, keyTo), `[${keyFrom}, ${keyTo}]`).to.deep.equal(expected);
            }
          } finally {
            reader.close();
          }
        }), { numRuns: 40, seed: propertySeed() });
      });

      it("aFlippedHeaderBitIsCorruptionInTheFrame", () => {
        const records = denseRecords(200);
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        const checksumOffset = bytes.byteLength - BLOCK_TRAILER_SIZE;
        for (let offset = 0; offset < BLOCK_HEADER_SIZE; offset++) {
          const blockId = BigInt(offset + 1);
          // Each damaged copy under its own id, with the checksums of that id, then one bit flipped.
          const damaged = flipBit(encodeBlock(core, { blockId, spaceId: SPACE_ID, records }), offset, offset % 8);
          writeBlock(fixture, blockId, damaged);
          const error = openError(core, fixture, blockId, expectationOf(records, bytes.byteLength));
          // One XXH64 covers header ++ index, so the offset is the damaged header field, or the checksum that failed.
          const inHeader = error.offset >= 0 && error.offset < BLOCK_HEADER_SIZE;
          expect(inHeader || error.offset === checksumOffset, `byte ${offset}: ${error.message}`).to.equal(true);
        }
      });

      it("aFlippedIndexBitIsCorruptionAtTheIndexChecksum", () => {
        const records = denseRecords(300);
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        const index = indexOf(core, bytes, 1n);
        const trailerOffset = bytes.byteLength - BLOCK_TRAILER_SIZE;
        for (let offset = index.indexOffset, blockId = 1n; offset < trailerOffset; offset += 7, blockId++) {
          writeBlock(fixture, blockId, flipBit(encodeBlock(core, { blockId, spaceId: SPACE_ID, records }), offset, offset % 8));
          const error = openError(core, fixture, blockId, expectationOf(records, bytes.byteLength));
          expect(error.reason, `byte ${offset}`).to.equal("checksum");
          expect(error.offset).to.equal(trailerOffset);
        }
      });

      it("aFlippedTrailerBitIsCorruptionInTheTrailer", () => {
        const records = denseRecords(70);
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        const trailerOffset = bytes.byteLength - BLOCK_TRAILER_SIZE;
        for (let offset = trailerOffset; offset < bytes.byteLength; offset++) {
          const blockId = BigInt(offset - trailerOffset + 1);
          writeBlock(fixture, blockId, flipBit(encodeBlock(core, { blockId, spaceId: SPACE_ID, records }), offset, offset % 8));
          const error = openError(core, fixture, blockId, expectationOf(records, bytes.byteLength));
          expect(error.offset, `byte ${offset}`).to.be.within(trailerOffset, bytes.byteLength - 1);
        }
      });

      it("aFlippedChunkBitYieldsTheEarlierChunksThenCorruptionAndNothingOfTheChunk", async () => {
        const records = denseRecords(64 * 5);
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        const index = indexOf(core, bytes, 1n);
        const chunk = index.chunks[2];
        expect(chunk).to.not.equal(undefined);
        if (chunk === undefined) return;
        const damagedAt = chunk.offset + 45;
        writeBlock(fixture, 1n, flipBit(bytes, damagedAt, 3));
        // The header, index and trailer are intact: the block opens, the chunk fails when read.
        const reader = openBlock(core, fixture.io, fixture.dir, 1n, expectationOf(records, bytes.byteLength));
        try {
          const { records: yielded, error } = await collectUntilError(reader, 10n, 300n);
          expect(yielded).to.deep.equal(records.slice(10, 128));
          expect(error).to.be.instanceOf(CorruptionError);
          const corruption = error as CorruptionError;
          expect(corruption.file).to.equal(pathOf(fixture, 1n));
          expect(corruption.reason).to.equal("chunkChecksum");
          expect(corruption.offset).to.be.within(chunk.offset, chunk.offset + chunk.length - 1);
          // A range inside the damaged chunk yields nothing before the error.
          const inside = await collectUntilError(reader, 130n, 140n);
          expect(inside.records).to.deep.equal([]);
          expect(inside.error).to.be.instanceOf(CorruptionError);
          // Ranges that miss the chunk read as before.
          expect(await collect(reader, 200n, 319n)).to.deep.equal(records.slice(200));
        } finally {
          reader.close();
        }
      });

      it("anotherBlocksBytesUnderThisIdAreCorruption", () => {
        const records = denseRecords(10);
        const other = encodeBlock(core, { blockId: 2n, spaceId: SPACE_ID, records });
        writeBlock(fixture, 1n, other);
        const error = openError(core, fixture, 1n, expectationOf(records, other.byteLength));
        expect(error.reason).to.equal("blockId");
      });

      it("aFileShorterThanTheManifestSaysIsCorruption", () => {
        const records = denseRecords(100);
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        writeBlock(fixture, 1n, bytes.subarray(0, bytes.byteLength - 1));
        const error = openError(core, fixture, 1n, expectationOf(records, bytes.byteLength));
        expect(error).to.include({ reason: "fileSize", offset: bytes.byteLength - 1 });
      });

      it("aFileLongerThanTheManifestSaysIsCorruption", () => {
        const records = denseRecords(100);
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        const longer = new Uint8Array(bytes.byteLength + 8);
        longer.set(bytes, 0);
        writeBlock(fixture, 1n, longer);
        const error = openError(core, fixture, 1n, expectationOf(records, bytes.byteLength));
        expect(error).to.include({ reason: "fileSize", offset: bytes.byteLength });
      });

      it("aTruncatedFileTheManifestAgreesWithDoesNotVerify", () => {
        const records = denseRecords(100);
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        const cut = bytes.subarray(0, bytes.byteLength - 40);
        writeBlock(fixture, 1n, cut);
        const error = openError(core, fixture, 1n, expectationOf(records, cut.byteLength));
        expect(error.reason).to.equal("indexRange");
      });

      it("aHeaderThatDisagreesWithTheManifestIsCorruptionAtTheField", () => {
        const records = denseRecords(100);
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        writeBlock(fixture, 1n, bytes);
        const expected = expectationOf(records, bytes.byteLength);
        const cases: readonly [Partial<BlockExpectation>, number][] = [
          [{ spaceId: SPACE_ID + 1 }, H_SPACE_ID], [{ recordCount: 99 }, H_RECORD_COUNT],
          [{ keyMin: 1n }, H_KEY_MIN], [{ keyMax: 98n }, H_KEY_MAX],
          [{ revisionMin: 2n }, H_REVISION_MIN], [{ revisionMax: 101n }, H_REVISION_MAX],
        ];
        for (const [change, offset] of cases) {
          const error = openError(core, fixture, 1n, { ...expected, ...change });
          expect(error, JSON.stringify(Object.keys(change))).to.include({ reason: "manifest", offset });
        }
      });

      it("aMissingBlockIsCorruptionBecauseTheManifestListsIt", () => {
        const error = openError(core, fixture, 5n, expectationOf(denseRecords(3), 200));
        expect(error).to.include({ reason: "missing", offset: 0 });
        expect(error.message).to.include("the manifest lists it");
      });

      it("revisionsOutOfOrderAcrossAChunkBoundaryAreCorruption", async () => {
        // Key 63 has revisions 3 and 5, the first ending chunk 0 and the second opening chunk 1.
        // Swapping them (and fixing every checksum) leaves each chunk valid alone.
        const records = denseRecords(63).map((record) => ({ ...record, revision: 1n }));
        records.push({ key: 63n, revision: 3n, value: null }, { key: 63n, revision: 5n, value: null });
        records.push(...denseRecords(80).slice(64).map((record) => ({ ...record, revision: 1n })));
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        const index = indexOf(core, bytes, 1n);
        const [chunk0, chunk1] = index.chunks;
        if (chunk0 === undefined || chunk1 === undefined) throw new Error("two chunks expected");
        const view = new DataView(bytes.buffer);
        const lastOfChunk0 = chunk1.offset - 20;
        view.setBigUint64(lastOfChunk0 + 8, 5n, true);
        view.setBigUint64(chunk1.offset + 8, 3n, true);
        resealChunks(core, bytes, index);
        writeBlock(fixture, 1n, bytes);
        const reader = openBlock(core, fixture.io, fixture.dir, 1n, expectationOf(records, bytes.byteLength));
        try {
          const { records: yielded, error } = await collectUntilError(reader, 0n, 100n);
          expect(yielded).to.have.length(64);
          expect(error).to.be.instanceOf(CorruptionError);
          expect(error).to.include({ reason: "chunkOrder", offset: chunk1.offset, file: pathOf(fixture, 1n) });
          // A range that reads chunk 1 alone has no boundary to check.
          expect(await collect(reader, 64n, 79n)).to.have.length(16);
        } finally {
          reader.close();
        }
      });

      it("aNarrowRangeReadsOnlyTheChunksItNeeds", async () => {
        const records = denseRecords(64 * 50);
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        writeBlock(fixture, 1n, bytes);
        const index = indexOf(core, bytes, 1n);
        expect(index.chunks).to.have.length(50);
        const counting = countingIo(fixture.io);
        const reader = openBlock(core, counting.io, fixture.dir, 1n, expectationOf(records, bytes.byteLength));
        try {
          // Open reads the header, the trailer and the index: 64 + 16 + 50 x 32 bytes.
          expect(counting.reads.map((read) => read.length)).to.deep.equal([BLOCK_HEADER_SIZE, BLOCK_TRAILER_SIZE, 50 * BLOCK_INDEX_ENTRY_SIZE]);
          counting.reads.length = 0;
          expect(await collect(reader, 1000n, 1000n)).to.deep.equal([records[1000]]);
          const chunk = index.chunks[Math.floor(1000 / 64)];
          expect(counting.reads).to.deep.equal([{ position: chunk?.offset, length: chunk?.length }]);
          counting.reads.length = 0;
          // A range across one boundary reads exactly the two chunks it touches.
          expect(await collect(reader, 60n, 70n)).to.deep.equal(records.slice(60, 71));
          expect(counting.reads.map((read) => read.position)).to.deep.equal([index.chunks[0]?.offset, index.chunks[1]?.offset]);
        } finally {
          reader.close();
        }
      });

      it("aSharedCacheServesAChunkAgainWithNoReadAndNeverAcrossBlocks", async () => {
        const recordsA = denseRecords(64 * 4);
        const recordsB = denseRecords(64 * 4, 9);
        const bytesA = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records: recordsA });
        const bytesB = encodeBlock(core, { blockId: 2n, spaceId: SPACE_ID, records: recordsB });
        writeBlock(fixture, 1n, bytesA);
        writeBlock(fixture, 2n, bytesB);
        const counting = countingIo(fixture.io);
        const cache = new ChunkCache(1 << 20);
        const a = openBlock(core, counting.io, fixture.dir, 1n, expectationOf(recordsA, bytesA.byteLength), { cache, files: new BlockFilePool(counting.io, 8) });
        const b = openBlock(core, counting.io, fixture.dir, 2n, expectationOf(recordsB, bytesB.byteLength), { cache, files: new BlockFilePool(counting.io, 8) });
        try {
          counting.reads.length = 0;
          expect(await collect(a, 10n, 20n)).to.deep.equal(recordsA.slice(10, 21));
          expect(counting.reads).to.have.length(1);
          expect(await collect(a, 0n, 63n)).to.deep.equal(recordsA.slice(0, 64));
          expect(counting.reads, "chunk 0 of block 1 is served from the cache").to.have.length(1);
          // The same keys in the other block: its own chunk, read from its own file.
          expect(await collect(b, 10n, 20n)).to.deep.equal(recordsB.slice(10, 21));
          expect(counting.reads).to.have.length(2);
          expect(cache.heldBytes).to.equal((indexOf(core, bytesA, 1n).chunks[0]?.length ?? 0) + (indexOf(core, bytesB, 2n).chunks[0]?.length ?? 0));
          a.close();
          expect(cache.heldBytes, "a closed reader's chunks leave the cache").to.equal(indexOf(core, bytesB, 2n).chunks[0]?.length);
        } finally {
          a.close();
          b.close();
        }
        expect(cache.heldBytes).to.equal(0);
      });

      it("aScanThatDoesNotFillTheCacheKeepsOnlyItsLastChunks", async () => {
        const records = denseRecords(64 * 8);
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        writeBlock(fixture, 1n, bytes);
        const counting = countingIo(fixture.io);
        const cache = new ChunkCache(1 << 20);
        const reader = openBlock(core, counting.io, fixture.dir, 1n, expectationOf(records, bytes.byteLength), { cache, files: new BlockFilePool(counting.io, 8) });
        try {
          const scan = (from: bigint, to: bigint): BlockRecord[] => [...reader.recordsSync(from, to, false)];
          counting.reads.length = 0;
          expect(scan(0n, 511n)).to.deep.equal(records);
          expect(counting.reads).to.have.length(8);
          expect(cache.heldBytes, "nothing went into the shared cache").to.equal(0);
          // The last RECENT_CHUNKS_MAX chunks are still at hand; the first ones were let go.
          expect(scan(64n * 7n, 64n * 7n + 3n)).to.deep.equal(records.slice(64 * 7, 64 * 7 + 4));
          expect(counting.reads).to.have.length(8);
          expect(scan(0n, 3n)).to.deep.equal(records.slice(0, 4));
          expect(counting.reads).to.have.length(9);
          expect(RECENT_CHUNKS_MAX).to.equal(4);
        } finally {
          reader.close();
        }
      });

      it("readersBeyondTheFilePoolsBoundReopenTheirFilesAndReadTheSameRecords", async () => {
        const blocks = [1n, 2n, 3n].map((blockId) => {
          const records = denseRecords(64 * 3, Number(blockId));
          const bytes = encodeBlock(core, { blockId, spaceId: SPACE_ID, records });
          writeBlock(fixture, blockId, bytes);
          return { blockId, records, bytes };
        });
        const files = new BlockFilePool(fixture.io, 2);
        const cache = new ChunkCache(0); // every read goes to the file
        const readers = blocks.map(({ blockId, records, bytes }) => openBlock(core, fixture.io, fixture.dir, blockId, expectationOf(records, bytes.byteLength), { cache, files }));
        try {
          expect(files.openCount, "opening the third closed the least recently used").to.equal(2);
          for (let round = 0; round < 3; round++) {
            for (const [i, reader] of readers.entries()) {
              expect(await collect(reader, 70n, 80n)).to.deep.equal(blocks[i]?.records.slice(70, 81));
              expect(files.openCount).to.be.at.most(2);
            }
          }
          // 3 opens by openBlock, then each read of a closed file reopened it: 3 rounds x 3 readers.
          expect(files.opens).to.equal(3 + 9);
          // The last round read readers 1 and 2 last: theirs are the open files.
          readers[2]?.close();
          expect(files.openCount, "a closed reader's file is closed").to.equal(1);
          expect(await collect(readers[1] as BlockReader, 0n, 1n)).to.deep.equal(blocks[1]?.records.slice(0, 2));
        } finally {
          for (const reader of readers) reader.close();
        }
        expect(files.openCount, "closed readers hold no file").to.equal(0);
      });

      it("aBlockFileRemovedUnderAReaderWhoseFileWasClosedIsCorruptionNamingIt", async () => {
        const records = denseRecords(64 * 2);
        const bytesA = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        const bytesB = encodeBlock(core, { blockId: 2n, spaceId: SPACE_ID, records });
        writeBlock(fixture, 1n, bytesA);
        writeBlock(fixture, 2n, bytesB);
        const files = new BlockFilePool(fixture.io, 1);
        const shared = { cache: new ChunkCache(0), files };
        const a = openBlock(core, fixture.io, fixture.dir, 1n, expectationOf(records, bytesA.byteLength), shared);
        const b = openBlock(core, fixture.io, fixture.dir, 2n, expectationOf(records, bytesB.byteLength), shared);
        try {
          fixture.io.removeFile(pathOf(fixture, 1n));
          const { records: got, error } = await collectUntilError(a, 0n, 5n);
          expect(got).to.deep.equal([]);
          expect(error).to.be.instanceOf(CorruptionError);
          expect((error as CorruptionError).file).to.equal(pathOf(fixture, 1n));
          expect((error as CorruptionError).message).to.include("the manifest lists it");
          expect(await collect(b, 0n, 5n)).to.deep.equal(records.slice(0, 6));
        } finally {
          a.close();
          b.close();
        }
      });

      it("recordsAfterCloseIsClosedError", async () => {
        const records = denseRecords(5);
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        writeBlock(fixture, 1n, bytes);
        const reader = openBlock(core, fixture.io, fixture.dir, 1n, expectationOf(records, bytes.byteLength));
        reader.close();
        reader.close();
        const { error } = await collectUntilError(reader, 0n, 10n);
        expect(error).to.be.instanceOf(ClosedError);
      });
    });
  }

  describe("SimDisk faults", () => {
    it("aRandomFlippedBitIsCorruptionAndNeverWrongData", async () => {
      const records = denseRecords(64 * 4, 12);
      for (let seed = 1; seed <= 60; seed++) {
        const disk = new SimDisk({ seed: (propertySeed() ?? 0) * 1000 + seed });
        const io = createSimIo(core, disk);
        try {
          io.makeDirectory("/store");
          const bytes = encodeBlock(core, { blockId: 9n, spaceId: SPACE_ID, records });
          const path = `/store/${blockFileName(9n)}`;
          io.createSmallFile(path, bytes);
          const flipped = disk.flipRandomBit(path);
          expect(flipped).to.not.equal(null);
          let yielded: BlockRecord[] = [];
          let error: unknown;
          try {
            const reader = openBlock(core, io, "/store", 9n, expectationOf(records, bytes.byteLength));
            try {
              ({ records: yielded, error } = await collectUntilError(reader, 0n, 1000n));
            } finally {
              reader.close();
            }
          } catch (openFailure) {
            error = openFailure;
          }
          expect(error, `seed ${seed}: bit ${flipped?.bit} of byte ${flipped?.offset}`).to.be.instanceOf(CorruptionError);
          expect(error).to.have.property("file", path);
          // Whatever came out before the error is a prefix of the true records, in whole chunks.
          expect(yielded).to.deep.equal(records.slice(0, yielded.length));
          expect(yielded.length % 64).to.equal(0);
        } finally {
          io.dispose();
        }
      }
    });

    it("aReadErrorStaysAnIoError", async () => {
      const records = denseRecords(64 * 20, 40);
      const disk = new SimDisk({ seed: 7 });
      const io = createSimIo(core, disk);
      try {
        io.makeDirectory("/store");
        const bytes = encodeBlock(core, { blockId: 1n, spaceId: SPACE_ID, records });
        const path = `/store/${blockFileName(1n)}`;
        io.createSmallFile(path, bytes);
        const index = indexOf(core, bytes, 1n);
        const chunk = index.chunks[15];
        if (chunk === undefined) throw new Error("20 chunks expected");
        disk.injectReadError(path, chunk.offset + 100);
        const reader = openBlock(core, io, "/store", 1n, expectationOf(records, bytes.byteLength));
        try {
          const { error } = await collectUntilError(reader, chunk.firstKey, chunk.lastKey);
          expect(error).to.be.instanceOf(IoError);
          expect(error).to.not.be.instanceOf(CorruptionError);
        } finally {
          reader.close();
        }
        disk.injectReadError(path, 0);
        let caught: unknown;
        try {
          openBlock(core, io, "/store", 1n, expectationOf(records, bytes.byteLength));
        } catch (error) {
          caught = error;
        }
        // The failed open closed its file: dispose() below finds none open.
        expect(caught).to.be.instanceOf(IoError);
      } finally {
        io.dispose();
      }
    });
  });

  it("corruptLogErrorIsACorruptionErrorWithItsOwnNameAndCode", () => {
    const error = new CorruptLogError("corrupt log", "/d/seg", 64, "crc");
    expect(error).to.be.instanceOf(CorruptionError);
    expect(error).to.include({ name: "CorruptLogError", code: "SPACELOG_CORRUPT_LOG", file: "/d/seg", offset: 64, reason: "crc" });
  });
});

/** Rewrites every chunk checksum in the index, then the trailer's checksum, after a test edits chunk bytes. */
function resealChunks(core: Core, bytes: Uint8Array, index: BlockIndex): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const chunk of index.chunks) {
    const checksum = core.xxh64(bytes.subarray(chunk.offset, chunk.offset + chunk.length), chunkSeedOf(index.blockId, chunk.chunkIndex));
    view.setBigUint64(index.indexOffset + chunk.chunkIndex * BLOCK_INDEX_ENTRY_SIZE + E_CHECKSUM, checksum, true);
  }
  const trailer = bytes.byteLength - BLOCK_TRAILER_SIZE;
  const checksum = indexChecksumOf(core, bytes.subarray(0, BLOCK_HEADER_SIZE), bytes.subarray(index.indexOffset, trailer), index.blockId);
  view.setBigUint64(trailer, checksum, true);
}

/** `io` with every readAt recorded (position and buffer length). */
function countingIo(io: StorageIo): { io: StorageIo; reads: { position: number; length: number }[] } {
  const reads: { position: number; length: number }[] = [];
  const wrapped = new Proxy(io, {
    get(target, property): unknown {
      if (property === "readAt") {
        return (file: IoFile, buffer: Uint8Array, position: number): number => {
          reads.push({ position, length: buffer.byteLength });
          return target.readAt(file, buffer, position);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { io: wrapped, reads };
}
