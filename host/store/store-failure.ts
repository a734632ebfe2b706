// Turns the failure the store's I/O loop recorded in the ring into the error calls see, as the
// log's log-failure.ts does, in the store's words. Exhaustive over FailureKind.
import { DiskFullError, IoError, StoreFailedError } from "../errors.js";
import { errnoName } from "../io/storage-io.js";
import { type CommitRing, FailureKind, RingWord } from "../wal/commit-ring.js";

const NOTHING_ACKNOWLEDGED = "it was rolled back and nothing of it acknowledged";
const REFUSES = "the store refuses further writes and is never synced again. Reopen to recover what was durable.";

export function storeFailureOfRing(ring: CommitRing, dir: string): Error {
  const kind = Atomics.load(ring.i32, RingWord.failureKind) as FailureKind;
  const errno = errnoName(Atomics.load(ring.i32, RingWord.failureErrno));
  if (errno === "ENOSPC" && kind !== FailureKind.Sync && kind !== FailureKind.DirectorySync) {
    return new DiskFullError(`${dir}: the disk is full (ENOSPC); the failed write was rolled back and nothing of it acknowledged`, errno);
  }
  switch (kind) {
    case FailureKind.Write:
      return new IoError(`${dir}: a store write failed (${errno}); ${NOTHING_ACKNOWLEDGED}`, errno);
    case FailureKind.ShortWrite:
      return new IoError(`${dir}: a store write made no progress (the OS wrote 0 bytes without an error); ${NOTHING_ACKNOWLEDGED}`, errno);
    case FailureKind.Open:
      return new IoError(`${dir}: creating, opening or removing a store file failed (${errno})`, errno);
    case FailureKind.Truncate:
      return new IoError(`${dir}: cutting a store file failed (${errno})`, errno);
    case FailureKind.StateWrite:
      return new IoError(`${dir}: installing the manifest (rename of MANIFEST.tmp) failed (${errno}); the store refuses further writes`, errno);
    case FailureKind.Sync:
      return new StoreFailedError(`${dir}: fdatasync failed (${errno}); ${REFUSES}`);
    case FailureKind.DirectorySync:
      return new StoreFailedError(`${dir}: fsync of the directory failed (${errno}); ${REFUSES}`);
    case FailureKind.LoopStopped:
      return new StoreFailedError(`${dir}: the store's I/O loop stopped`);
    case FailureKind.None:
      return new StoreFailedError(`${dir}: the store failed without a recorded cause`);
  }
}
