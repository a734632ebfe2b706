// The durable writers of `npm run bench:store` (cells 1 and 2), each behind one interface: `put`
// resolves once one point is on stable storage as far as the engine can tell, `write` once a
// batch of points is, atomically. The JS-driven peers group-commit everything queued while the
// previous commit was in flight (store-bench-util.ts GroupCommitter, as in bench/log-peers.ts).
//
// Every peer but the log keeps the same thing: the point's Hilbert key, its revision and its value,
// indexed by key. lmdb and classic-level key rows by the 16-byte big-endian (Hilbert key, revision),
// better-sqlite3 by an index on the key column; the Hilbert key comes from the core
// (hilbertKeyOfNumbers: the core's hilbertKey for number coordinates, as the store computes it).
// spacelog's log is the ceiling: it appends exactly the bytes the store's hot segment frames, the
// 29-byte put header (type, revision, batchEnd, spaceId, key) then the value, and indexes nothing.
import Database from "better-sqlite3";
import { ClassicLevel } from "classic-level";
import { open as openLmdb } from "lmdb";
import { join } from "node:path";
import { type Core } from "../host/core/index.js";
import { type BatchOp, type Store, type StoreOptions, open as openStore } from "../host/store/index.js";
import { openLog } from "../host/wal/index.js";
import { GroupCommitter, hilbertRevisionKey } from "./store-bench-util.js";

export interface SpaceShape {
  readonly dims: number;
  readonly bits: number;
}

export interface PointEntry {
  readonly point: number[];
  readonly value: Uint8Array;
}

/** The store's counters after a cell (Store.stats()). */
export interface StoreCellStats {
  readonly seals: number;
  readonly direct: number;
  readonly staged: number;
  readonly promoted: number;
  readonly blocks: number;
  readonly tailRecords: number;
  /** The thresholds the store ran with (its options, resolved). */
  readonly sealRecords: number;
  readonly sealBytes: number;
}

export interface PointWriter {
  /** Resolves once the point is durable. */
  put(point: number[], value: Uint8Array): Promise<unknown>;
  /** Resolves once every entry is durable, written as one atomic batch. */
  write(entries: readonly PointEntry[]): Promise<unknown>;
  /** The store's counters; null for the other peers. */
  stats(): StoreCellStats | null;
  close(): Promise<void>;
}

export interface WriterPeer {
  readonly name: string;
  /** Opens a fresh engine in `dir` (an empty directory the caller removes afterwards). */
  open(dir: string, space: SpaceShape, core: Core): Promise<PointWriter>;
}

export const SPACE_NAME = "bench";

export function storeStatsOf(store: Store): StoreCellStats {
  const s = store.stats();
  return {
    seals: s.seals, direct: s.records.direct, staged: s.records.staged, promoted: s.records.promoted, blocks: s.blocks, tailRecords: s.tailRecords,
    sealRecords: store.options.sealRecords, sealBytes: store.options.sealBytes,
  };
}

// --- 1. spacelog's store ---

function spacelogStorePeer(name: string, options: StoreOptions): WriterPeer {
  return {
    name,
    async open(dir, space) {
      const store = await openStore(join(dir, "store"), { durability: "sync", ...options });
      await store.createSpace(SPACE_NAME, { dims: space.dims, bits: space.bits });
      let last: StoreCellStats | null = null;
      return {
        put: (point, value) => store.put(SPACE_NAME, point, value),
        write(entries) {
          const batch: BatchOp[] = new Array<BatchOp>(entries.length);
          for (let i = 0; i < entries.length; i++) {
            const entry = entries[i] as PointEntry;
            batch[i] = { put: SPACE_NAME, point: entry.point, value: entry.value };
          }
          return store.write(batch);
        },
        stats: () => last ?? storeStatsOf(store),
        async close() {
          // The counters as the window ended (stats() refuses once closed; close waits for a seal in flight).
          last = storeStatsOf(store);
          await store.close();
        },
      };
    },
  };
}

/** The store at its defaults (seals start by themselves during long cells, at the default thresholds). */
export const spacelogStore = spacelogStorePeer("spacelog store", {});
export const spacelogStoreInProcess = spacelogStorePeer("spacelog store (in-process)", { ioThread: false });

// --- 2. lmdb ---

/**
 * As bench/log-peers.ts: `put` is queued and committed with everything queued in the same event
 * turn; with `separateFlushed: true` each put's promise carries a `flushed` promise resolved once
 * that put's transaction is on disk, which is what a writer awaits. A batch is its puts made in one
 * synchronous loop: lmdb commits every put of one event turn in one transaction (README,
 * "Asynchronous Transaction Ordering"), so the batch is atomic, and its last put's `flushed`
 * covers all of it.
 */
function lmdbPeer(name: string, overlappingSync: boolean): WriterPeer {
  return {
    name,
    async open(dir, space, core) {
      const db = openLmdb<Uint8Array, Uint8Array>({
        path: join(dir, "lmdb"), keyEncoding: "binary", encoding: "binary", noSync: false, overlappingSync, separateFlushed: true,
      });
      let revision = 0;
      const putOne = (point: number[], value: Uint8Array): Promise<boolean> => {
        revision += 1;
        const key = hilbertRevisionKey(core.hilbertKeyOfNumbers(space.dims, space.bits, point), revision);
        const committed = db.put(key, value) as Promise<boolean> & { flushed?: Promise<boolean> };
        const durable = committed.flushed;
        if (durable === undefined) throw new Error("lmdb: put() returned no flushed promise; separateFlushed was ignored");
        return durable;
      };
      return {
        put: putOne,
        write(entries) {
          let last: Promise<boolean> | null = null;
          for (const entry of entries) last = putOne(entry.point, entry.value);
          return last ?? Promise.resolve(true);
        },
        stats: () => null,
        async close() {
          await db.flushed;
          await db.close();
        },
      };
    },
  };
}

export const lmdbSyncCommit = lmdbPeer("lmdb (overlappingSync off)", false);
export const lmdbOverlapping = lmdbPeer("lmdb (overlappingSync, flushed)", true);

// --- 3. better-sqlite3 ---

const SQLITE_SYNCHRONOUS_FULL = 2;

/** WAL and synchronous=FULL, both read back: every commit fsyncs the WAL before it returns. */
export function openSqliteFull(file: string): Database.Database {
  const db = new Database(file);
  const mode: unknown = db.pragma("journal_mode = WAL", { simple: true });
  if (mode !== "wal") throw new Error(`better-sqlite3: journal_mode is ${String(mode)}, not wal`);
  db.pragma("synchronous = FULL");
  const synchronous: unknown = db.pragma("synchronous", { simple: true });
  if (synchronous !== SQLITE_SYNCHRONOUS_FULL) throw new Error(`better-sqlite3: synchronous reads back ${String(synchronous)}, not FULL (2)`);
  return db;
}

type SqliteRow = [bigint, number, Uint8Array];

/**
 * A table (hkey INTEGER, rev INTEGER, value BLOB) with an index on hkey. The API is synchronous,
 * so it is group-committed from JS: one transaction per batch of everything queued (a put is one
 * row, a write its rows), then the batch is resolved.
 */
export const betterSqlite: WriterPeer = {
  name: "better-sqlite3 (WAL, FULL, txn per batch)",
  async open(dir, space, core) {
    const db = openSqliteFull(join(dir, "points.sqlite"));
    db.exec("CREATE TABLE points (hkey INTEGER NOT NULL, rev INTEGER NOT NULL, value BLOB NOT NULL); CREATE INDEX points_hkey ON points (hkey)");
    const insert = db.prepare<SqliteRow>("INSERT INTO points (hkey, rev, value) VALUES (?, ?, ?)");
    const insertAll = db.transaction((groups: SqliteRow[][]) => {
      for (const rows of groups) for (const row of rows) insert.run(row[0], row[1], row[2]);
    });
    const committer = new GroupCommitter<SqliteRow[]>((groups) => void insertAll(groups));
    let revision = 0;
    const rowOf = (point: number[], value: Uint8Array): SqliteRow => [core.hilbertKeyOfNumbers(space.dims, space.bits, point), ++revision, value];
    return {
      put: (point, value) => committer.enqueue([rowOf(point, value)]),
      write: (entries) => committer.enqueue(entries.map((entry) => rowOf(entry.point, entry.value))),
      stats: () => null,
      async close() {
        await committer.idle();
        db.close();
      },
    };
  },
};

// --- 4. classic-level ---

type LevelPut = { readonly type: "put"; readonly key: Uint8Array; readonly value: Uint8Array };

/**
 * classic-level (LevelDB): one `db.batch(puts, { sync: true })` per batch of everything queued,
 * written to LevelDB's log and fsynced once (bench/log-peers.ts measured this 2.5-6x ahead of one
 * sync put per writer at W=16/256).
 */
export const classicLevel: WriterPeer = {
  name: "classic-level (batch, sync)",
  async open(dir, space, core) {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(join(dir, "level"), { keyEncoding: "view", valueEncoding: "view" });
    await db.open();
    const committer = new GroupCommitter<LevelPut[]>((groups) => db.batch(groups.flat(), { sync: true }));
    let revision = 0;
    const putOf = (point: number[], value: Uint8Array): LevelPut =>
      ({ type: "put", key: hilbertRevisionKey(core.hilbertKeyOfNumbers(space.dims, space.bits, point), ++revision), value });
    return {
      put: (point, value) => committer.enqueue([putOf(point, value)]),
      write: (entries) => committer.enqueue(entries.map((entry) => putOf(entry.point, entry.value))),
      stats: () => null,
      async close() {
        await committer.idle();
        await db.close();
      },
    };
  },
};

// --- 5. spacelog's log: the ceiling ---

/** The store's put record without its value (host/store/store-record.ts, docs/FORMAT.md "Store records"). */
export const PUT_HEADER_SIZE = 29;

/**
 * openLog with the store's defaults (durability "sync", the I/O thread): each put appends one
 * entry of the store's put record bytes, header and value; a batch appends one entry per point and
 * awaits them all (the log acknowledges in order). No index, no live tail, no seal.
 */
export const spacelogLog: WriterPeer = {
  name: "spacelog log (same bytes, ceiling)",
  async open(dir, space, core) {
    const log = await openLog(join(dir, "log"), { durability: "sync" });
    let revision = 0n;
    const recordOf = (point: number[], value: Uint8Array, batchEnd: bigint | null): Uint8Array => {
      revision += 1n;
      const bytes = new Uint8Array(PUT_HEADER_SIZE + value.byteLength);
      const view = new DataView(bytes.buffer);
      view.setUint8(0, 16);
      view.setBigUint64(1, revision, true);
      view.setBigUint64(9, batchEnd ?? revision, true);
      view.setUint32(17, 1, true);
      view.setBigUint64(21, core.hilbertKeyOfNumbers(space.dims, space.bits, point), true);
      bytes.set(value, PUT_HEADER_SIZE);
      return bytes;
    };
    return {
      put: (point, value) => log.append(recordOf(point, value, null)),
      write(entries) {
        const batchEnd = revision + BigInt(entries.length);
        const appended = new Array<Promise<bigint>>(entries.length);
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i] as PointEntry;
          appended[i] = log.append(recordOf(entry.point, entry.value, batchEnd));
        }
        return Promise.all(appended);
      },
      stats: () => null,
      close: () => log.close(),
    };
  },
};
