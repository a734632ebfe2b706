// Box -> Hilbert key ranges against brute force on whole small grids (every key's point is
// known, so the box's exact key set is too), with budgets large and small, and in full-size
// spaces (dims*bits = 64) by sampling.
import { expect } from "chai";
import fc from "fast-check";
import { type Core } from "../../host/core/index.js";
import { type CoreCheck, propertySeed } from "./core-check.js";

interface Grid {
  readonly dims: number;
  readonly bits: number;
  readonly keyCount: number;
  /** The point of key k is points[k*dims .. k*dims + dims). */
  readonly points: Uint32Array;
}

const grids = new Map<string, Grid>();

function gridOf(core: Core, dims: number, bits: number): Grid {
  const name = `${dims}/${bits}`;
  let grid = grids.get(name);
  if (grid === undefined) {
    const keyCount = 2 ** (dims * bits);
    const points = new Uint32Array(keyCount * dims);
    for (let key = 0; key < keyCount; key++) {
      core.hilbertPoint(dims, bits, BigInt(key)).forEach((coordinate, axis) => {
        points[key * dims + axis] = Number(coordinate);
      });
    }
    grid = { dims, bits, keyCount, points };
    grids.set(name, grid);
  }
  return grid;
}

interface Box {
  readonly min: number[];
  readonly max: number[];
}

/** True if the point of `key`, with every coordinate rounded down to a multiple of `side`, meets the box. */
function cubeMeetsBox(grid: Grid, key: number, box: Box, side: number): boolean {
  for (let axis = 0; axis < grid.dims; axis++) {
    const low = Math.floor((grid.points[key * grid.dims + axis] ?? 0) / side) * side;
    if (low > (box.max[axis] ?? 0) || low + side - 1 < (box.min[axis] ?? 0)) return false;
  }
  return true;
}

/** Merged runs of the keys for which `member` holds. */
function runsOf(keyCount: number, member: (key: number) => boolean): Array<[bigint, bigint]> {
  const runs: Array<[bigint, bigint]> = [];
  let start = -1;
  for (let key = 0; key <= keyCount; key++) {
    const inside = key < keyCount && member(key);
    if (inside && start < 0) start = key;
    if (!inside && start >= 0) {
      runs.push([BigInt(start), BigInt(key - 1)]);
      start = -1;
    }
  }
  return runs;
}

interface LevelShape {
  /** Ranges of the level's cover: its cubes that meet the box, adjacent ones merged. */
  readonly runs: number;
  /** Entries the core holds for the level: runs of cubes inside the box, plus cubes only meeting it. */
  readonly entries: number;
}

/** For each level 0..bits, the shape of its cover, from the box's cells counted per cube. */
function levelShapes(grid: Grid, box: Box): LevelShape[] {
  const inBoxBefore = new Uint32Array(grid.keyCount + 1); // cells of the box among keys [0, k)
  for (let key = 0; key < grid.keyCount; key++) inBoxBefore[key + 1] = (inBoxBefore[key] ?? 0) + (cubeMeetsBox(grid, key, box, 1) ? 1 : 0);
  const shapes: LevelShape[] = [];
  for (let level = 0; level <= grid.bits; level++) {
    const cubeKeys = 2 ** (grid.dims * (grid.bits - level));
    let runs = 0;
    let entries = 0;
    let previous = "outside";
    for (let start = 0; start < grid.keyCount; start += cubeKeys) {
      const cells = (inBoxBefore[start + cubeKeys] ?? 0) - (inBoxBefore[start] ?? 0);
      const kind = cells === 0 ? "outside" : cells === cubeKeys ? "inside" : "partial";
      if (kind !== "outside" && previous === "outside") runs++;
      if (kind === "partial" || (kind === "inside" && previous !== "inside")) entries++;
      previous = kind;
    }
    shapes.push({ runs, entries });
  }
  return shapes;
}

function expectWellFormed(ranges: Array<[bigint, bigint]>, what: string): void {
  ranges.forEach(([start, end], i) => {
    expect(start <= end, `${what}: range ${i} has start <= end`).to.equal(true);
    const previous = ranges[i - 1];
    if (previous !== undefined) expect(start > previous[1] + 1n, `${what}: ranges sorted, apart, merged`).to.equal(true);
  });
}

function covered(ranges: Array<[bigint, bigint]>, key: number): boolean {
  const k = BigInt(key);
  return ranges.some(([start, end]) => start <= k && k <= end);
}

const arbitraryGridBox = fc.constantFrom<[number, number]>([2, 1], [2, 3], [2, 5], [2, 6], [3, 2], [3, 4], [4, 2], [4, 3])
  .chain(([dims, bits]) => {
    const corner = fc.array(fc.integer({ min: 0, max: 2 ** bits - 1 }), { minLength: dims, maxLength: dims });
    return fc.tuple(fc.constant(dims), fc.constant(bits), corner, corner);
  })
  .map(([dims, bits, a, b]) => ({
    dims,
    bits,
    box: { min: a.map((value, axis) => Math.min(value, b[axis] ?? 0)), max: a.map((value, axis) => Math.max(value, b[axis] ?? 0)) },
  }));

export const hilbertRangesChecks: CoreCheck[] = [
  {
    name: "with a large budget the ranges are exactly the box's cells (2D, 3D, 4D brute force)",
    run(core) {
      fc.assert(
        fc.property(arbitraryGridBox, ({ dims, bits, box }) => {
          const grid = gridOf(core, dims, bits);
          const expected = runsOf(grid.keyCount, (key) => cubeMeetsBox(grid, key, box, 1));
          const result = core.hilbertRanges(dims, bits, box, { rangesMax: 4096 });
          expect(result.ranges).to.deep.equal(expected);
          expect(result.exact).to.equal(true);
          expect(result.cubeSideLog2).to.equal(0);
        }),
        { seed: propertySeed(), numRuns: 150 },
      );
    },
  },
  {
    name: "a small budget gives at most that many merged ranges over a bounded superset",
    run(core) {
      fc.assert(
        fc.property(arbitraryGridBox, fc.integer({ min: 1, max: 12 }), ({ dims, bits, box }, rangesMax) => {
          const grid = gridOf(core, dims, bits);
          const exact = runsOf(grid.keyCount, (key) => cubeMeetsBox(grid, key, box, 1));
          const result = core.hilbertRanges(dims, bits, box, { rangesMax });
          const what = `(${dims}, ${bits}) box [${box.min}]..[${box.max}] rangesMax ${rangesMax}`;
          expect(result.ranges.length, what).to.be.within(1, rangesMax);
          expectWellFormed(result.ranges, what);
          expect(result.exact, what).to.equal(exact.length <= rangesMax);
          if (result.exact) expect(result.ranges, what).to.deep.equal(exact);
          // Every box cell is covered; every covered cell is in a cube of side 2^cubeSideLog2 meeting the box.
          const side = 2 ** result.cubeSideLog2;
          for (let key = 0; key < grid.keyCount; key++) {
            const inBox = cubeMeetsBox(grid, key, box, 1);
            const isCovered = covered(result.ranges, key);
            if (inBox && !isCovered) expect.fail(`${what}: box key ${key} not covered`);
            if (isCovered && !cubeMeetsBox(grid, key, box, side)) expect.fail(`${what}: key ${key} outside the side-${side} bound`);
          }
          // The cube side: no refusal before the first level whose whole cover needs more than rangesMax
          // ranges or whose pass could need more than the work's entries, and one by the budget's level.
          const levels = levelShapes(grid, box);
          const entriesMax = 6 * rangesMax + 8;
          const budgetLevel = levels.findIndex((shape, level) => level < bits && (levels[level + 1]?.runs ?? 0) > rangesMax);
          const firstLevel = levels.findIndex((shape, level) => level < bits &&
            ((levels[level + 1]?.runs ?? 0) > rangesMax || shape.entries + (levels[level + 1]?.entries ?? 0) + 1 > entriesMax));
          if (budgetLevel >= 0) expect(result.cubeSideLog2, `${what}: cube side`).to.be.at.least(bits - budgetLevel);
          if (firstLevel >= 0) expect(result.cubeSideLog2, `${what}: cube side`).to.be.at.most(bits - firstLevel);
          else expect(result.cubeSideLog2, `${what}: cube side`).to.equal(0);
        }),
        { seed: propertySeed(), numRuns: 300 },
      );
    },
  },
  {
    name: "the whole space is one range, a one-cell box is its key, up to dims*bits = 64",
    run(core) {
      for (const [dims, bits] of [[1, 64], [2, 32], [4, 16], [16, 4], [3, 21], [5, 3]] as const) {
        const top = 2n ** BigInt(bits) - 1n;
        const whole = core.hilbertRanges(dims, bits, { min: new Array(dims).fill(0n), max: new Array(dims).fill(top) });
        expect(whole).to.deep.equal({ ranges: [[0n, 2n ** BigInt(dims * bits) - 1n]], exact: true, cubeSideLog2: 0 });
        const cell = Array.from({ length: dims }, (_, axis) => (top * BigInt((axis * 3 + 1) % 7)) / 6n);
        const key = core.hilbertKey(dims, bits, cell);
        expect(core.hilbertRanges(dims, bits, { min: cell, max: cell }, { rangesMax: 1 }))
          .to.deep.equal({ ranges: [[key, key]], exact: true, cubeSideLog2: 0 });
      }
    },
  },
  {
    name: "boxes in full-size spaces cover sampled box points and exclude points beyond the bound",
    run(core) {
      const space = fc.constantFrom<[number, number]>([2, 32], [3, 21], [4, 16], [8, 8], [16, 4], [1, 64]);
      fc.assert(
        fc.property(space.chain(([dims, bits]) => {
          const corner = fc.array(fc.bigInt({ min: 0n, max: 2n ** BigInt(bits) - 1n }), { minLength: dims, maxLength: dims });
          return fc.tuple(fc.constant(dims), fc.constant(bits), corner, corner, fc.integer({ min: 1, max: 64 }), fc.integer());
        }), ([dims, bits, a, b, rangesMax, seed]) => {
          const min = a.map((value, axis) => (value < (b[axis] ?? 0n) ? value : (b[axis] ?? 0n)));
          const max = a.map((value, axis) => (value > (b[axis] ?? 0n) ? value : (b[axis] ?? 0n)));
          const result = core.hilbertRanges(dims, bits, { min, max }, { rangesMax });
          expect(result.ranges.length).to.be.within(1, rangesMax);
          expectWellFormed(result.ranges, `(${dims}, ${bits})`);
          const coveredKey = (key: bigint): boolean => result.ranges.some(([start, end]) => start <= key && key <= end);
          let x = seed | 1;
          const random = (low: bigint, high: bigint): bigint => {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            const r = (BigInt(x >>> 0) << 32n) | BigInt(Math.imul(x, 0x9e3779b1) >>> 0);
            return low + (r % (high - low + 1n));
          };
          for (let i = 0; i < 50; i++) {
            const inside = min.map((low, axis) => random(low, max[axis] ?? low));
            expect(coveredKey(core.hilbertKey(dims, bits, inside)), `box point [${inside}]`).to.equal(true);
          }
          // A point beyond the rounded-out box on one axis is never covered.
          const sideLog2 = BigInt(result.cubeSideLog2);
          const axis = Math.abs(seed) % dims;
          const beyond = ((max[axis] ?? 0n) >> sideLog2) + 1n << sideLog2;
          if (beyond < 2n ** BigInt(bits)) {
            const point = min.map((low, i) => (i === axis ? beyond : random(low, max[i] ?? low)));
            expect(coveredKey(core.hilbertKey(dims, bits, point)), `point beyond the bound [${point}]`).to.equal(false);
          }
        }),
        { seed: propertySeed(), numRuns: 60 },
      );
    },
  },
  {
    name: "bad boxes are RangeErrors and a bad budget is an InvalidArgumentError",
    run(core) {
      const coordinate = "SPACELOG_COORDINATE_OUT_OF_RANGE";
      const box = (min: Array<number | bigint>, max: Array<number | bigint>) => ({ min, max });
      expect(() => core.hilbertRanges(2, 4, box([3, 0], [2, 5]))).to.throw(RangeError, "box.min[0]").with.property("code", coordinate);
      expect(() => core.hilbertRanges(2, 4, box([0, 0], [2, 16]))).to.throw(RangeError).with.property("code", coordinate);
      expect(() => core.hilbertRanges(2, 4, box([-1, 0], [2, 5]))).to.throw(RangeError).with.property("code", coordinate);
      expect(() => core.hilbertRanges(2, 4, box([0.5, 0], [2, 5]))).to.throw(RangeError).with.property("code", coordinate);
      expect(() => core.hilbertRanges(2, 4, box([0], [2, 5]))).to.throw(RangeError).with.property("code", "SPACELOG_DIMENSIONS_OUT_OF_RANGE");
      expect(() => core.hilbertRanges(0, 4, box([], []))).to.throw(RangeError).with.property("code", "SPACELOG_DIMENSIONS_OUT_OF_RANGE");
      expect(() => core.hilbertRanges(5, 13, box([0, 0, 0, 0, 0], [1, 1, 1, 1, 1])))
        .to.throw(RangeError).with.property("code", "SPACELOG_DIMENSIONS_OUT_OF_RANGE");
      for (const rangesMax of [0, -1, 1.5, 16385]) {
        expect(() => core.hilbertRanges(2, 4, box([0, 0], [2, 5]), { rangesMax }), `rangesMax ${rangesMax}`)
          .to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
      }
    },
  },
];
