// Turns the failure the I/O loop recorded in the ring into the error writers see. The mapping is
// exhaustive over FailureKind (the compiler checks it), and each error says what actually failed:
// only a failed fdatasync is reported as one.
import { DiskFullError, IoError, StoreFailedError } from "../errors.js";
import { errnoName } from "../io/storage-io.js";
import { type CommitRing, FailureKind, RingWord } from "./commit-ring.js";

const NOTHING_ACKNOWLEDGED = "it was rolled back and nothing of it acknowledged";

export function failureOfRing(ring: CommitRing, dir: string): Error {
  const kind = Atomics.load(ring.i32, RingWord.failureKind) as FailureKind;
  const errno = errnoName(Atomics.load(ring.i32, RingWord.failureErrno));
  if (errno === "ENOSPC" && kind !== FailureKind.Sync && kind !== FailureKind.DirectorySync) {
    return new DiskFullError(`${dir}: the disk is full (ENOSPC); the failed write was rolled back and nothing of it acknowledged`, errno);
  }
  switch (kind) {
    case FailureKind.Write:
      return new IoError(`${dir}: a log write failed (${errno}); ${NOTHING_ACKNOWLEDGED}`, errno);
    case FailureKind.ShortWrite:
      return new IoError(`${dir}: a log write made no progress (the OS wrote 0 bytes without an error); ${NOTHING_ACKNOWLEDGED}`, errno);
    case FailureKind.Open:
      return new IoError(`${dir}: a segment file could not be created (${errno})`, errno);
    case FailureKind.Truncate:
      return new IoError(`${dir}: cutting a segment's preallocated zeros before rotation failed (${errno})`, errno);
    case FailureKind.StateWrite:
      return new IoError(`${dir}: writing LOGSTATE failed (${errno}); the log refuses further writes`, errno);
    case FailureKind.Sync:
      return new StoreFailedError(`${dir}: fdatasync failed (${errno}); the log refuses further writes and is never synced again. Reopen to recover what was durable.`);
    case FailureKind.DirectorySync:
      return new StoreFailedError(`${dir}: fsync of the directory failed (${errno}); the log refuses further writes and is never synced again. Reopen to recover what was durable.`);
    case FailureKind.LoopStopped:
      // The host records the cause before it marks the ring; reaching here means it did not.
      return new StoreFailedError(`${dir}: the log's I/O loop stopped`);
    case FailureKind.None:
      return new StoreFailedError(`${dir}: the log failed without a recorded cause`);
  }
}

/** What every call after a failure rejects with: StoreFailedError, with the first failure as its cause. */
export function failedCallError(first: Error): StoreFailedError {
  if (first instanceof StoreFailedError) return first;
  return new StoreFailedError(`the log failed earlier and refuses further calls: ${first.message}`, { cause: first });
}
