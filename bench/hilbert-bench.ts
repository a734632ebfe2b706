// Hilbert keys (2D, 3D) and keys + sort for 1 M points, against flatbush's index build (its 2D
// 16-bit Hilbert values + its own sort) and a plain typed-array sort of u64 keys.
import Flatbush from "flatbush";
import { type Core, SORT_TUPLE_SIZE, asPtr } from "../host/core/index.js";
import { type Measurement, measure } from "./bench-harness.js";

const POINTS = 1_000_000;

function randomCoordinates(count: number, bits: number, seed: number): Uint32Array {
  const out = new Uint32Array(count);
  let x = seed >>> 0 || 1;
  const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % (mask + 1);
  }
  return out;
}

export async function hilbertThroughput(core: Core): Promise<{ rows: Measurement[]; baseline: string }> {
  const coords2 = core.allocateRegion(POINTS * 2 * 4);
  const coords3 = core.allocateRegion(POINTS * 3 * 4);
  const keys = core.allocateRegion(POINTS * 8);
  const tuples = core.allocateRegion(POINTS * SORT_TUPLE_SIZE);
  const c2 = randomCoordinates(POINTS * 2, 16, 1);
  const c3 = randomCoordinates(POINTS * 3, 20, 2);
  new Uint32Array(core.memory.buffer, coords2.ptr, POINTS * 2).set(c2);
  new Uint32Array(core.memory.buffer, coords3.ptr, POINTS * 3).set(c3);
  // Tuples: revision 1 and index i, key written by the batch at stride 24.
  const tupleView = new DataView(core.memory.buffer, tuples.ptr, POINTS * SORT_TUPLE_SIZE);
  const resetTuples = (): void => {
    for (let i = 0; i < POINTS; i++) {
      tupleView.setBigUint64(i * SORT_TUPLE_SIZE + 8, 1n, true);
      tupleView.setUint32(i * SORT_TUPLE_SIZE + 16, i, true);
    }
  };
  resetTuples();
  const keysAndSort = (dims: number, bits: number, coords: typeof coords2) => () => {
    core.hilbertKeysAt(dims, bits, coords.ptr, POINTS, asPtr(tuples.ptr), SORT_TUPLE_SIZE);
    core.sortTuplesAt(tuples.ptr, POINTS);
  };
  const flatbushBuild = (): void => {
    const index = new Flatbush(POINTS);
    for (let i = 0; i < POINTS; i++) {
      const x = c2[2 * i] ?? 0;
      const y = c2[2 * i + 1] ?? 0;
      index.add(x, y, x, y);
    }
    index.finish();
  };
  const jsKeys = new BigUint64Array(POINTS);
  core.hilbertKeysAt(3, 20, coords3.ptr, POINTS, keys.ptr);
  const keysCopy = new BigUint64Array(core.memory.buffer.slice(keys.ptr, keys.ptr + POINTS * 8));
  const baseline = "flatbush add + finish (2D 16-bit Hilbert + its sort)";
  return {
    baseline,
    rows: [
      measure("spacelog hilbertKeysAt 2D, 16 bits", POINTS, () => core.hilbertKeysAt(2, 16, coords2.ptr, POINTS, keys.ptr), 5, 400),
      measure("spacelog hilbertKeysAt 3D, 20 bits", POINTS, () => core.hilbertKeysAt(3, 20, coords3.ptr, POINTS, keys.ptr), 5, 400),
      measure("spacelog 2D keys + sortTuplesAt (key, revision, index)", POINTS, keysAndSort(2, 16, coords2), 5, 400),
      measure("spacelog 3D keys + sortTuplesAt (key, revision, index)", POINTS, keysAndSort(3, 20, coords3), 5, 400),
      measure(baseline, POINTS, flatbushBuild, 5, 400),
      measure("BigUint64Array.prototype.sort of the 3D keys (keys only)", POINTS, () => {
        jsKeys.set(keysCopy);
        jsKeys.sort();
      }, 5, 400),
    ],
  };
}
