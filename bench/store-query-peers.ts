// The read side of `npm run bench:store` (cells 3 and 4): one set of uniformly random, distinct
// points, loaded into every engine, and box queries (and point lookups) over it.
//
// Engines:
// - spacelog store: the set's first `sealed` points written with putMany and sealed into blocks,
//   then the rest written after the seal, so they sit in the live tail; sealRecords and sealBytes
//   are raised so that no seal starts by itself. `query` at the newest revision, counted.
// - better-sqlite3's R*Tree module: an rtree virtual table, each point a degenerate box (min = max
//   on every axis), the value an auxiliary column; `SELECT id, coordinates, value ... WHERE` the
//   point lies in the box. rtree keeps 32-bit floats: coordinates below 2^24 are exact.
// - lmdb: rows keyed by the 16-byte big-endian (Hilbert key, revision), the value being the point's
//   coordinates (u32 LE each) then its value; a box is core.hilbertRanges' ranges (the store's
//   budget, 256), one getRange per range, and the coordinates filter exactly when the cover is a
//   superset (as the store filters).
// - flatbush: in memory, no durability, the ceiling. It is a 2D index: 3D points are indexed by
//   (x, y) and z is filtered in search's callback, so in 3D it is a weaker ceiling.
// Every engine hands back each result's coordinates and value (a view or a copy, as the engine
// gives it); the benchmark counts them and asserts that every engine counts the same per box.
import Flatbush from "flatbush";
import { open as openLmdb } from "lmdb";
import { join } from "node:path";
import { type Core } from "../host/core/index.js";
import { type Store, open as openStore } from "../host/store/index.js";
import { hilbertRevisionKey, randomPoint, xorshift } from "./store-bench-util.js";
import { SPACE_NAME, type SpaceShape, openSqliteFull, storeStatsOf, type StoreCellStats } from "./store-peers.js";

/** Value bytes per point in the query set (small: the cell measures the index, not value copies). */
export const QUERY_VALUE_SIZE = 16;
/** The store's seal thresholds for the query set: their maxima, far above the set (no seal by itself). */
export const QUERY_SEAL_RECORDS = 1 << 22;
export const QUERY_SEAL_BYTES = 1024 * 1024 * 1024;
/** Points per putMany / per transaction while loading. */
const LOAD_CHUNK = 10_000;

export interface PointSet extends SpaceShape {
  /** Points in the set: the first `sealed` are sealed into blocks, the rest sit in the store's tail. */
  readonly count: number;
  readonly sealed: number;
  /** count x dims coordinates, point after point. */
  readonly coords: Uint32Array;
  /** count x QUERY_VALUE_SIZE value bytes. */
  readonly values: Uint8Array;
  readonly keys: BigUint64Array;
}

export interface Box {
  readonly min: number[];
  readonly max: number[];
}

/** `count` distinct uniformly random points of the space (a repeat is drawn again: every engine then holds count points). */
export function makePointSet(core: Core, space: SpaceShape, sealed: number, tail: number, seed: number): PointSet {
  const { dims, bits } = space;
  const count = sealed + tail;
  const coords = new Uint32Array(count * dims);
  const keys = new BigUint64Array(count);
  const values = new Uint8Array(count * QUERY_VALUE_SIZE);
  const next = xorshift(seed);
  // A point as one double: exact in 2D; in 3D two points may share one, and the second is only
  // drawn again (no false "distinct").
  const seen = new Set<number>();
  const side = 2 ** bits;
  for (let i = 0; i < count; ) {
    const point = randomPoint(next, dims, bits);
    let packed = 0;
    for (const c of point) packed = packed * side + c;
    if (seen.has(packed)) continue;
    seen.add(packed);
    coords.set(point, i * dims);
    keys[i] = core.hilbertKeyOfNumbers(dims, bits, point);
    i++;
  }
  for (let i = 0; i < values.length; i += 4) new DataView(values.buffer).setUint32(i, next());
  return { dims, bits, count, sealed, coords, values, keys };
}

export function pointOf(set: PointSet, i: number): number[] {
  return Array.from(set.coords.subarray(i * set.dims, (i + 1) * set.dims));
}

export function valueOf(set: PointSet, i: number): Uint8Array {
  return set.values.subarray(i * QUERY_VALUE_SIZE, (i + 1) * QUERY_VALUE_SIZE);
}

/** `n` boxes each covering `fraction` of the space (a cube of side 2^bits x fraction^(1/dims)), at random corners. */
export function makeBoxes(space: SpaceShape, fraction: number, n: number, seed: number): Box[] {
  const axis = 2 ** space.bits;
  const side = Math.max(1, Math.round(axis * fraction ** (1 / space.dims)));
  const next = xorshift(seed);
  return Array.from({ length: n }, () => {
    const min = Array.from({ length: space.dims }, () => Math.floor((next() / 2 ** 32) * (axis - side + 1)));
    return { min, max: min.map((c) => c + side - 1) };
  });
}

export interface QueryEngine {
  readonly name: string;
  /** A diagnostic row (timed, not an engine: its count is not points and is not checked). */
  readonly diagnostic?: boolean;
  /** The points in the box (inclusive corners), each handed back as the engine gives it, counted. */
  count(box: Box): number | Promise<number>;
  close(): Promise<void>;
}

// --- spacelog store ---

export interface LoadedStore {
  readonly engine: QueryEngine;
  readonly store: Store;
  readonly dir: string;
  readonly loadMs: number;
  readonly sealMs: number;
  readonly sealedRecords: number;
  readonly stats: StoreCellStats;
}

async function putRange(store: Store, set: PointSet, from: number, to: number): Promise<void> {
  const pending: Array<Promise<unknown>> = [];
  for (let start = from; start < to; start += LOAD_CHUNK) {
    const end = Math.min(to, start + LOAD_CHUNK);
    const entries = [];
    for (let i = start; i < end; i++) entries.push({ point: pointOf(set, i), value: valueOf(set, i) });
    pending.push(store.putMany(SPACE_NAME, entries));
    // A few chunks in flight at once: they share fdatasyncs.
    if (pending.length >= 4) await pending.shift();
  }
  await Promise.all(pending);
}

/** The set in a store at `dir`: the sealed part, a seal, then the tail part. */
export async function loadStore(dir: string, set: PointSet): Promise<LoadedStore> {
  const startMs = performance.now();
  const store = await openStore(dir, { durability: "sync", sealRecords: QUERY_SEAL_RECORDS, sealBytes: QUERY_SEAL_BYTES });
  await store.createSpace(SPACE_NAME, { dims: set.dims, bits: set.bits });
  await putRange(store, set, 0, set.sealed);
  const sealStart = performance.now();
  const sealed = await store.seal(SPACE_NAME);
  const sealMs = performance.now() - sealStart;
  await putRange(store, set, set.sealed, set.count);
  const loadMs = performance.now() - startMs;
  const stats = storeStatsOf(store);
  if (stats.tailRecords !== set.count - set.sealed) throw new Error(`store: ${stats.tailRecords} records in the tail after the load, expected ${set.count - set.sealed} (a seal started by itself?)`);
  if (stats.seals !== 1) throw new Error(`store: ${stats.seals} seals during the load, expected 1`);
  return { engine: storeEngine(store), store, dir, loadMs, sealMs, sealedRecords: sealed.records, stats };
}

export function storeEngine(store: Store): QueryEngine {
  return {
    name: "spacelog store (blocks + tail)",
    async count(box) {
      let n = 0;
      for await (const found of store.query(SPACE_NAME, box)) if (found.value !== undefined) n++;
      return n;
    },
    close: () => store.close(),
  };
}

// --- better-sqlite3 R*Tree ---

const AXES = ["x", "y", "z"] as const;

export function loadSqliteRtree(dir: string, set: PointSet): QueryEngine {
  if (set.dims > AXES.length) throw new Error("the rtree peer takes up to 3 dims");
  const axes = AXES.slice(0, set.dims);
  const db = openSqliteFull(join(dir, "rtree.sqlite"));
  db.exec(`CREATE VIRTUAL TABLE points USING rtree(id, ${axes.map((a) => `${a}0, ${a}1`).join(", ")}, +value)`);
  const insert = db.prepare(`INSERT INTO points VALUES (?, ${axes.map(() => "?, ?").join(", ")}, ?)`);
  const insertRange = db.transaction((from: number, to: number) => {
    const args: unknown[] = new Array(2 + 2 * set.dims);
    for (let i = from; i < to; i++) {
      args[0] = i + 1;
      for (let axis = 0; axis < set.dims; axis++) {
        const c = set.coords[i * set.dims + axis];
        args[1 + 2 * axis] = c;
        args[2 + 2 * axis] = c;
      }
      args[1 + 2 * set.dims] = valueOf(set, i);
      insert.run(...args);
    }
  });
  for (let start = 0; start < set.count; start += 5 * LOAD_CHUNK) insertRange(start, Math.min(set.count, start + 5 * LOAD_CHUNK));
  const select = db.prepare(`SELECT id, ${axes.map((a) => `${a}0`).join(", ")}, value FROM points WHERE ${axes.map((a) => `${a}0 >= ? AND ${a}1 <= ?`).join(" AND ")}`).raw(true);
  return {
    name: "better-sqlite3 R*Tree (rtree, WAL, FULL)",
    count(box) {
      const args: number[] = [];
      for (let axis = 0; axis < set.dims; axis++) args.push(box.min[axis] as number, box.max[axis] as number);
      return select.all(...args).length;
    },
    async close() {
      db.close();
    },
  };
}

// --- lmdb over Hilbert key ranges ---

export interface LmdbPoints extends QueryEngine {
  /** lmdb `get` of the exact row (key and revision known): the lookup at its cheapest. */
  getExact(point: number[], revision: number): Uint8Array | undefined;
  /** The newest row of the point: a reverse getRange over its key, limit 1 (what a get at the newest revision needs). */
  getNewest(point: number[]): Uint8Array | undefined;
}

function readU32LE(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 24)) >>> 0;
}

const U64_MAX = (1n << 64n) - 1n;

export async function loadLmdb(dir: string, set: PointSet, core: Core): Promise<LmdbPoints> {
  const { dims, bits } = set;
  const db = openLmdb<Uint8Array, Uint8Array>({ path: join(dir, "lmdb"), keyEncoding: "binary", encoding: "binary", noSync: false });
  const stride = dims * 4 + QUERY_VALUE_SIZE;
  for (let start = 0; start < set.count; start += 5 * LOAD_CHUNK) {
    const end = Math.min(set.count, start + 5 * LOAD_CHUNK);
    db.transactionSync(() => {
      for (let i = start; i < end; i++) {
        const row = new Uint8Array(stride);
        const view = new DataView(row.buffer);
        for (let axis = 0; axis < dims; axis++) view.setUint32(axis * 4, set.coords[i * dims + axis] as number, true);
        row.set(valueOf(set, i), dims * 4);
        db.putSync(hilbertRevisionKey(set.keys[i] as bigint, i + 1), row);
      }
    });
  }
  await db.flushed;
  const inBox = (row: Uint8Array, box: Box): boolean => {
    for (let axis = 0; axis < dims; axis++) {
      const c = readU32LE(row, axis * 4);
      if (c < (box.min[axis] as number) || c > (box.max[axis] as number)) return false;
    }
    return true;
  };
  return {
    name: "lmdb (Hilbert ranges + exact filter)",
    count(box) {
      const { ranges, exact } = core.hilbertRanges(dims, bits, box, { rangesMax: 256 });
      let n = 0;
      for (const [from, to] of ranges) {
        for (const { value } of db.getRange({ start: hilbertRevisionKey(from, 0), end: hilbertRevisionKey(to + 1n, 0) })) {
          if (exact || inBox(value, box)) n++;
        }
      }
      return n;
    },
    getExact(point, revision) {
      const row = db.get(hilbertRevisionKey(core.hilbertKeyOfNumbers(dims, bits, point), revision));
      return row === undefined ? undefined : row.subarray(dims * 4);
    },
    getNewest(point) {
      const key = core.hilbertKeyOfNumbers(dims, bits, point);
      for (const { value } of db.getRange({ start: hilbertRevisionKey(key, U64_MAX), end: hilbertRevisionKey(key, 0), reverse: true, limit: 1 })) {
        return value.subarray(dims * 4);
      }
      return undefined;
    },
    async close() {
      await db.close();
    },
  };
}

// --- a diagnostic: the cover alone ---

/** What the store and the lmdb peer pay per box before reading anything: core.hilbertRanges at the store's budget (256). */
export function coverOnly(core: Core, space: SpaceShape): QueryEngine {
  return {
    name: "(diagnostic) core.hilbertRanges alone, rangesMax 256",
    diagnostic: true,
    count: (box) => core.hilbertRanges(space.dims, space.bits, box, { rangesMax: 256 }).ranges.length,
    async close() {},
  };
}

// --- flatbush ---

export function loadFlatbush(set: PointSet): QueryEngine {
  const { dims } = set;
  if (dims !== 2 && dims !== 3) throw new Error("the flatbush peer takes 2 or 3 dims");
  const index = new Flatbush(set.count);
  for (let i = 0; i < set.count; i++) {
    const x = set.coords[i * dims] as number;
    const y = set.coords[i * dims + 1] as number;
    index.add(x, y, x, y);
  }
  index.finish();
  return {
    name: dims === 2 ? "flatbush (in memory)" : "flatbush (in memory, x/y index + z filter)",
    count(box) {
      const [x0, y0, z0] = box.min as [number, number, number];
      const [x1, y1, z1] = box.max as [number, number, number];
      const found = dims === 2
        ? index.search(x0, y0, x1, y1)
        : index.search(x0, y0, x1, y1, (i) => {
          const z = set.coords[i * 3 + 2] as number;
          return z >= z0 && z <= z1;
        });
      let n = 0;
      for (const i of found) if (valueOf(set, i).byteLength === QUERY_VALUE_SIZE) n++;
      return n;
    },
    async close() {},
  };
}
