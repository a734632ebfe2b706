// Decoding one chunk of a sealed block (docs/FORMAT.md "Blocks"). A query holds a block's index
// and one chunk at a time, so each chunk is verified on its own: its XXH64, seeded with
// blockId + chunkIndex, is in the index, which the trailer's checksum already covers.
//
// Decoding is strict: exactly the record count the index names, filling exactly the chunk's
// length; sorted by (key, revision), strictly; the first and last keys equal the index entry's;
// every revision within the header's range; a tombstone's length bits 0. Order across chunks is
// the caller's to check if it needs it (the index already orders their key ranges).
import { assert } from "../assert.js";
import { type Core } from "../core/index.js";
import {
  BLOCK_RECORD_HEADER_SIZE, type BlockIndex, type BlockProblem, type BlockRecord, type ChunkRef,
  VALUE_INFO_TOMBSTONE, VALUE_SIZE_MAX, chunkSeedOf,
} from "./block-format.js";

/** valueInfo's low 31 bits: a value's length, or 0 for a tombstone. */
const VALUE_INFO_LENGTH_MASK = 0x7fffffff;
assert(VALUE_INFO_LENGTH_MASK + 1 === VALUE_INFO_TOMBSTONE, "the length bits are the bits below the tombstone bit");

interface DecodedRecord {
  readonly record: BlockRecord;
  readonly end: number;
}

/** One record at `at` within the chunk, or why it does not decode (offsets are file offsets). */
function decodeRecord(view: DataView, bytes: Uint8Array, at: number, fileOffset: number): DecodedRecord | BlockProblem {
  if (at + BLOCK_RECORD_HEADER_SIZE > bytes.byteLength) return { reason: "recordLength", offset: fileOffset + at };
  const key = view.getBigUint64(at, true);
  const revision = view.getBigUint64(at + 8, true);
  const valueInfo = view.getUint32(at + 16, true);
  const valueAt = at + BLOCK_RECORD_HEADER_SIZE;
  if ((valueInfo & VALUE_INFO_TOMBSTONE) !== 0) {
    if ((valueInfo & VALUE_INFO_LENGTH_MASK) !== 0) return { reason: "tombstone", offset: fileOffset + at + 16 };
    return { record: { key, revision, value: null }, end: valueAt };
  }
  if (valueInfo > VALUE_SIZE_MAX) return { reason: "valueLength", offset: fileOffset + at + 16 };
  if (valueAt + valueInfo > bytes.byteLength) return { reason: "recordLength", offset: fileOffset + at + 16 };
  // A view of the chunk's bytes, not a copy: the reader reads each chunk into a buffer of its own
  // and never writes it again, and the store copies a value before it hands it to a caller.
  return { record: { key, revision, value: bytes.subarray(valueAt, valueAt + valueInfo) }, end: valueAt + valueInfo };
}

/** The rules between a record, the one before it, and the chunk's entry and block's header. */
function recordProblemOf(index: BlockIndex, chunk: ChunkRef, record: BlockRecord, previous: BlockRecord | undefined, fileOffset: number): BlockProblem | undefined {
  if (previous === undefined && record.key !== chunk.firstKey) return { reason: "recordKey", offset: fileOffset };
  if (record.key > chunk.lastKey) return { reason: "recordKey", offset: fileOffset };
  if (previous !== undefined) {
    const ascending = previous.key < record.key || (previous.key === record.key && previous.revision < record.revision);
    if (!ascending) return { reason: "order", offset: fileOffset };
  }
  if (record.revision < index.revisionMin || record.revision > index.revisionMax) return { reason: "revision", offset: fileOffset + 8 };
  return undefined;
}

/**
 * Verifies and decodes the chunk `chunk` of the open block `index` from its bytes (exactly
 * chunk.length of them, read at chunk.offset). Bytes from disk are values: nothing throws for them.
 */
export function decodeChunk(core: Core, index: BlockIndex, chunk: ChunkRef, bytes: Uint8Array): BlockRecord[] | BlockProblem {
  assert(index.chunks[chunk.chunkIndex] === chunk, "the chunk is one of this block's");
  assert(bytes.byteLength === chunk.length, "the reader passes exactly the chunk's bytes");
  if (core.xxh64(bytes, chunkSeedOf(index.blockId, chunk.chunkIndex)) !== chunk.checksum) {
    return { reason: "chunkChecksum", offset: chunk.offset };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: BlockRecord[] = [];
  let at = 0;
  let previous: BlockRecord | undefined;
  let previousAt = 0;
  // Bounded by the index's record count (at most CHUNK_RECORDS_MAX), and each record by the chunk's bytes.
  for (let i = 0; i < chunk.recordCount; i++) {
    const decoded = decodeRecord(view, bytes, at, chunk.offset);
    if ("reason" in decoded) return decoded;
    const problem = recordProblemOf(index, chunk, decoded.record, previous, chunk.offset + at);
    if (problem !== undefined) return problem;
    records.push(decoded.record);
    previous = decoded.record;
    previousAt = at;
    at = decoded.end;
  }
  if (at !== bytes.byteLength) return { reason: "trailingBytes", offset: chunk.offset + at };
  if (previous === undefined || previous.key !== chunk.lastKey) return { reason: "recordKey", offset: chunk.offset + previousAt };
  return records;
}
