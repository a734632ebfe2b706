// Turns the failure the I/O loop recorded in the ring into the error writers see.
import { DiskFullError, IoError, StoreFailedError } from "../errors.js";
import { errnoName } from "../io/storage-io.js";
import { type CommitRing, FailureKind, RingWord } from "./commit-ring.js";

export function failureOfRing(ring: CommitRing, dir: string): Error {
  const kind = Atomics.load(ring.i32, RingWord.failureKind);
  const errno = errnoName(Atomics.load(ring.i32, RingWord.failureErrno));
  if (kind === FailureKind.Write && errno === "ENOSPC") {
    return new DiskFullError(`${dir}: the disk is full (ENOSPC); the failed write was rolled back and nothing of it acknowledged`, errno);
  }
  if (kind === FailureKind.Write) {
    return new IoError(`${dir}: a log write failed (${errno}); it was rolled back and nothing of it acknowledged`, errno);
  }
  if (kind === FailureKind.ShortWrite) {
    return new IoError(`${dir}: a log write was short (the OS wrote fewer bytes than asked); it was rolled back and nothing of it acknowledged`, errno);
  }
  if (kind === FailureKind.Open) return new IoError(`${dir}: a segment file could not be created (${errno})`, errno);
  return new StoreFailedError(`${dir}: fdatasync failed (${errno}); the log refuses further writes and is never synced again. Reopen to recover what was durable.`);
}

/** What every call after a failure throws: StoreFailedError, with the first failure as its cause. */
export function failedCallError(first: Error): StoreFailedError {
  if (first instanceof StoreFailedError) return first;
  return new StoreFailedError(`the log failed earlier and refuses further calls: ${first.message}`, { cause: first });
}
