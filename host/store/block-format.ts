// Sealed blocks (docs/FORMAT.md "Blocks"): the immutable, sorted form of a space's records. Pure
// encode/decode, no I/O; the numbers here are the document's numbers. This file holds the layout
// and opening a block; block-encode.ts writes one, block-chunk.ts decodes one chunk.
//
//   block := header chunk+ index trailer
//
//   header (64 B):
//   0       4     6     8         16        20         24       32       40       48       56         60         64
//   +-------+-----+-----+---------+---------+----------+--------+--------+--------+--------+----------+----------+
//   | magic | ver | 0   | blockId | spaceId | recordCt | keyMin | keyMax | revMin | revMax | indexOff | indexCt  |
//   | u32   | u16 | u16 | u64     | u32     | u32      | u64    | u64    | u64    | u64    | u32      | u32      |
//   +-------+-----+-----+---------+---------+----------+--------+--------+--------+--------+----------+----------+
//
//   record (20 B + value):  key u64 | revision u64 | valueInfo u32 | value bytes
//   index entry (32 B):     firstKey u64 | lastKey u64 | chunkLength u32 | chunkRecordCount u32 | chunkChecksum u64
//   trailer (16 B):         indexChecksum u64 | magic u32 | reserved u32
//
// Why chunks: a query streams a block with memory bounded by its index and one chunk, and each
// chunk read is verified on its own (XXH64 seeded with blockId + chunkIndex). The trailer's
// checksum covers header ++ index, seeded with the block id, so a block read from the wrong
// file does not verify.
import { assert } from "../assert.js";
import { type Core } from "../core/index.js";

export const BLOCK_MAGIC = 0x4b425053; // "SPBK" read as a little-endian u32
export const BLOCK_TRAILER_MAGIC = 0x45425053; // "SPBE" read as a little-endian u32
export const BLOCK_FORMAT_VERSION = 1;
export const BLOCK_HEADER_SIZE = 4 + 2 + 2 + 8 + 4 + 4 + 8 + 8 + 8 + 8 + 4 + 4;
export const BLOCK_TRAILER_SIZE = 8 + 4 + 4;
export const BLOCK_INDEX_ENTRY_SIZE = 8 + 8 + 4 + 4 + 8;
export const BLOCK_RECORD_HEADER_SIZE = 8 + 8 + 4;
/** valueInfo bit 31: the record is a tombstone (and its low 31 bits are 0). */
export const VALUE_INFO_TOMBSTONE = 0x80000000;
/** The largest value a record holds: 16 MiB - 1, so a length always fits valueInfo's low 24 bits. */
export const VALUE_SIZE_MAX = (1 << 24) - 1;
/** A chunk holds at most this many records. */
export const CHUNK_RECORDS_MAX = 64;
/** A chunk of two or more records is at most this long; a chunk of one record may be longer. */
export const CHUNK_BYTES_MAX = 64 * 1024;
/** The longest chunk: one record with the largest value. */
export const CHUNK_LENGTH_MAX = BLOCK_RECORD_HEADER_SIZE + VALUE_SIZE_MAX;
/** The smallest block: header, one record with an empty value, one index entry, trailer (132 bytes). */
export const BLOCK_SIZE_MIN = BLOCK_HEADER_SIZE + BLOCK_RECORD_HEADER_SIZE + BLOCK_INDEX_ENTRY_SIZE + BLOCK_TRAILER_SIZE;
/** File offsets are u32 (indexOffset): a block is under 4 GiB. */
export const BLOCK_SIZE_MAX = 0xffffffff;

/** Header field offsets (docs/FORMAT.md "Blocks", header table). */
export const H_MAGIC = 0, H_VERSION = 4, H_RESERVED = 6, H_BLOCK_ID = 8, H_SPACE_ID = 16, H_RECORD_COUNT = 20;
export const H_KEY_MIN = 24, H_KEY_MAX = 32, H_REVISION_MIN = 40, H_REVISION_MAX = 48, H_INDEX_OFFSET = 56, H_INDEX_COUNT = 60;
/** Index entry field offsets. */
export const E_FIRST_KEY = 0, E_LAST_KEY = 8, E_LENGTH = 16, E_RECORD_COUNT = 20, E_CHECKSUM = 24;

assert(BLOCK_HEADER_SIZE === 64, "the header is 64 bytes (docs/FORMAT.md)");
assert(H_INDEX_COUNT + 4 === BLOCK_HEADER_SIZE, "indexCount is the header's last field");
assert(BLOCK_INDEX_ENTRY_SIZE === 32 && E_CHECKSUM + 8 === BLOCK_INDEX_ENTRY_SIZE, "an index entry is 32 bytes, checksum last");
assert(BLOCK_TRAILER_SIZE === 16, "the trailer is 16 bytes");
assert(BLOCK_RECORD_HEADER_SIZE === 20, "a record's fixed part is 20 bytes");
// A value length must never reach the tombstone bit, or a long value would read as a tombstone.
assert(VALUE_SIZE_MAX < VALUE_INFO_TOMBSTONE, "value lengths stay below bit 31");
// A chunk that is allowed to hold two records must have room for two empty ones.
assert(CHUNK_BYTES_MAX >= 2 * BLOCK_RECORD_HEADER_SIZE, "a chunk fits two records");
// The chunk's record count is a u32 in the index entry, and a block's record count a u32 in the header.
assert(CHUNK_RECORDS_MAX >= 1 && CHUNK_RECORDS_MAX <= 0xffffffff, "chunk record counts fit a u32");

export interface BlockRecord {
  readonly key: bigint;
  /** >= 1. */
  readonly revision: bigint;
  /** null is a tombstone. */
  readonly value: Uint8Array | null;
}

export interface BlockHeader {
  readonly blockId: bigint;
  readonly spaceId: number;
  readonly recordCount: number;
  readonly keyMin: bigint;
  readonly keyMax: bigint;
  readonly revisionMin: bigint;
  readonly revisionMax: bigint;
  readonly indexOffset: number;
  readonly indexCount: number;
}

/** One chunk as the index describes it; `offset` is derived (chunks are contiguous from byte 64). */
export interface ChunkRef {
  readonly chunkIndex: number;
  readonly offset: number;
  readonly length: number;
  readonly recordCount: number;
  readonly firstKey: bigint;
  readonly lastKey: bigint;
  readonly checksum: bigint;
}

/** What a reader holds for an open block: its header and index, verified. */
export interface BlockIndex extends BlockHeader {
  readonly fileSize: number;
  readonly chunks: readonly ChunkRef[];
}

/**
 * Why bytes do not decode as a block (docs/FORMAT.md "Blocks", "Does not decode"). "size",
 * "trailer", "indexRange" and "checksum" are blocks that do not verify; "blockId" verifies, but
 * under another block's id (a file renamed or copied); every other reason verifies but breaks a
 * rule, so a writer wrote it whole: a newer format or a writer bug. All are corruption.
 */
export type BlockProblemReason =
  | "size" | "trailer" | "indexRange" | "checksum" | "blockId"
  | "magic" | "version" | "reserved" | "recordCount" | "keyRange" | "revisionRange" | "indexCount"
  | "chunkRecordCount" | "chunkLength" | "chunkKeys" | "indexOffset"
  | "chunkChecksum" | "recordLength" | "valueLength" | "tombstone" | "order" | "recordKey" | "revision" | "trailingBytes";

/** A rule broken, and the file offset of the field or record that breaks it. */
export interface BlockProblem {
  readonly reason: BlockProblemReason;
  readonly offset: number;
}

export function isBlockProblem(value: object): value is BlockProblem {
  return "reason" in value;
}

export const U64_MAX = (1n << 64n) - 1n;
const BLOCK_NAME = /^blk-([0-9a-f]{16})\.blk$/;

/** "blk-" + the block id as 16 lowercase hex digits + ".blk". */
export function blockFileName(blockId: bigint): string {
  assert(blockId >= 1n && blockId <= U64_MAX, "block ids are u64 values from 1");
  return `blk-${blockId.toString(16).padStart(16, "0")}.blk`;
}

/** The block id a file name stands for, or undefined if the name is not a block's. */
export function blockIdOfName(name: string): bigint | undefined {
  const match = BLOCK_NAME.exec(name);
  if (match?.[1] === undefined) return undefined;
  const id = BigInt("0x" + match[1]);
  return id === 0n ? undefined : id;
}

/** The seed of chunk i's checksum: blockId + i, wrapping at 2^64. */
export function chunkSeedOf(blockId: bigint, chunkIndex: number): bigint {
  return BigInt.asUintN(64, blockId + BigInt(chunkIndex));
}

/** XXH64(header ++ index, seed) as the trailer stores it. */
export function indexChecksumOf(core: Core, header: Uint8Array, index: Uint8Array, seed: bigint): bigint {
  const covered = new Uint8Array(header.byteLength + index.byteLength);
  covered.set(header, 0);
  covered.set(index, header.byteLength);
  return core.xxh64(covered, seed);
}

/** The bytes a reader reads to open a block: header, index and trailer. */
export interface BlockFrameBytes {
  readonly header: Uint8Array;
  readonly index: Uint8Array;
  readonly trailer: Uint8Array;
}

/** Cuts a whole block file (in memory) into its frame parts; the index range comes from the header. */
export function frameOf(bytes: Uint8Array): BlockFrameBytes {
  const header = bytes.subarray(0, BLOCK_HEADER_SIZE);
  const range = blockIndexRange(header, bytes.byteLength);
  const index = isBlockProblem(range) ? new Uint8Array(0) : bytes.subarray(range.offset, range.offset + range.length);
  return { header, index, trailer: bytes.subarray(bytes.byteLength - BLOCK_TRAILER_SIZE) };
}

/**
 * Where the index lies, from the (not yet verified) header and the file size: the reader reads
 * header (0..64) and trailer (fileSize - 16..fileSize) first, then this range. The range must end
 * exactly at the trailer, so a garbage header never makes a reader allocate past the file.
 */
export function blockIndexRange(header: Uint8Array, fileSize: number): { offset: number; length: number } | BlockProblem {
  assert(Number.isSafeInteger(fileSize) && fileSize >= 0, "a file size is a non-negative integer");
  if (fileSize < BLOCK_SIZE_MIN || fileSize > BLOCK_SIZE_MAX) return { reason: "size", offset: 0 };
  assert(header.byteLength === BLOCK_HEADER_SIZE, "the reader passes the 64 header bytes");
  const view = new DataView(header.buffer, header.byteOffset, BLOCK_HEADER_SIZE);
  const indexOffset = view.getUint32(H_INDEX_OFFSET, true);
  const indexCount = view.getUint32(H_INDEX_COUNT, true);
  const length = indexCount * BLOCK_INDEX_ENTRY_SIZE;
  if (indexOffset < BLOCK_HEADER_SIZE) return { reason: "indexRange", offset: H_INDEX_OFFSET };
  if (indexOffset + length + BLOCK_TRAILER_SIZE !== fileSize) return { reason: "indexRange", offset: H_INDEX_OFFSET };
  return { offset: indexOffset, length };
}

function readHeader(view: DataView): BlockHeader {
  return {
    blockId: view.getBigUint64(H_BLOCK_ID, true),
    spaceId: view.getUint32(H_SPACE_ID, true),
    recordCount: view.getUint32(H_RECORD_COUNT, true),
    keyMin: view.getBigUint64(H_KEY_MIN, true),
    keyMax: view.getBigUint64(H_KEY_MAX, true),
    revisionMin: view.getBigUint64(H_REVISION_MIN, true),
    revisionMax: view.getBigUint64(H_REVISION_MAX, true),
    indexOffset: view.getUint32(H_INDEX_OFFSET, true),
    indexCount: view.getUint32(H_INDEX_COUNT, true),
  };
}

/** The header's own rules, once it verifies. */
function headerProblemOf(view: DataView, header: BlockHeader): BlockProblem | undefined {
  if (view.getUint32(H_MAGIC, true) !== BLOCK_MAGIC) return { reason: "magic", offset: H_MAGIC };
  if (view.getUint16(H_VERSION, true) !== BLOCK_FORMAT_VERSION) return { reason: "version", offset: H_VERSION };
  if (view.getUint16(H_RESERVED, true) !== 0) return { reason: "reserved", offset: H_RESERVED };
  if (header.recordCount === 0) return { reason: "recordCount", offset: H_RECORD_COUNT };
  if (header.indexCount === 0) return { reason: "indexCount", offset: H_INDEX_COUNT };
  if (header.keyMin > header.keyMax) return { reason: "keyRange", offset: H_KEY_MAX };
  if (header.revisionMin === 0n) return { reason: "revisionRange", offset: H_REVISION_MIN };
  if (header.revisionMin > header.revisionMax) return { reason: "revisionRange", offset: H_REVISION_MAX };
  return undefined;
}

/** Reads the index entries and checks them against each other: chunk sizes, counts and key order. */
function readChunks(index: Uint8Array, indexOffset: number): ChunkRef[] | BlockProblem {
  const view = new DataView(index.buffer, index.byteOffset, index.byteLength);
  const chunks: ChunkRef[] = [];
  let offset = BLOCK_HEADER_SIZE;
  for (let chunkIndex = 0; chunkIndex * BLOCK_INDEX_ENTRY_SIZE < index.byteLength; chunkIndex++) {
    const at = chunkIndex * BLOCK_INDEX_ENTRY_SIZE;
    const entry = indexOffset + at;
    const firstKey = view.getBigUint64(at + E_FIRST_KEY, true);
    const lastKey = view.getBigUint64(at + E_LAST_KEY, true);
    const length = view.getUint32(at + E_LENGTH, true);
    const recordCount = view.getUint32(at + E_RECORD_COUNT, true);
    if (recordCount < 1 || recordCount > CHUNK_RECORDS_MAX) return { reason: "chunkRecordCount", offset: entry + E_RECORD_COUNT };
    const lengthMax = recordCount === 1 ? CHUNK_LENGTH_MAX : CHUNK_BYTES_MAX;
    if (length < recordCount * BLOCK_RECORD_HEADER_SIZE || length > lengthMax) return { reason: "chunkLength", offset: entry + E_LENGTH };
    if (firstKey > lastKey) return { reason: "chunkKeys", offset: entry + E_LAST_KEY };
    const previous = chunks[chunkIndex - 1];
    if (previous !== undefined && previous.lastKey > firstKey) return { reason: "chunkKeys", offset: entry + E_FIRST_KEY };
    const checksum = view.getBigUint64(at + E_CHECKSUM, true);
    chunks.push({ chunkIndex, offset, length, recordCount, firstKey, lastKey, checksum });
    offset += length;
  }
  return chunks;
}

/**
 * Opens a block: verifies the trailer's checksum of header ++ index (seeded with the block id the
 * manifest names), then checks the header against the index. Bytes from disk are values: nothing
 * throws for them; a wrongly sized argument is a reader bug (assert).
 */
export function decodeBlockFrame(core: Core, frame: BlockFrameBytes, fileSize: number, expectedBlockId: bigint): BlockIndex | BlockProblem {
  assert(expectedBlockId >= 1n && expectedBlockId <= U64_MAX, "block ids are u64 values from 1");
  const range = blockIndexRange(frame.header, fileSize);
  if (isBlockProblem(range)) return range;
  assert(frame.index.byteLength === range.length, "the reader passes the index range blockIndexRange named");
  assert(frame.trailer.byteLength === BLOCK_TRAILER_SIZE, "the reader passes the 16 trailer bytes");
  const trailerOffset = fileSize - BLOCK_TRAILER_SIZE;
  const trailer = new DataView(frame.trailer.buffer, frame.trailer.byteOffset, BLOCK_TRAILER_SIZE);
  if (trailer.getUint32(8, true) !== BLOCK_TRAILER_MAGIC) return { reason: "trailer", offset: trailerOffset + 8 };
  if (trailer.getUint32(12, true) !== 0) return { reason: "trailer", offset: trailerOffset + 12 };
  const view = new DataView(frame.header.buffer, frame.header.byteOffset, BLOCK_HEADER_SIZE);
  const header = readHeader(view);
  const stored = trailer.getBigUint64(0, true);
  if (indexChecksumOf(core, frame.header, frame.index, expectedBlockId) !== stored) {
    const renamed = header.blockId !== expectedBlockId && header.blockId !== 0n &&
      indexChecksumOf(core, frame.header, frame.index, header.blockId) === stored;
    return renamed ? { reason: "blockId", offset: H_BLOCK_ID } : { reason: "checksum", offset: trailerOffset };
  }
  const headerProblem = headerProblemOf(view, header);
  if (headerProblem !== undefined) return headerProblem;
  const chunks = readChunks(frame.index, header.indexOffset);
  if (isBlockProblem(chunks)) return chunks;
  const first = chunks[0];
  const last = chunks[chunks.length - 1];
  assert(first !== undefined && last !== undefined, "indexCount >= 1 was checked");
  const chunksEnd = last.offset + last.length;
  if (chunksEnd !== header.indexOffset) return { reason: "indexOffset", offset: H_INDEX_OFFSET };
  const recordCount = chunks.reduce((sum, chunk) => sum + chunk.recordCount, 0);
  if (recordCount !== header.recordCount) return { reason: "recordCount", offset: H_RECORD_COUNT };
  if (first.firstKey !== header.keyMin) return { reason: "keyRange", offset: H_KEY_MIN };
  if (last.lastKey !== header.keyMax) return { reason: "keyRange", offset: H_KEY_MAX };
  return { ...header, fileSize, chunks };
}

/**
 * The chunks that may hold keys in [keyFrom, keyTo] (inclusive), in order. Both firstKey and
 * lastKey are non-decreasing along the index, so the chunks with lastKey >= keyFrom are a suffix,
 * those with firstKey <= keyTo a prefix, and the answer is the run where they meet.
 */
export function chunksOverlapping(index: BlockIndex, keyFrom: bigint, keyTo: bigint): readonly ChunkRef[] {
  assert(keyFrom <= keyTo, "a key range is inclusive and not empty");
  const chunks = index.chunks;
  let low = 0;
  let high = chunks.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const chunk = chunks[middle];
    assert(chunk !== undefined, "middle lies in [low, high)");
    if (chunk.lastKey < keyFrom) low = middle + 1;
    else high = middle;
  }
  let end = low;
  while (end < chunks.length && (chunks[end]?.firstKey ?? keyTo + 1n) <= keyTo) end++;
  return chunks.slice(low, end);
}
