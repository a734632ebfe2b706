// A query's box { min, max } (inclusive corners), checked once, and the exact filter a query
// applies to what the core's key ranges return. Pure apart from decoding a key in the core.
//
// The rules, and why:
// - A box is an object with exactly the keys min and max (a typo such as { low, high } would
//   otherwise read as a missing corner). Each corner is a point of the space (point-codec.ts
//   rules: InvalidArgumentError, PointDimensionsError, CoordinateOutOfRangeError).
// - min[i] <= max[i] on every axis, else InvalidArgumentError naming the first axis where it fails.
//   Every coordinate is in range, so this is a malformed argument, not a CoordinateOutOfRangeError
//   (the core's own hilbertRanges says CoordinateOutOfRangeError; the store checks first, so a
//   store user only ever sees this one). A box of one cell (min = max) is valid: `get`'s case.
// - Why an exact filter: when the box's exact cover needs more than rangesMax ranges, the core
//   returns a superset (host/core/hilbert-ranges.ts), and the keys it adds lie outside the box.
//   boxContains drops exactly those.
import { assert } from "../assert.js";
import { InvalidArgumentError } from "../errors.js";
import { type HilbertCore, type SpaceShape, checkPointOf } from "./point-codec.js";

/** A checked box: both corners as bigints, min <= max on every axis (frozen). */
export interface CheckedBox {
  readonly min: readonly bigint[];
  readonly max: readonly bigint[];
}

const BOX_KEYS: ReadonlySet<string> = new Set(["min", "max"]);

/** query's box argument, checked against the space. */
export function checkBox(space: SpaceShape, box: unknown): CheckedBox {
  if (typeof box !== "object" || box === null || Array.isArray(box)) {
    throw new InvalidArgumentError(`a box must be an object { min, max }; got ${String(box)}`);
  }
  const record = box as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !BOX_KEYS.has(key));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`unknown box key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; a box is { min, max }`);
  }
  const min = checkPointOf(space, record["min"], "box.min");
  const max = checkPointOf(space, record["max"], "box.max");
  for (let axis = 0; axis < space.dims; axis++) {
    const low = min[axis] ?? 0n;
    const high = max[axis] ?? 0n;
    if (low > high) throw new InvalidArgumentError(`box.min[${axis}] = ${low} is above box.max[${axis}] = ${high}`);
  }
  return Object.freeze({ min: Object.freeze(min), max: Object.freeze(max) });
}

/** True if every coordinate lies in [box.min[i], box.max[i]]. The coordinates are the space's. */
export function boxContainsCoordinates(box: CheckedBox, coordinates: readonly bigint[]): boolean {
  // The store decodes keys of the box's own space: another count is a spacelog bug.
  assert(coordinates.length === box.min.length, "boxContainsCoordinates takes a point of the box's space");
  for (let axis = 0; axis < coordinates.length; axis++) {
    const coordinate = coordinates[axis] ?? -1n;
    if (coordinate < (box.min[axis] ?? 0n) || coordinate > (box.max[axis] ?? -1n)) return false;
  }
  return true;
}

/** True if the point of `key` lies in the box: the exact filter after the core's key ranges. */
export function boxContains(core: HilbertCore, space: SpaceShape, box: CheckedBox, key: bigint): boolean {
  return boxContainsCoordinates(box, core.hilbertPoint(space.dims, space.bits, key));
}
