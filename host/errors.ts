// User and operating errors: SpacelogError subclasses with a stable `code` (STYLE habit 2).
// Bad bytes from disk are values in the core (a reason code) and become CorruptionError here.

export class SpacelogError extends Error {
  override readonly name: string = "SpacelogError";
  readonly code: string = "SPACELOG_ERROR";
}

/** An argument is outside what the API accepts; nothing was changed. */
export class InvalidArgumentError extends SpacelogError {
  override readonly name: string = "InvalidArgumentError";
  override readonly code: string = "SPACELOG_INVALID_ARGUMENT";
}

/**
 * A coordinate is outside [0, 2^bits), or dims/bits describe no valid space. Never masked.
 * It is a RangeError (what JavaScript users catch for out-of-range numbers) with a stable code;
 * `isSpacelogError` recognises it like every SpacelogError.
 */
export class CoordinateOutOfRangeError extends RangeError {
  override readonly name: string = "CoordinateOutOfRangeError";
  readonly code: string = "SPACELOG_COORDINATE_OUT_OF_RANGE";
}

/** dims or bits outside what a space allows (dims 1..16, bits >= 1, dims*bits <= 64). */
export class DimensionsOutOfRangeError extends RangeError {
  override readonly name: string = "DimensionsOutOfRangeError";
  readonly code: string = "SPACELOG_DIMENSIONS_OUT_OF_RANGE";
}

/** True for every error spacelog raises on purpose (all carry a stable SPACELOG_ code). */
export function isSpacelogError(error: unknown): error is Error & { code: string } {
  return error instanceof SpacelogError || error instanceof CoordinateOutOfRangeError ||
    error instanceof DimensionsOutOfRangeError;
}

/** A fixed-size pool or table in the core is full; the caller decides (wait, push back). */
export class CapacityError extends SpacelogError {
  override readonly name: string = "CapacityError";
  override readonly code: string = "SPACELOG_CAPACITY";
}

/** The core's shared memory cannot grow to hold what was asked. */
export class OutOfMemoryError extends SpacelogError {
  override readonly name: string = "OutOfMemoryError";
  override readonly code: string = "SPACELOG_OUT_OF_MEMORY";
}

/** The WebAssembly core could not be loaded in this runtime. */
export class CoreLoadError extends SpacelogError {
  override readonly name: string = "CoreLoadError";
  override readonly code: string = "SPACELOG_CORE_LOAD";
}

/** An operating-system I/O call failed. `errno` is the POSIX name (EIO, ENOSPC, ...). */
export class IoError extends SpacelogError {
  override readonly name: string = "IoError";
  override readonly code: string = "SPACELOG_IO";
  constructor(message: string, readonly errno: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The disk is full (ENOSPC). Nothing the write asked for was acknowledged. */
export class DiskFullError extends IoError {
  override readonly name: string = "DiskFullError";
  override readonly code: string = "SPACELOG_DISK_FULL";
}

/**
 * The store (or log) failed and refuses every further call: an fsync failed, so the OS may have
 * dropped dirty pages and a retried fsync could report success without the data. Reopen to
 * recover what was durable.
 */
export class StoreFailedError extends SpacelogError {
  override readonly name: string = "StoreFailedError";
  override readonly code: string = "SPACELOG_STORE_FAILED";
}

/**
 * The log's I/O thread failed to start, or died: the log refuses every further call. `cause` is
 * what the thread reported (its uncaught error, or its exit code).
 */
export class IoThreadError extends StoreFailedError {
  override readonly name: string = "IoThreadError";
  override readonly code: string = "SPACELOG_IO_THREAD";
}

/** Another process holds the directory's LOCK. */
export class DirectoryLockedError extends SpacelogError {
  override readonly name: string = "DirectoryLockedError";
  override readonly code: string = "SPACELOG_DIRECTORY_LOCKED";
}

/**
 * The directory is open already in this process (on this thread or another): close that log
 * first, or share it. Not DirectoryLockedError: no other process is involved.
 */
export class DirectoryInUseError extends SpacelogError {
  override readonly name: string = "DirectoryInUseError";
  override readonly code: string = "SPACELOG_DIRECTORY_IN_USE";
}

/** A call after close(). */
export class ClosedError extends SpacelogError {
  override readonly name: string = "ClosedError";
  override readonly code: string = "SPACELOG_CLOSED";
}

/**
 * Bytes on disk that spacelog wrote, or that the manifest lists, do not verify: never a torn tail,
 * never wrong data. `file` is the path, `offset` the byte offset in it where the problem was
 * found, `reason` the decoder's name for it ("checksum", "chunkChecksum", "missing", ...).
 */
export class CorruptionError extends SpacelogError {
  override readonly name: string = "CorruptionError";
  override readonly code: string = "SPACELOG_CORRUPTION";
  constructor(message: string, readonly file: string, readonly offset: number, readonly reason: string) {
    super(message);
  }
}

/** A bad frame followed by valid data: corruption, not a torn tail. Names the file and offset. */
export class CorruptLogError extends CorruptionError {
  override readonly name: string = "CorruptLogError";
  override readonly code: string = "SPACELOG_CORRUPT_LOG";
}

/** The directory exists but is not a spacelog directory (or holds a newer format). */
export class NotALogError extends SpacelogError {
  override readonly name: string = "NotALogError";
  override readonly code: string = "SPACELOG_NOT_A_LOG";
}

/** The directory exists but is not a spacelog store (a log, someone's folder, or a newer format). */
export class NotAStoreError extends SpacelogError {
  override readonly name: string = "NotAStoreError";
  override readonly code: string = "SPACELOG_NOT_A_STORE";
}

// --- the store's bad input (host/store/space-spec.ts, point-codec.ts, box.ts, value-check.ts) ---

/** No space of that name exists in the store. Names are compared exactly (no Unicode normalisation). */
export class UnknownSpaceError extends SpacelogError {
  override readonly name: string = "UnknownSpaceError";
  override readonly code: string = "SPACELOG_UNKNOWN_SPACE";
  constructor(message: string, readonly space: string) {
    super(message);
  }
}

/**
 * createSpace named a space that exists with other dims or bits. Creating it again with the same
 * dims and bits is not an error: it returns the existing space.
 */
export class SpaceExistsError extends SpacelogError {
  override readonly name: string = "SpaceExistsError";
  override readonly code: string = "SPACELOG_SPACE_EXISTS";
  constructor(message: string, readonly space: string) {
    super(message);
  }
}

/**
 * A point has the wrong number of coordinates for its space. Not DimensionsOutOfRangeError: in the
 * store, that one means createSpace's dims or bits are invalid.
 */
export class PointDimensionsError extends SpacelogError {
  override readonly name: string = "PointDimensionsError";
  override readonly code: string = "SPACELOG_POINT_DIMENSIONS";
}

/** A value is longer than VALUE_SIZE_MAX (host/store/block-format.ts: 16 MiB - 1). */
export class ValueTooLargeError extends SpacelogError {
  override readonly name: string = "ValueTooLargeError";
  override readonly code: string = "SPACELOG_VALUE_TOO_LARGE";
  constructor(message: string, readonly valueSizeBytes: number, readonly valueSizeMax: number) {
    super(message);
  }
}
