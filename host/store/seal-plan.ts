// What a seal writes (docs/store-design.md "Seal", steps 1 and 3), computed without I/O: a space's
// unsealed records at or below a revision R, sorted by (key, revision) with the core's radix sort,
// encoded as one or more blocks, and the manifest that lists them and moves the space's sealed
// revision to R. The caller writes the blocks, fdatasyncs them, fsyncs the directory, installs the
// manifest, and only then drops the records from the live tail (steps 2 to 4).
//
// Every version is kept: a seal is not a compaction (a later issue drops versions no snapshot can
// see). Tombstones are kept too: they hide older versions in older blocks.
//
// Splitting. One seal may write several blocks, with consecutive ids, all in one manifest update.
// Walking the sorted records, a record starts a new block when the current one holds recordsMax
// records, or is not empty and would pass bytesMax with it (the exact encoded size, chunks and
// index included). So a block of two or more records is at most bytesMax bytes, and a block of one
// record may be longer only when bytesMax is below one record's block (never with the defaults).
// A worked example with recordsMax = 3 and bytesMax large: 7 records sorted as
// (1,4) (1,9) (2,5) (3,3) (3,8) (5,2) (6,6), nextBlockId 12, give blocks 12: (1,4) (1,9) (2,5),
// 13: (3,3) (3,8) (5,2), 14: (6,6), and nextBlockId 15. A key's versions may straddle two blocks
// (key 1 above if recordsMax were 1): a reader merges every block's versions anyway.
//
// Zero records: the plan is null (nothing is written, the manifest stays). A manifest-only update
// moving sealedRevision to R would buy nothing (recovery skips this space's records at or below
// sealedRevision, and there are none in (sealedRevision, R]) and would cost a manifest install;
// and if the caller's view were wrong, it would make recovery skip records no block holds.
import { assert, constants } from "../assert.js";
import { type Core } from "../core/index.js";
import {
  SORT_TUPLE_INDEX_OFFSET, SORT_TUPLE_KEY_OFFSET, SORT_TUPLE_PAD_OFFSET, SORT_TUPLE_REVISION_OFFSET, SORT_TUPLE_SIZE,
} from "../core/radix-sort.js";
import { type BlockLayout, encodeBlockInSteps } from "./block-encode.js";
import {
  BLOCK_HEADER_SIZE, BLOCK_INDEX_ENTRY_SIZE, BLOCK_RECORD_HEADER_SIZE, BLOCK_SIZE_MAX, BLOCK_TRAILER_SIZE, CHUNK_BYTES_MAX,
  CHUNK_RECORDS_MAX, H_REVISION_MAX, H_REVISION_MIN, U64_MAX, VALUE_SIZE_MAX,
} from "./block-format.js";
import { type Manifest, type ManifestBlock, type ManifestSpace, spaceById } from "./manifest-format.js";
import { STEP_RECORDS, type Steps, runToEnd } from "./steps.js";
import { assertVersionRecord, type VersionRecord } from "./version-record.js";

/** A sealed block holds at most this many records (1 Mi): the seal splits past it. */
export const BLOCK_RECORDS_MAX = 1 << 20;
/** A sealed block of two or more records is at most this many bytes (256 MiB): the seal splits past it. */
export const BLOCK_BYTES_MAX = 256 * 1024 * 1024;
/**
 * One seal sorts at most this many records (4 Mi): 96 MiB of tuples and about as much scratch in
 * the core's memory (1 GiB at most). The store's seal thresholds keep a hot segment far below it.
 */
export const SEAL_RECORDS_MAX = 1 << 22;
/** The core's SORT_TUPLES_MAX (assembly/radix-sort.ts): the most tuples one sortTuplesAt takes. */
const CORE_SORT_TUPLES_MAX = 1 << 26;

/** The largest block of one record: the largest value, one chunk, one index entry. */
const ONE_RECORD_BLOCK_BYTES_MAX = BLOCK_HEADER_SIZE + BLOCK_RECORD_HEADER_SIZE + VALUE_SIZE_MAX + BLOCK_INDEX_ENTRY_SIZE + BLOCK_TRAILER_SIZE;
// Any one record fits a block of its own under the default byte limit, so the defaults never
// make a block longer than BLOCK_BYTES_MAX; and that limit keeps blocks under the format's 4 GiB.
assert(ONE_RECORD_BLOCK_BYTES_MAX <= BLOCK_BYTES_MAX, "one record of the largest value fits a block under BLOCK_BYTES_MAX");
assert(BLOCK_BYTES_MAX <= BLOCK_SIZE_MAX, "BLOCK_BYTES_MAX keeps a block under 4 GiB (u32 offsets)");
// A block's recordCount is a u32; a seal's tuple index is a u32 too, and the core sorts them all at once.
assert(BLOCK_RECORDS_MAX <= 0xffffffff, "a block's record count fits the header's u32");
assert(SEAL_RECORDS_MAX <= CORE_SORT_TUPLES_MAX, "one sortTuplesAt takes every record of a seal");
assert(SEAL_RECORDS_MAX * SORT_TUPLE_SIZE <= 1 << 30, "a seal's tuples fit one region of the core's memory");

export interface SealLimits {
  /** >= 1; default BLOCK_RECORDS_MAX. */
  readonly blockRecordsMax: number;
  /** Default BLOCK_BYTES_MAX; a block of one record may pass it (see the header comment). */
  readonly blockBytesMax: number;
}

export const SEAL_LIMITS_DEFAULT: SealLimits = { blockRecordsMax: BLOCK_RECORDS_MAX, blockBytesMax: BLOCK_BYTES_MAX };

export interface SealInput {
  /** A space the manifest lists (its dims and bits bound the keys). */
  readonly spaceId: number;
  /**
   * The space's unsealed records at or below sealRevision, in any order (e.g. a live-tail view's),
   * each with a revision in (the space's sealedRevision, sealRevision] and a key of the space.
   * No two share (key, revision): a revision is one write.
   */
  readonly records: readonly VersionRecord[];
  /** The installed manifest the next one replaces. */
  readonly manifest: Manifest;
  /** R: the revision sealed through; >= the space's sealedRevision. */
  readonly sealRevision: bigint;
  /** The store's durable revision now (every revision <= it is durable); with the manifest's, >= R. */
  readonly durableRevision: bigint;
}

export interface SealBlock {
  readonly blockId: bigint;
  /** The whole block file. */
  readonly blockBytes: Uint8Array;
  /** The block's entry in the next manifest (fileSize = blockBytes.byteLength). */
  readonly entry: ManifestBlock;
}

export interface SealPlan {
  /** At least one, ids consecutive from the old manifest's nextBlockId, in key order. */
  readonly blocks: readonly SealBlock[];
  /** The manifest to install once every block is durable. */
  readonly manifest: Manifest;
  /** R: the caller drops the space's live-tail records at or below it after the install. */
  readonly sealedThrough: bigint;
}

function recordBytesOf(record: VersionRecord): number {
  return BLOCK_RECORD_HEADER_SIZE + (record.value === null ? 0 : record.value.byteLength);
}

/** The seal's preconditions: a failure is a bug in the store, never bad input. In steps of STEP_RECORDS records. */
function* assertSealInput(input: SealInput, space: ManifestSpace, limits: SealLimits): Steps<void> {
  const { records, manifest, sealRevision, durableRevision } = input;
  assert(Number.isSafeInteger(limits.blockRecordsMax) && limits.blockRecordsMax >= 1, "blockRecordsMax is a positive integer");
  assert(limits.blockRecordsMax <= BLOCK_RECORDS_MAX, "blockRecordsMax is at most BLOCK_RECORDS_MAX");
  assert(Number.isSafeInteger(limits.blockBytesMax) && limits.blockBytesMax >= 1, "blockBytesMax is a positive integer");
  assert(limits.blockBytesMax <= BLOCK_BYTES_MAX, "blockBytesMax is at most BLOCK_BYTES_MAX");
  assert(records.length <= SEAL_RECORDS_MAX, `a seal takes at most SEAL_RECORDS_MAX records; got ${records.length}`);
  assert(sealRevision >= space.sealedRevision, "a seal never moves a space's sealed revision back");
  assert(sealRevision <= U64_MAX, "R is a u64");
  assert(durableRevision >= 0n && durableRevision <= U64_MAX, "a durable revision is a u64");
  // The manifest's rule: sealedRevision <= durableRevision. The records come from durable turns.
  assert(sealRevision <= manifest.durableRevision || sealRevision <= durableRevision, "the sealed records are durable");
  assert(manifest.generation < U64_MAX, "the next generation fits a u64");
  const keyBits = BigInt(space.dims * space.bits);
  // Per record, so each message is built only when its check fails (a template per record per
  // check was a quarter of a seal's time).
  const keyLimit = 1n << keyBits;
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && i % STEP_RECORDS === 0) yield;
    const record = records[i] as VersionRecord;
    if (constants.verify) assertVersionRecord(record, `seal record ${i}`);
    if (!(record.revision > space.sealedRevision)) assert(false, `seal record ${i}: revision ${record.revision} is not sealed yet`);
    if (!(record.revision <= sealRevision)) assert(false, `seal record ${i}: revision ${record.revision} is at most R = ${sealRevision}`);
    if (!(record.key < keyLimit)) assert(false, `seal record ${i}: the key ${record.key} lies in the space's ${keyBits}-bit key range`);
    if (!(record.value === null || record.value.byteLength <= VALUE_SIZE_MAX)) assert(false, `seal record ${i}: the value fits a block record`);
  }
}

/**
 * The records sorted by (key, revision) with the core's radix sort: tuples (key, revision, input
 * index) in a region of the core's memory, sorted in place, the order read back. The region is
 * released before returning, whatever happens.
 */
export function sortSealRecords(core: Core, records: readonly VersionRecord[]): VersionRecord[] {
  return runToEnd(sortSealRecordsInSteps(core, records));
}

/**
 * sortSealRecords in steps of STEP_RECORDS records (packing the tuples, reading the order back;
 * the core's sort is one call between them). The region is this generator's: released when it
 * ends or is closed. Views of it are taken again after every step, since code running between
 * steps may grow the memory.
 */
export function* sortSealRecordsInSteps(core: Core, records: readonly VersionRecord[]): Steps<VersionRecord[]> {
  const count = records.length;
  if (count === 0) return [];
  assert(count <= SEAL_RECORDS_MAX, "a seal sorts at most SEAL_RECORDS_MAX records");
  const bytes = count * SORT_TUPLE_SIZE;
  const region = core.allocateRegion(bytes);
  const viewOfRegion = (): DataView => {
    const u8 = core.bytesOf(region);
    return new DataView(u8.buffer, u8.byteOffset, bytes);
  };
  try {
    let view = viewOfRegion();
    for (let i = 0; i < count; i++) {
      if (i > 0 && i % STEP_RECORDS === 0) {
        yield;
        view = viewOfRegion();
      }
      const record = records[i] as VersionRecord;
      const at = i * SORT_TUPLE_SIZE;
      view.setBigUint64(at + SORT_TUPLE_KEY_OFFSET, record.key, true);
      view.setBigUint64(at + SORT_TUPLE_REVISION_OFFSET, record.revision, true);
      view.setUint32(at + SORT_TUPLE_INDEX_OFFSET, i, true);
      view.setUint32(at + SORT_TUPLE_PAD_OFFSET, 0, true);
    }
    yield;
    core.sortTuplesAt(region.ptr, count);
    yield;
    view = viewOfRegion(); // the sort's scratch allocation may have grown the memory
    const sorted = new Array<VersionRecord>(count);
    const seen = constants.verify ? new Uint8Array(count) : undefined;
    let previous: VersionRecord | undefined;
    for (let i = 0; i < count; i++) {
      if (i > 0 && i % STEP_RECORDS === 0) {
        yield;
        view = viewOfRegion();
      }
      const index = view.getUint32(i * SORT_TUPLE_SIZE + SORT_TUPLE_INDEX_OFFSET, true);
      const record = records[index];
      assert(record !== undefined, "the sort returns input indexes");
      if (seen !== undefined) {
        assert(seen[index] === 0, "the sort returns each input once");
        seen[index] = 1;
      }
      if (previous !== undefined) {
        if (previous.key === record.key && previous.revision === record.revision) {
          assert(false, `two records share key ${record.key} and revision ${record.revision}: a revision is one write`);
        }
        const ascending = previous.key < record.key || (previous.key === record.key && previous.revision < record.revision);
        assert(ascending, "the core's sort orders by (key, revision)");
      }
      sorted[i] = record;
      previous = record;
    }
    return sorted;
  } finally {
    core.releaseRegion(region);
  }
}

/**
 * Cuts sorted records into blocks under the limits (the header comment's rule). The size of each
 * block is computed exactly, with block-encode.ts's chunking (planChunks), so the seal can check
 * the encoder's output against it. Returns [start, end, fileSize] per block.
 */
export function planSealBlocks(records: readonly VersionRecord[], limits: SealLimits = SEAL_LIMITS_DEFAULT): Array<[number, number, number]> {
  return runToEnd(planSealBlocksInSteps(records, limits)).map(({ start, end, fileSize }) => [start, end, fileSize]);
}

/** One block of a seal: its records [start, end) of the sorted ones, its size, and its layout for the encoder. */
interface BlockCut {
  readonly start: number;
  readonly end: number;
  readonly fileSize: number;
  readonly layout: BlockLayout;
}

/**
 * planSealBlocks in steps of STEP_RECORDS records, giving each block's layout too (its chunks,
 * bytes and revision range), so the encoder need not walk the records again: the sorted records
 * are scattered in memory (they were made in revision order), and one pass over 256 Ki of them
 * took ~90 ms here.
 */
function* planSealBlocksInSteps(records: readonly VersionRecord[], limits: SealLimits): Steps<BlockCut[]> {
  const fixedBytes = BLOCK_HEADER_SIZE + BLOCK_TRAILER_SIZE;
  const blocks: BlockCut[] = [];
  let start = 0;
  let size = fixedBytes; // the current block's file size so far
  let chunkRecords = 0; // the current chunk's (the last chunk of the current block)
  let chunkBytes = 0;
  let chunkCounts: number[] = [];
  let chunksLength = 0;
  let revisionMin = U64_MAX;
  let revisionMax = 0n;
  const cut = (end: number): void => {
    chunkCounts.push(chunkRecords);
    blocks.push({ start, end, fileSize: size, layout: { chunkCounts, chunksLength, revisionMin, revisionMax } });
  };
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && i % STEP_RECORDS === 0) yield;
    const record = records[i];
    assert(record !== undefined, "i lies in the records");
    const recordBytes = recordBytesOf(record);
    // planChunks: a record starts a new chunk (and index entry) when the chunk is full or would pass 64 KiB.
    const newChunk = chunkRecords === 0 || chunkRecords === CHUNK_RECORDS_MAX || chunkBytes + recordBytes > CHUNK_BYTES_MAX;
    const grown = size + recordBytes + (newChunk ? BLOCK_INDEX_ENTRY_SIZE : 0);
    const count = i - start;
    if (count > 0 && (count === limits.blockRecordsMax || grown > limits.blockBytesMax)) {
      cut(i);
      start = i;
      size = fixedBytes + recordBytes + BLOCK_INDEX_ENTRY_SIZE;
      chunkRecords = 1;
      chunkBytes = recordBytes;
      chunkCounts = [];
      chunksLength = recordBytes;
      revisionMin = record.revision;
      revisionMax = record.revision;
      continue;
    }
    if (newChunk && chunkRecords > 0) chunkCounts.push(chunkRecords);
    size = grown;
    chunkRecords = newChunk ? 1 : chunkRecords + 1;
    chunkBytes = newChunk ? recordBytes : chunkBytes + recordBytes;
    chunksLength += recordBytes;
    if (record.revision < revisionMin) revisionMin = record.revision;
    if (record.revision > revisionMax) revisionMax = record.revision;
  }
  if (start < records.length) cut(records.length);
  return blocks;
}

/**
 * The block's manifest entry. Its revision range is read back from the header the encoder wrote
 * (which computed it): another pass over the sorted records costs ~20 ms per 64 Ki here.
 */
function blockEntryOf(blockId: bigint, spaceId: number, records: readonly VersionRecord[], blockBytes: Uint8Array): ManifestBlock {
  const first = records[0];
  const last = records[records.length - 1];
  assert(first !== undefined && last !== undefined, "a block holds at least one record");
  const header = new DataView(blockBytes.buffer, blockBytes.byteOffset, BLOCK_HEADER_SIZE);
  const revisionMin = header.getBigUint64(H_REVISION_MIN, true);
  const revisionMax = header.getBigUint64(H_REVISION_MAX, true);
  assert(revisionMin >= 1n && revisionMin <= revisionMax, "the encoder wrote the block's revision range");
  return { blockId, spaceId, recordCount: records.length, keyMin: first.key, keyMax: last.key, revisionMin, revisionMax, fileSize: blockBytes.byteLength };
}

/**
 * Plans a seal of `input.records` (see the header comment): the blocks to write and the manifest
 * to install after them, or null when there are no records. Throws AssertionError on a caller bug.
 */
export function planSeal(core: Core, input: SealInput, limits: SealLimits = SEAL_LIMITS_DEFAULT): SealPlan | null {
  return runToEnd(planSealInSteps(core, input, limits));
}

/**
 * planSeal in steps: it yields every STEP_RECORDS records of its checks, its sort's packing and
 * read-back and its encoding, and around the core's sort and each block, so a caller on the writers' thread can let writes run between them (store-seal.ts: a
 * seal is never one long stall). The result is planSeal's.
 */
export function* planSealInSteps(core: Core, input: SealInput, limits: SealLimits = SEAL_LIMITS_DEFAULT): Generator<void, SealPlan | null, undefined> {
  const { spaceId, manifest, sealRevision } = input;
  const space = spaceById(manifest, spaceId);
  assert(space !== undefined, `space ${spaceId} is listed in the manifest`);
  yield* assertSealInput(input, space, limits);
  if (input.records.length === 0) return null;
  yield;
  const sorted = yield* sortSealRecordsInSteps(core, input.records);
  yield;
  const cuts = yield* planSealBlocksInSteps(sorted, limits);
  assert(cuts.length >= 1, "at least one record makes at least one block");
  assert(manifest.nextBlockId + BigInt(cuts.length) <= U64_MAX, "the block ids fit a u64");
  const blocks: SealBlock[] = [];
  for (const [i, { start, end, fileSize, layout }] of cuts.entries()) {
    yield;
    const blockId = manifest.nextBlockId + BigInt(i);
    const records = sorted.slice(start, end);
    // The sort's read-back checked the order (strictly increasing), and the cut walked the records.
    const blockBytes = yield* encodeBlockInSteps(core, { blockId, spaceId, records, layout });
    yield;
    assert(blockBytes.byteLength === fileSize, `block ${blockId}: the encoder wrote ${blockBytes.byteLength} bytes, the plan ${fileSize}`);
    blocks.push({ blockId, blockBytes, entry: blockEntryOf(blockId, spaceId, records, blockBytes) });
  }
  const durableRevision = input.durableRevision > manifest.durableRevision ? input.durableRevision : manifest.durableRevision;
  const next: Manifest = {
    generation: manifest.generation + 1n,
    nextSpaceId: manifest.nextSpaceId,
    nextBlockId: manifest.nextBlockId + BigInt(blocks.length),
    durableRevision,
    spaces: manifest.spaces.map((s) => (s.spaceId === spaceId ? { ...s, sealedRevision: sealRevision } : s)),
    // Every listed id is below the old nextBlockId, so appending keeps ids increasing.
    blocks: [...manifest.blocks, ...blocks.map((block) => block.entry)],
  };
  return { blocks, manifest: next, sealedThrough: sealRevision };
}
