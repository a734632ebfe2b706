// Writing a sealed block (docs/FORMAT.md "Blocks"): records sorted by the seal, grouped into
// chunks, each chunk checksummed in the index, the index checksummed in the trailer. The layout
// and its constants are block-format.ts's.
import { assert, constants } from "../assert.js";
import { type Core } from "../core/index.js";
import {
  BLOCK_FORMAT_VERSION, BLOCK_HEADER_SIZE, BLOCK_INDEX_ENTRY_SIZE, BLOCK_MAGIC, BLOCK_RECORD_HEADER_SIZE, BLOCK_SIZE_MAX,
  BLOCK_TRAILER_MAGIC, BLOCK_TRAILER_SIZE, type BlockHeader, type BlockRecord, CHUNK_BYTES_MAX, CHUNK_RECORDS_MAX,
  E_CHECKSUM, E_FIRST_KEY, E_LAST_KEY, E_LENGTH, E_RECORD_COUNT, H_BLOCK_ID, H_INDEX_COUNT, H_INDEX_OFFSET, H_KEY_MAX,
  H_KEY_MIN, H_MAGIC, H_RECORD_COUNT, H_RESERVED, H_REVISION_MAX, H_REVISION_MIN, H_SPACE_ID, H_VERSION, U64_MAX,
  VALUE_INFO_TOMBSTONE, VALUE_SIZE_MAX, chunkSeedOf, decodeBlockFrame, frameOf, indexChecksumOf, isBlockProblem,
} from "./block-format.js";
import { STEP_RECORDS, type Steps, runToEnd } from "./steps.js";

function recordSizeOf(record: BlockRecord): number {
  return BLOCK_RECORD_HEADER_SIZE + (record.value === null ? 0 : record.value.byteLength);
}

/** The writer's preconditions on records: a failure is a bug in the seal, never bad input. In steps of STEP_RECORDS. */
function* assertRecordsSorted(records: readonly BlockRecord[]): Steps<void> {
  assert(records.length >= 1, "a block holds at least one record");
  assert(records.length <= 0xffffffff, "recordCount is a u32");
  let previous: BlockRecord | undefined;
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && i % STEP_RECORDS === 0) yield;
    const record = records[i] as BlockRecord;
    assert(record.key >= 0n && record.key <= U64_MAX, "a key is a u64");
    assert(record.revision >= 1n && record.revision <= U64_MAX, "a revision is a u64 from 1");
    assert(record.value === null || record.value.byteLength <= VALUE_SIZE_MAX, "a value is at most VALUE_SIZE_MAX bytes");
    if (previous !== undefined) {
      const ascending = previous.key < record.key || (previous.key === record.key && previous.revision < record.revision);
      assert(ascending, "records are sorted by (key, revision), strictly");
    }
    previous = record;
  }
}

/**
 * Groups records into chunks, in order: a record starts a new chunk when the current one holds
 * CHUNK_RECORDS_MAX records, or is not empty and would pass CHUNK_BYTES_MAX with it. So a chunk
 * of two or more records is at most 64 KiB, and a record larger than that is a chunk alone.
 * Returns the record count of each chunk.
 */
export function planChunks(records: readonly BlockRecord[]): number[] {
  return runToEnd(planChunksInSteps(records));
}

function* planChunksInSteps(records: readonly BlockRecord[]): Steps<number[]> {
  const counts: number[] = [];
  let count = 0;
  let length = 0;
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && i % STEP_RECORDS === 0) yield;
    const record = records[i] as BlockRecord;
    const size = recordSizeOf(record);
    if (count === CHUNK_RECORDS_MAX || (count > 0 && length + size > CHUNK_BYTES_MAX)) {
      counts.push(count);
      count = 0;
      length = 0;
    }
    count += 1;
    length += size;
  }
  if (count > 0) counts.push(count);
  return counts;
}

function writeRecord(bytes: Uint8Array, view: DataView, offset: number, record: BlockRecord): number {
  view.setBigUint64(offset, record.key, true);
  view.setBigUint64(offset + 8, record.revision, true);
  if (record.value === null) {
    view.setUint32(offset + 16, VALUE_INFO_TOMBSTONE, true);
    return offset + BLOCK_RECORD_HEADER_SIZE;
  }
  view.setUint32(offset + 16, record.value.byteLength, true);
  bytes.set(record.value, offset + BLOCK_RECORD_HEADER_SIZE);
  return offset + BLOCK_RECORD_HEADER_SIZE + record.value.byteLength;
}

function writeHeader(view: DataView, header: BlockHeader): void {
  view.setUint32(H_MAGIC, BLOCK_MAGIC, true);
  view.setUint16(H_VERSION, BLOCK_FORMAT_VERSION, true);
  view.setUint16(H_RESERVED, 0, true);
  view.setBigUint64(H_BLOCK_ID, header.blockId, true);
  view.setUint32(H_SPACE_ID, header.spaceId, true);
  view.setUint32(H_RECORD_COUNT, header.recordCount, true);
  view.setBigUint64(H_KEY_MIN, header.keyMin, true);
  view.setBigUint64(H_KEY_MAX, header.keyMax, true);
  view.setBigUint64(H_REVISION_MIN, header.revisionMin, true);
  view.setBigUint64(H_REVISION_MAX, header.revisionMax, true);
  view.setUint32(H_INDEX_OFFSET, header.indexOffset, true);
  view.setUint32(H_INDEX_COUNT, header.indexCount, true);
}

export interface BlockContents {
  readonly blockId: bigint;
  readonly spaceId: number;
  /** Sorted by (key, revision), strictly; at least one. */
  readonly records: readonly BlockRecord[];
  /**
   * The block's layout, from a caller that already walked the records in this order and checked
   * it (the seal's block cutting): the encoder then skips its own three passes over them. Sorted
   * records are scattered in memory, so each pass cost ~10 % of a seal here.
   */
  readonly layout?: BlockLayout;
}

export interface BlockLayout {
  /** Records per chunk, as planChunks gives them. */
  readonly chunkCounts: readonly number[];
  /** The chunks' bytes: the sum of every record's size. */
  readonly chunksLength: number;
  readonly revisionMin: bigint;
  readonly revisionMax: bigint;
}

/** The layout of sorted records, after checking their order: three passes, in steps. */
function* layoutOf(records: readonly BlockRecord[]): Steps<BlockLayout> {
  yield* assertRecordsSorted(records);
  yield;
  const chunkCounts = yield* planChunksInSteps(records);
  yield;
  let chunksLength = 0;
  let revisionMin = U64_MAX;
  let revisionMax = 0n;
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && i % STEP_RECORDS === 0) yield;
    const record = records[i] as BlockRecord;
    chunksLength += recordSizeOf(record);
    if (record.revision < revisionMin) revisionMin = record.revision;
    if (record.revision > revisionMax) revisionMax = record.revision;
  }
  return { chunkCounts, chunksLength, revisionMin, revisionMax };
}

/** Encodes a whole block file. Unsorted records, revision 0 or an oversized value are writer bugs (asserts). */
export function encodeBlock(core: Core, contents: BlockContents): Uint8Array {
  return runToEnd(encodeBlockInSteps(core, contents));
}

/** encodeBlock in steps of about STEP_RECORDS records (steps.ts): the same bytes. */
export function* encodeBlockInSteps(core: Core, contents: BlockContents): Steps<Uint8Array> {
  const { blockId, spaceId, records } = contents;
  assert(blockId >= 1n && blockId <= U64_MAX, "block ids are u64 values from 1");
  assert(Number.isInteger(spaceId) && spaceId >= 0 && spaceId <= 0xffffffff, "a space id is a u32");
  const given = contents.layout;
  const layout = given !== undefined && !constants.verify ? given : yield* layoutOf(records);
  if (given !== undefined && constants.verify) {
    assert(JSON.stringify(given.chunkCounts) === JSON.stringify(layout.chunkCounts) && given.chunksLength === layout.chunksLength
      && given.revisionMin === layout.revisionMin && given.revisionMax === layout.revisionMax, "the caller's layout is the records' own");
  }
  const { chunkCounts: counts, chunksLength, revisionMin, revisionMax } = layout;
  assert(counts.reduce((sum, count) => sum + count, 0) === records.length, "the layout's chunks hold every record");
  const indexOffset = BLOCK_HEADER_SIZE + chunksLength;
  const fileSize = indexOffset + counts.length * BLOCK_INDEX_ENTRY_SIZE + BLOCK_TRAILER_SIZE;
  assert(fileSize <= BLOCK_SIZE_MAX, "a block is under 4 GiB (u32 offsets): the seal splits larger ones");
  const bytes = new Uint8Array(fileSize);
  const view = new DataView(bytes.buffer);
  const first = records[0];
  const last = records[records.length - 1];
  assert(first !== undefined && last !== undefined, "at least one record");
  writeHeader(view, {
    blockId, spaceId, recordCount: records.length, keyMin: first.key, keyMax: last.key,
    revisionMin, revisionMax, indexOffset, indexCount: counts.length,
  });
  yield;
  let offset = BLOCK_HEADER_SIZE;
  let recordIndex = 0;
  let sinceYield = 0;
  for (let chunkIndex = 0; chunkIndex < counts.length; chunkIndex++) {
    const count = counts[chunkIndex] as number;
    if (sinceYield >= STEP_RECORDS) {
      sinceYield = 0;
      yield;
    }
    sinceYield += count;
    const chunkStart = offset;
    const chunkFirst = records[recordIndex];
    const chunkLast = records[recordIndex + count - 1];
    for (let i = recordIndex; i < recordIndex + count; i++) {
      const record = records[i] as BlockRecord;
      offset = writeRecord(bytes, view, offset, record);
    }
    recordIndex += count;
    const entry = indexOffset + chunkIndex * BLOCK_INDEX_ENTRY_SIZE;
    view.setBigUint64(entry + E_FIRST_KEY, chunkFirst?.key ?? 0n, true);
    view.setBigUint64(entry + E_LAST_KEY, chunkLast?.key ?? 0n, true);
    view.setUint32(entry + E_LENGTH, offset - chunkStart, true);
    view.setUint32(entry + E_RECORD_COUNT, count, true);
    const checksum = core.xxh64(bytes.subarray(chunkStart, offset), chunkSeedOf(blockId, chunkIndex));
    view.setBigUint64(entry + E_CHECKSUM, checksum, true);
  }
  assert(offset === indexOffset, "the chunks end where the index starts");
  const trailer = fileSize - BLOCK_TRAILER_SIZE;
  const checksum = indexChecksumOf(core, bytes.subarray(0, BLOCK_HEADER_SIZE), bytes.subarray(indexOffset, trailer), blockId);
  view.setBigUint64(trailer, checksum, true);
  view.setUint32(trailer + 8, BLOCK_TRAILER_MAGIC, true);
  view.setUint32(trailer + 12, 0, true);
  if (constants.verify) {
    const decoded = decodeBlockFrame(core, frameOf(bytes), fileSize, blockId);
    assert(!isBlockProblem(decoded), "an encoded block decodes");
  }
  return bytes;
}
