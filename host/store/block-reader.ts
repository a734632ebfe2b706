// Reading a sealed block through StorageIo (docs/store-design.md "Reads", "Recovery" step 1).
//
// openBlock reads exactly three ranges of the file: the header (bytes 0..64), the trailer (the
// last 16 bytes) and the index between the chunks and the trailer, which the header locates. It
// verifies them with decodeBlockFrame, checks the header against the manifest's entry, and keeps
// only the index. records() then reads one chunk per readAt, verifies it with decodeChunk,
// yields its records in range and drops it: memory is the index plus one chunk, whatever the
// range. A block of 1,000,000 records in 64-record chunks has 15,625 index entries (500 KB); a
// narrow range reads one or two chunks of at most 64 KiB.
//
// Every bad byte is a CorruptionError { file, offset, reason }, never fewer records in silence:
// the manifest lists this block, so nothing about it can be a torn tail. An I/O failure stays the
// backend's IoError. A chunk is verified whole before any of its records is yielded, so a
// consumer sees only records of chunks that verified, then the error.
//
// Where a header or index byte is damaged, the offset is the trailer's checksum field: one XXH64
// covers header ++ index, so it says that the frame is bad, not which byte. A damaged field the
// header's range check meets first (indexOffset, indexCount) is named at that field.
import { assert } from "../assert.js";
import { type Core } from "../core/index.js";
import { ClosedError, CorruptionError, IoError } from "../errors.js";
import { type IoFile, type StorageIo } from "../io/storage-io.js";
import { decodeChunk } from "./block-chunk.js";
import { BlockFilePool } from "./block-file-pool.js";
import { ChunkCache } from "./chunk-cache.js";
import {
  BLOCK_HEADER_SIZE, BLOCK_SIZE_MAX, BLOCK_SIZE_MIN, BLOCK_TRAILER_SIZE, type BlockIndex, type BlockProblem, type BlockRecord,
  type ChunkRef, H_BLOCK_ID, H_KEY_MAX, H_KEY_MIN, H_RECORD_COUNT, H_REVISION_MAX, H_REVISION_MIN, H_SPACE_ID, U64_MAX,
  blockFileName, blockIndexRange, chunksOverlapping, decodeBlockFrame, isBlockProblem,
} from "./block-format.js";
import { type ManifestBlock } from "./manifest-format.js";

/**
 * Why a block does not read, beyond the codec's reasons: "missing" (the manifest lists a file
 * that is not there), "fileSize" (its size is not the manifest's), "manifest" (the header
 * verifies but disagrees with the manifest's entry), "shortRead" (the file shrank while open),
 * "chunkOrder" ((key, revision) does not increase from one chunk to the next).
 */
export type BlockReadReason = BlockProblem["reason"] | "missing" | "fileSize" | "manifest" | "shortRead" | "chunkOrder";

/** What the manifest says about a block: its entry, less the id (which names the file). */
export type BlockExpectation = Omit<ManifestBlock, "blockId">;

function corruption(path: string, offset: number, reason: BlockReadReason, detail: string): CorruptionError {
  return new CorruptionError(`corrupt block: ${path} at offset ${offset}: ${reason} (${detail})`, path, offset, reason);
}

function problemError(path: string, problem: BlockProblem, what: string): CorruptionError {
  return corruption(path, problem.offset, problem.reason, what);
}

/**
 * Reads exactly buffer.byteLength bytes at position. readAt may return fewer; the loop ends when
 * the buffer is full or a read returns 0, so it runs at most buffer.byteLength + 1 times.
 */
function readExactly(io: StorageIo, file: IoFile, path: string, buffer: Uint8Array, position: number): void {
  let filled = 0;
  while (filled < buffer.byteLength) {
    const count = io.readAt(file, buffer.subarray(filled), position + filled);
    assert(Number.isSafeInteger(count) && count >= 0 && count <= buffer.byteLength - filled, "readAt returns a count within the buffer");
    if (count === 0) throw corruption(path, position + filled, "shortRead", `the file ended ${buffer.byteLength - filled} bytes early`);
    filled += count;
  }
}

/** The header fields the manifest repeats, each with its header offset. */
function manifestMismatchOf(index: BlockIndex, expected: BlockExpectation): { field: string; offset: number } | undefined {
  const fields: readonly [string, number, boolean][] = [
    ["spaceId", H_SPACE_ID, index.spaceId === expected.spaceId],
    ["recordCount", H_RECORD_COUNT, index.recordCount === expected.recordCount],
    ["keyMin", H_KEY_MIN, index.keyMin === expected.keyMin],
    ["keyMax", H_KEY_MAX, index.keyMax === expected.keyMax],
    ["revisionMin", H_REVISION_MIN, index.revisionMin === expected.revisionMin],
    ["revisionMax", H_REVISION_MAX, index.revisionMax === expected.revisionMax],
  ];
  for (const [field, offset, equal] of fields) if (!equal) return { field, offset };
  return undefined;
}

/** Reads header, trailer and index of the open file and verifies them; throws CorruptionError. */
function readBlockIndex(core: Core, io: StorageIo, file: IoFile, path: string, blockId: bigint, expected: BlockExpectation): BlockIndex {
  const fileSize = io.fileSize(file);
  if (fileSize !== expected.fileSize) {
    throw corruption(path, Math.min(fileSize, expected.fileSize), "fileSize", `the file has ${fileSize} bytes, the manifest says ${expected.fileSize}`);
  }
  if (fileSize < BLOCK_SIZE_MIN || fileSize > BLOCK_SIZE_MAX) throw corruption(path, 0, "size", `${fileSize} bytes is no block's size`);
  const header = new Uint8Array(BLOCK_HEADER_SIZE);
  const trailer = new Uint8Array(BLOCK_TRAILER_SIZE);
  readExactly(io, file, path, header, 0);
  readExactly(io, file, path, trailer, fileSize - BLOCK_TRAILER_SIZE);
  // The range comes from a header not yet verified, but blockIndexRange bounds it by the file
  // size, so garbage there never makes the reader allocate or read past the file.
  const range = blockIndexRange(header, fileSize);
  if (isBlockProblem(range)) throw problemError(path, range, "the header's index range does not fit the file");
  const indexBytes = new Uint8Array(range.length);
  readExactly(io, file, path, indexBytes, range.offset);
  const index = decodeBlockFrame(core, { header, index: indexBytes, trailer }, fileSize, blockId);
  if (isBlockProblem(index)) throw problemError(path, index, "the header, index or trailer does not verify");
  // The checksum is seeded with the expected id, so a header naming another id cannot verify
  // unless the writer wrote it so: a writer bug, and corruption all the same.
  if (index.blockId !== blockId) throw corruption(path, H_BLOCK_ID, "blockId", `the header names block ${index.blockId}`);
  const mismatch = manifestMismatchOf(index, expected);
  if (mismatch !== undefined) throw corruption(path, mismatch.offset, "manifest", `the header's ${mismatch.field} is not the manifest's`);
  return index;
}

/**
 * Opens block `blockId` of directory `dir`, as the manifest entry `expected` describes it. Every
 * way the file fails to be that block is a CorruptionError naming the file; no reader is made.
 */
export function openBlock(core: Core, io: StorageIo, dir: string, blockId: bigint, expected: BlockExpectation,
  shared: BlockReaderShared = { cache: new ChunkCache(READER_CACHE_BYTES_DEFAULT), files: new BlockFilePool(io, 1) }): BlockReader {
  assert(blockId >= 1n && blockId <= U64_MAX, "block ids are u64 values from 1");
  assert(Number.isSafeInteger(expected.fileSize) && expected.fileSize >= 0, "a manifest's file size is a non-negative integer");
  const path = `${dir}/${blockFileName(blockId)}`;
  let file: IoFile;
  try {
    file = io.openFile(path, { create: false });
  } catch (error) {
    // The manifest lists the block, so its absence is damage to the store, not a user's mistake.
    if (error instanceof IoError && error.errno === "ENOENT") throw corruption(path, 0, "missing", "the manifest lists it");
    throw error;
  }
  let opened = false;
  try {
    const index = readBlockIndex(core, io, file, path, blockId, expected);
    opened = true;
    return new BlockReader(core, io, file, path, index, shared);
  } finally {
    if (!opened) io.closeFile(file);
  }
}

/** What a store's block readers share: the decoded chunks (chunk-cache.ts) and the open files (block-file-pool.ts). */
export interface BlockReaderShared {
  readonly cache: ChunkCache;
  readonly files: BlockFilePool;
}

/** The cache of a reader opened without the store's (tests, tools): four chunks of the largest size. */
export const READER_CACHE_BYTES_DEFAULT = 4 * 64 * 1024;

/** Decoded chunks a reader keeps for a scan that does not fill the shared cache (at most 4 x 64 KiB). */
export const RECENT_CHUNKS_MAX = 4;

/** An open, verified block: its index in memory, its chunks read on demand. */
export class BlockReader {
  private closed = false;
  /**
   * This reader's id in the cache of chunks read, verified and decoded (chunk-cache.ts). A query's
   * key ranges are many and close together (a box is up to QUERY_RANGES_MAX ranges), so
   * neighbouring ranges land in one chunk again and again; a block never changes, so a chunk
   * verified once stays good.
   */
  private readonly cacheId: number;
  private readonly cache: ChunkCache;
  private readonly files: BlockFilePool;
  /** This reader's id in the file pool: its file may be closed between reads and opened again. */
  private readonly fileId: number;
  /** The last chunks a scan that does not fill the cache read, newest last: its neighbouring ranges still share them. */
  private readonly recent: Array<{ readonly chunkIndex: number; readonly records: BlockRecord[] }> = [];

  /** Made by openBlock, which has verified `index`. */
  constructor(private readonly core: Core, private readonly io: StorageIo, file: IoFile,
    readonly path: string, readonly index: BlockIndex, shared: BlockReaderShared) {
    this.cache = shared.cache;
    this.files = shared.files;
    this.cacheId = shared.cache.registerReader();
    this.fileId = shared.files.adopt(file);
  }

  /**
   * The block's records with key in [keyFrom, keyTo] (inclusive), in (key, revision) order. Each
   * overlapping chunk is read with one readAt, verified whole, filtered, then dropped. A bad
   * chunk throws from next() after the records of the chunks before it.
   */
  async *records(keyFrom: bigint, keyTo: bigint): AsyncGenerator<BlockRecord, void, undefined> {
    yield* this.recordsSync(keyFrom, keyTo);
  }

  /**
   * records() without the async iterator: the reads are the cold path's synchronous readAt, so a
   * query's inner loop needs no promise per record (store.ts query).
   */
  *recordsSync(keyFrom: bigint, keyTo: bigint, fillCache = true): Generator<BlockRecord, void, undefined> {
    assert(keyFrom >= 0n && keyTo <= U64_MAX, "keys are u64 values");
    assert(keyFrom <= keyTo, "a key range is inclusive and not empty");
    if (this.closed) throw new ClosedError(`the block reader of ${this.path} is closed`);
    let previous: BlockRecord | undefined;
    for (const chunk of chunksOverlapping(this.index, keyFrom, keyTo)) {
      const records = this.chunkRecords(chunk, previous, fillCache);
      previous = records[records.length - 1];
      // Records are sorted by key: start at the first in range, stop past keyTo.
      let low = 0;
      let high = records.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if ((records[mid] as BlockRecord).key < keyFrom) low = mid + 1;
        else high = mid;
      }
      for (let at = low; at < records.length; at++) {
        const record = records[at] as BlockRecord;
        if (record.key > keyTo) break;
        yield record;
      }
    }
  }

  /** Closes the file. A second close does nothing; records() after close throws ClosedError. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.recent.length = 0;
    this.cache.dropReader(this.cacheId);
    this.files.remove(this.fileId);
  }

  /**
   * Reads and verifies one chunk. `previous` is the last record of the chunk before it in this
   * run, if read: one key's revisions may span two chunks, and decodeChunk checks order only
   * within a chunk, so the step across the boundary is checked here.
   */
  private chunkRecords(chunk: ChunkRef, previous: BlockRecord | undefined, fillCache: boolean): BlockRecord[] {
    if (this.closed) throw new ClosedError(`the block reader of ${this.path} is closed`);
    let records = this.cache.get(this.cacheId, chunk.chunkIndex) ?? this.recent.find((c) => c.chunkIndex === chunk.chunkIndex)?.records;
    if (records === undefined) {
      records = this.readChunk(chunk);
      if (fillCache) {
        this.cache.put(this.cacheId, chunk.chunkIndex, chunk.length, records);
      } else {
        this.recent.push({ chunkIndex: chunk.chunkIndex, records });
        if (this.recent.length > RECENT_CHUNKS_MAX) this.recent.shift();
      }
    }
    const first = records[0];
    assert(first !== undefined, "a verified chunk holds at least one record");
    if (previous !== undefined) {
      const ascending = previous.key < first.key || (previous.key === first.key && previous.revision < first.revision);
      if (!ascending) throw corruption(this.path, chunk.offset, "chunkOrder", `chunk ${chunk.chunkIndex} does not follow the chunk before it in (key, revision) order`);
    }
    return records;
  }

  private readChunk(chunk: ChunkRef): BlockRecord[] {
    const bytes = new Uint8Array(chunk.length);
    const file = this.files.fileOf(this.fileId, this.path, () => corruption(this.path, 0, "missing", "the manifest lists it"));
    readExactly(this.io, file, this.path, bytes, chunk.offset);
    const records = decodeChunk(this.core, this.index, chunk, bytes);
    if (isBlockProblem(records)) throw problemError(this.path, records, `chunk ${chunk.chunkIndex} at offset ${chunk.offset} does not verify`);
    return records;
  }
}
