// Decoded, verified chunks of sealed blocks, shared by every block reader of one store: least
// recently used out first, bounded by the chunks' on-disk bytes (the store's `cacheBytes`).
//
// Why: a query reads each chunk its key ranges meet with one pread, verifies its XXH64 and
// decodes its records. Measured on the query bench (1 M sealed 2D points, 0.01 % boxes), the
// preads alone were ~20 % of a query and decoding another ~10 %; boxes that hit the same chunks
// again (a dashboard's refresh, a tile server's neighbours) paid both every time. A block never
// changes once written (its file is immutable and verified), so a chunk verified once stays good
// for as long as the block is open, and a reader's close drops its chunks.
//
// The budget counts on-disk bytes, not the heap: a decoded record is a small object with two
// bigints and a view of the chunk's bytes, a few times its 20 + value bytes on disk. The default
// (STORE_CACHE_BYTES_DEFAULT, store-options.ts) is chosen with that in mind.
import { assert } from "../assert.js";
import { type BlockRecord } from "./block-format.js";

/** A chunk index is below this: a block is at most 4 GiB and each chunk has a 32-byte index entry. */
const CHUNKS_PER_READER_MAX = 2 ** 28;
/** Reader ids (one per block opened while the store is open) stay below this, so a key is an exact number. */
const READERS_MAX = 2 ** 25;

interface CachedChunk {
  readonly records: BlockRecord[];
  readonly bytes: number;
}

export class ChunkCache {
  private readonly chunks = new Map<number, CachedChunk>();
  private readonly chunksPerReader = new Map<number, number>();
  private nextReaderId = 0;
  /** The on-disk bytes of the chunks held: at most budgetBytes, except while one chunk larger than the budget is held alone. */
  heldBytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly budgetBytes: number) {
    assert(Number.isSafeInteger(budgetBytes) && budgetBytes >= 0, "a chunk cache's budget is a non-negative integer");
  }

  /** A new id for a reader's chunks. */
  registerReader(): number {
    assert(this.nextReaderId < READERS_MAX, "reader ids stay exact in a key");
    return this.nextReaderId++;
  }

  /** The chunk's records if held (and it becomes the most recently used), else undefined. */
  get(readerId: number, chunkIndex: number): BlockRecord[] | undefined {
    const key = keyOf(readerId, chunkIndex);
    const cached = this.chunks.get(key);
    if (cached === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // A Map iterates in insertion order: re-inserting makes it the newest.
    this.chunks.delete(key);
    this.chunks.set(key, cached);
    return cached.records;
  }

  /** Holds a chunk just read and verified, then drops the least recently used past the budget. */
  put(readerId: number, chunkIndex: number, bytes: number, records: BlockRecord[]): void {
    assert(Number.isSafeInteger(bytes) && bytes > 0, "a chunk has bytes");
    const key = keyOf(readerId, chunkIndex);
    assert(!this.chunks.has(key), "a chunk is put once, after a miss");
    if (this.budgetBytes === 0) return;
    this.chunks.set(key, { records, bytes });
    this.heldBytes += bytes;
    this.chunksPerReader.set(readerId, (this.chunksPerReader.get(readerId) ?? 0) + 1);
    // The newest chunk stays even past the budget: the reader is about to use it.
    for (const [oldKey, old] of this.chunks) {
      if (this.heldBytes <= this.budgetBytes || oldKey === key) break;
      this.remove(oldKey, old);
    }
  }

  /** Drops every chunk of a reader (its block closed). */
  dropReader(readerId: number): void {
    if ((this.chunksPerReader.get(readerId) ?? 0) === 0) return;
    for (const [key, cached] of this.chunks) {
      if (Math.floor(key / CHUNKS_PER_READER_MAX) === readerId) this.remove(key, cached);
    }
    assert(!this.chunksPerReader.has(readerId), "a dropped reader holds no chunk");
  }

  private remove(key: number, cached: CachedChunk): void {
    this.chunks.delete(key);
    this.heldBytes -= cached.bytes;
    const readerId = Math.floor(key / CHUNKS_PER_READER_MAX);
    const left = (this.chunksPerReader.get(readerId) ?? 0) - 1;
    assert(left >= 0, "a reader's chunk count never goes below 0");
    if (left === 0) this.chunksPerReader.delete(readerId);
    else this.chunksPerReader.set(readerId, left);
  }
}

function keyOf(readerId: number, chunkIndex: number): number {
  assert(Number.isInteger(chunkIndex) && chunkIndex >= 0 && chunkIndex < CHUNKS_PER_READER_MAX, "a chunk index fits a cache key");
  return readerId * CHUNKS_PER_READER_MAX + chunkIndex;
}
