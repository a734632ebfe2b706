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
