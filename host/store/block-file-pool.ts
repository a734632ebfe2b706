// The open files of a store's sealed blocks, at most `openMax` at once, least recently read
// closed first and opened again on the next read. Without it every block kept its file open
// from open() to close(), and the cold I/O's 4096 file slots ended a store at ~4000 blocks (a
// seal of 1 M records makes 16) with a CapacityError at its next seal: under a steady 100 k
// writes/s at the default thresholds, within the hour.
//
// A reopened file is the same block: blocks are never rewritten, and every chunk read from it
// is verified against the index (checksums seeded with the block id), so a file swapped
// underneath is a CorruptionError, never wrong data.
import { assert } from "../assert.js";
import { IoError } from "../errors.js";
import { type IoFile, type StorageIo } from "../io/storage-io.js";

/** The default bound: far below the cold I/O's 4096 slots and a process's usual descriptor limit. */
export const BLOCK_FILES_OPEN_DEFAULT = 256;

export class BlockFilePool {
  /** Open files by member id, least recently used first (a Map iterates in insertion order). */
  private readonly open = new Map<number, IoFile>();
  private nextId = 0;
  opens = 0;
  closes = 0;

  constructor(private readonly io: StorageIo, readonly openMax: number) {
    assert(Number.isSafeInteger(openMax) && openMax >= 1, "a block file pool keeps at least one file open");
  }

  get openCount(): number {
    return this.open.size;
  }

  /** Adds a file its owner just opened (openBlock); returns the id its reads use. */
  adopt(file: IoFile): number {
    const id = this.nextId++;
    this.open.set(id, file);
    this.opens++;
    this.closeOverflow(id);
    return id;
  }

  /**
   * The member's file, opened again at `path` if the pool closed it. A missing file is the
   * owner's to name (`onMissing`): the manifest lists the block.
   */
  fileOf(id: number, path: string, onMissing: () => Error): IoFile {
    const file = this.open.get(id);
    if (file !== undefined) {
      this.open.delete(id);
      this.open.set(id, file);
      return file;
    }
    let reopened: IoFile;
    try {
      reopened = this.io.openFile(path, { create: false });
    } catch (error) {
      if (error instanceof IoError && error.errno === "ENOENT") throw onMissing();
      throw error;
    }
    this.open.set(id, reopened);
    this.opens++;
    this.closeOverflow(id);
    return reopened;
  }

  /** Closes the member's file if open; it is not opened again. */
  remove(id: number): void {
    const file = this.open.get(id);
    if (file === undefined) return;
    this.open.delete(id);
    this.closes++;
    this.io.closeFile(file);
  }

  private closeOverflow(keep: number): void {
    for (const [id, file] of this.open) {
      if (this.open.size <= this.openMax) break;
      if (id === keep) continue;
      this.open.delete(id);
      this.closes++;
      this.io.closeFile(file);
    }
  }
}
