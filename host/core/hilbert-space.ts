// The checks every Hilbert wrapper makes before calling the core, and the table that turns the
// core's result codes (assembly/hilbert-codes.ts) into typed errors.
//
// The host checks what the core cannot see (a coordinate's JavaScript type, integer-ness, sign,
// the number of coordinates) and the core checks ranges again on what it reads: a value is never
// masked into range on either side of the boundary.
import { assert } from "../assert.js";
import { CoordinateOutOfRangeError, DimensionsOutOfRangeError, InvalidArgumentError } from "../errors.js";

/** The core's Hilbert result codes; the comments give the error each becomes. */
export const HilbertCode = {
  ok: 0,
  dimensionsOutOfRange: -1, // DimensionsOutOfRangeError
  coordinateOutOfRange: -2, // CoordinateOutOfRangeError
  keyOutOfRange: -3, // CoordinateOutOfRangeError: a key is a coordinate along the curve
  scratchTooSmall: -4, // AssertionError: the host sizes scratch and work regions
  regionOutOfBounds: -5, // AssertionError: the host passed a pointer outside the memory
  boxInverted: -6, // CoordinateOutOfRangeError
  rangesMaxOutOfRange: -7, // InvalidArgumentError
} as const;

export const HILBERT_DIMS_MAX = 16;
export const HILBERT_KEY_BITS_MAX = 64;

/** A space is dims in 1..16 axes of bits >= 1 bits each, with dims*bits <= 64 (a key is a u64). */
export function checkSpace(dims: number, bits: number): void {
  if (!Number.isInteger(dims) || dims < 1 || dims > HILBERT_DIMS_MAX) {
    throw new DimensionsOutOfRangeError(`dims must be an integer in 1..${HILBERT_DIMS_MAX}; got ${dims}`);
  }
  if (!Number.isInteger(bits) || bits < 1 || dims * bits > HILBERT_KEY_BITS_MAX) {
    throw new DimensionsOutOfRangeError(
      `bits must be an integer >= 1 with dims*bits <= ${HILBERT_KEY_BITS_MAX}; got dims ${dims}, bits ${bits}`);
  }
}

/**
 * One coordinate as a bigint in [0, 2^bits). A number must be a safe integer: 2^53 + 1 has no
 * exact number, so a larger coordinate is passed as a bigint (needed for dims 1 with bits > 53).
 */
export function checkCoordinate(value: unknown, bits: number, what: string): bigint {
  let coordinate: bigint;
  if (typeof value === "bigint") {
    coordinate = value;
  } else if (typeof value === "number" && Number.isSafeInteger(value)) {
    coordinate = BigInt(value);
  } else {
    throw new CoordinateOutOfRangeError(`${what} must be a safe integer number or a bigint; got ${String(value)}`);
  }
  if (coordinate < 0n || coordinate >= 1n << BigInt(bits)) {
    throw new CoordinateOutOfRangeError(`${what} must be in [0, 2^${bits}); got ${coordinate}`);
  }
  return coordinate;
}

/** A point of a (dims, bits) space: exactly dims coordinates, each checked. */
export function checkPoint(dims: number, bits: number, point: ArrayLike<unknown>, what = "point"): bigint[] {
  if (point === null || typeof point !== "object" || typeof point.length !== "number") {
    throw new DimensionsOutOfRangeError(`${what} must be an array of ${dims} coordinates`);
  }
  if (point.length !== dims) {
    throw new DimensionsOutOfRangeError(`${what} has ${point.length} coordinates; the space has ${dims} dims`);
  }
  const coordinates: bigint[] = [];
  for (let axis = 0; axis < dims; axis++) coordinates.push(checkCoordinate(point[axis], bits, `${what}[${axis}]`));
  return coordinates;
}

/** Turns a negative core code into the error it stands for; `detail` says what was being done. */
export function hilbertCodeError(code: number, detail: string): Error {
  assert(Number.isInteger(code) && code < 0, `not a Hilbert error code: ${code}`);
  switch (code) {
    case HilbertCode.dimensionsOutOfRange:
      return new DimensionsOutOfRangeError(`${detail}: dims or bits outside what the space allows`);
    case HilbertCode.coordinateOutOfRange:
      return new CoordinateOutOfRangeError(`${detail}: a coordinate is outside [0, 2^bits)`);
    case HilbertCode.keyOutOfRange:
      return new CoordinateOutOfRangeError(`${detail}: the key is outside [0, 2^(dims*bits))`);
    case HilbertCode.boxInverted:
      return new CoordinateOutOfRangeError(`${detail}: the box has min > max on some axis`);
    case HilbertCode.rangesMaxOutOfRange:
      return new InvalidArgumentError(`${detail}: rangesMax is outside what the core accepts`);
    default:
      // Scratch sizes and pointers are the host's own doing: a code here is a spacelog bug.
      assert(false, `${detail}: the core returned code ${code}`);
  }
}
