// A point of a space and its Hilbert key, both ways. Pure apart from the core call; no I/O.
//
// The rules, and why:
// - A point is an array (or a typed array) of exactly `dims` coordinates. Not an array-like at all:
//   InvalidArgumentError. The wrong count: PointDimensionsError (DESIGN section 2: "wrong number of
//   coordinates" is its own case).
// - Each coordinate is a safe-integer number or a bigint, in [0, 2^bits): the core's rule
//   (host/core/hilbert-space.ts `checkCoordinate`), so everything else (a fraction, NaN, a
//   negative, 2^bits or more, a string, a number past 2^53 - 1 that has no exact value) is a
//   CoordinateOutOfRangeError. Never masked: with bits 4, [16, 0] is refused, never stored as
//   [0, 0]. A number is accepted at any bits as long as it is a safe integer (it is then exact);
//   a coordinate of 2^53 or more must be a bigint, which only a space with bits > 53 (so dims 1)
//   can hold.
// - keyToPoint's type depends on the space alone, never on how the point was written: numbers when
//   bits <= 53 (every coordinate is below 2^53, so exact), bigints when bits > 53. A query therefore
//   returns the same type for every record of a space, and a point read back equals (deep-equal)
//   the one written in the space's style.
import { type Core } from "../core/index.js";
import { checkCoordinate } from "../core/hilbert-space.js";
import { InvalidArgumentError, PointDimensionsError } from "../errors.js";
import { type SpaceSpec } from "./space-spec.js";

/** Coordinates up to this many bits come back as numbers: 2^53 - 1 is Number.MAX_SAFE_INTEGER. */
export const POINT_NUMBER_BITS_MAX = 53;

/** What the codec needs of a space. */
export type SpaceShape = Pick<SpaceSpec, "dims" | "bits">;

/** A point as the store returns it: numbers when bits <= 53, else bigints. */
export type Point = ReadonlyArray<number> | ReadonlyArray<bigint>;

/** What the codec needs of the core. */
export type HilbertCore = Pick<Core, "hilbertKey" | "hilbertPoint"> & Partial<Pick<Core, "hilbertKeyOfNumbers">>;

function isPointLike(value: unknown): value is ArrayLike<unknown> {
  if (Array.isArray(value)) return true;
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/**
 * A point's coordinates as bigints, checked against the space. `what` names the argument in
 * messages ("point", "box.min").
 */
export function checkPointOf(space: SpaceShape, point: unknown, what = "point"): bigint[] {
  if (!isPointLike(point)) {
    throw new InvalidArgumentError(`${what} must be an array of ${space.dims} coordinates; got ${typeof point === "object" ? String(point) : typeof point}`);
  }
  if (point.length !== space.dims) {
    throw new PointDimensionsError(`${what} has ${point.length} coordinate${point.length === 1 ? "" : "s"}; the space has ${space.dims} dims`);
  }
  const coordinates: bigint[] = [];
  for (let axis = 0; axis < space.dims; axis++) coordinates.push(checkCoordinate(point[axis], space.bits, `${what}[${axis}]`));
  return coordinates;
}

/** The Hilbert key of a point of the space (every rule above is checked first). */
export function pointToKey(core: HilbertCore, space: SpaceShape, point: unknown, ord?: { ord: number }): bigint {
  // The common case without a bigint per coordinate: an array of in-range integer numbers.
  if (core.hilbertKeyOfNumbers !== undefined && space.bits <= 32 && Array.isArray(point) && point.length === space.dims && numbersInRange(point, 2 ** space.bits)) {
    return core.hilbertKeyOfNumbers(space.dims, space.bits, point as number[], ord);
  }
  const coordinates = checkPointOf(space, point);
  const key = core.hilbertKey(space.dims, space.bits, coordinates);
  if (ord !== undefined) ord.ord = Number(key >> 12n);
  return key;
}

function numbersInRange(point: readonly unknown[], limit: number): boolean {
  for (let axis = 0; axis < point.length; axis++) {
    const c = point[axis];
    if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c >= limit) return false;
  }
  return true;
}

/**
 * Checked coordinates in the space's style: numbers when bits <= 53, else bigints. A fresh array
 * the caller owns (a point handed out is never one the store keeps), so it is not frozen: freezing
 * cost ~10 % of a large query.
 */
export function pointOfCoordinates(space: SpaceShape, coordinates: readonly bigint[]): Point {
  if (space.bits > POINT_NUMBER_BITS_MAX) return [...coordinates];
  return coordinates.map((coordinate) => Number(coordinate));
}

/**
 * The point of a key in [0, 2^(dims*bits)) (a key outside it, or not a bigint, is the core's
 * CoordinateOutOfRangeError), in the space's style.
 */
export function keyToPoint(core: HilbertCore, space: SpaceShape, key: bigint): Point {
  return pointOfCoordinates(space, core.hilbertPoint(space.dims, space.bits, key));
}
