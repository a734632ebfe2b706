// fast-check arbitraries shared by the store's point and box tests.
import fc from "fast-check";
import { type SpaceShape } from "../../host/store/point-codec.js";

/** A space with dims 1..16 and bits 1..64, dims*bits <= 64, and a point of it as bigints. */
export const spaceAndPoint: fc.Arbitrary<{ space: SpaceShape; coordinates: bigint[] }> = fc.integer({ min: 1, max: 16 })
  .chain((dims) => fc.integer({ min: 1, max: Math.floor(64 / dims) }).map((bits) => ({ dims, bits })))
  .chain((space) => fc.array(fc.bigInt({ min: 0n, max: (1n << BigInt(space.bits)) - 1n }), { minLength: space.dims, maxLength: space.dims })
    .map((coordinates) => ({ space, coordinates })));
