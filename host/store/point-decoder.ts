// One query's key-to-point decoding, done once per key. A superset cover's exact box check and
// the result handed to the caller both need a record's point: the decoder keeps the last key it
// decoded, so a result that passed the filter is not decoded twice. Spaces with bits <= 53 (every
// space but a 1D one with wider bits) decode into numbers with no bigint per coordinate
// (core.hilbertPointOfNumbers); wider ones take point-codec's bigint path.
//
// Measured on the query bench (2D, bits 20, 1 % and 10 % boxes): decoding was ~25 % of a query's
// time with a bigint array per decode and two decodes per result.
import { type Core } from "../core/index.js";
import { type CheckedBox, boxContains } from "./box.js";
import { POINT_NUMBER_BITS_MAX, type Point, type SpaceShape, keyToPoint } from "./point-codec.js";

export type PointDecoderCore = Pick<Core, "hilbertPoint" | "hilbertKey" | "hilbertPointOfNumbers">;

export class PointDecoder {
  private readonly numbers: boolean;
  /** The last decoded key's coordinates (numbers spaces only): valid while lastKey is that key. */
  private readonly scratch: number[];
  private lastKey = -1n;

  constructor(private readonly core: PointDecoderCore, private readonly space: SpaceShape) {
    this.numbers = space.bits <= POINT_NUMBER_BITS_MAX;
    this.scratch = new Array<number>(space.dims).fill(0);
  }

  /** The point of `key` as the store returns it: a fresh array the caller owns, in the space's style. */
  pointOf(key: bigint): Point {
    if (!this.numbers) return keyToPoint(this.core, this.space, key);
    return this.decode(key).slice();
  }

  /** A filter for the box: true if the point of `key` lies in it. */
  boxFilter(box: CheckedBox): (key: bigint) => boolean {
    if (!this.numbers) return (key) => boxContains(this.core, this.space, box, key);
    // Exact as numbers: every coordinate of such a space is below 2^53.
    const min = box.min.map(Number);
    const max = box.max.map(Number);
    const dims = this.space.dims;
    return (key) => {
      const coordinates = this.decode(key);
      for (let axis = 0; axis < dims; axis++) {
        const c = coordinates[axis] as number;
        if (c < (min[axis] as number) || c > (max[axis] as number)) return false;
      }
      return true;
    };
  }

  private decode(key: bigint): number[] {
    if (key !== this.lastKey) {
      this.core.hilbertPointOfNumbers(this.space.dims, this.space.bits, key, this.scratch);
      this.lastKey = key;
    }
    return this.scratch;
  }
}
