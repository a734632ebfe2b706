// Retention: truncateBefore(lsn) retires whole segments whose entries all lie before `lsn`. The
// durable truncate marker comes first (the caller appends and syncs it), so a crash between the
// marker and the removals leaves files that recovery removes (docs/FORMAT.md "Retirement").
// Runs on the calling thread's cold I/O: the files removed are older than the active segment, so
// the I/O loop has closed them (it closes a segment once the stream has moved past it and it is
// synced whole, R2).
import { type StorageIo } from "../io/storage-io.js";
import { type SegmentChain } from "./segment-chain.js";

/**
 * Removes the retired segments' files oldest first, fsyncing the directory after each removal:
 * a crash then leaves the log starting at some later segment, never with a hole (a file system
 * may persist a later unlink and not an earlier one). Returns the names removed.
 */
export function removeRetiredSegments(io: StorageIo, dir: string, chain: SegmentChain, beforeLsn: bigint): string[] {
  const removed = chain.retireBefore(beforeLsn);
  for (const name of removed) {
    const path = `${dir}/${name}`;
    if (!io.exists(path)) continue;
    io.removeFile(path);
    io.syncDirectory(dir);
  }
  return removed;
}
