// The durable-append peers of `npm run bench:log`, each behind one interface: `append(value)`
// resolves only once the value is on stable storage as far as the engine can tell (an fsync or
// fdatasync covering it has returned). Every adapter gets the same chance to group-commit: the
// group-committing ones take everything queued while the previous commit was in flight.
import Database from "better-sqlite3";
import { ClassicLevel } from "classic-level";
import { open as openLmdb } from "lmdb";
import * as fs from "node:fs";
import { join } from "node:path";
import { openLog } from "../host/wal/index.js";

/** One open store under test. `append` resolves after the value is durable. */
export interface Appender {
  append(value: Uint8Array): Promise<unknown>;
  close(): Promise<void>;
}

export interface Peer {
  readonly name: string;
  /** Opens a fresh store in `dir` (an empty directory the caller removes afterwards). */
  open(dir: string): Promise<Appender>;
}

// --- a group committer shared by the peers that need one driven from JS ---

interface Queued<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Writers enqueue; one flusher commits everything queued as one batch, resolves the batch, then
 * takes the next. The flusher starts (and continues) through setImmediate, so writers whose
 * acknowledgements were just resolved have re-enqueued before the next batch is taken: without
 * that hop the first re-enqueued writer would start a batch of one and the rest would wait for
 * the batch after it (alternating batches of 1 and W-1).
 */
class GroupCommitter<T> {
  private queue: Array<Queued<T>> = [];
  private running = false;
  batches = 0;
  items = 0;

  constructor(private readonly commit: (items: T[]) => Promise<void> | void) {}

  enqueue(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    try {
      await this.commit(batch.map((q) => q.item));
      this.batches += 1;
      this.items += batch.length;
      for (const q of batch) q.resolve();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const q of batch) q.reject(failure);
    }
    if (this.queue.length > 0) setImmediate(() => void this.flush());
    else this.running = false;
  }

  /** Resolves once nothing is queued or in flight. */
  async idle(): Promise<void> {
    while (this.running) await new Promise((resolve) => setImmediate(resolve));
  }
}

// --- 1. spacelog ---

function spacelogPeer(name: string, ioThread: boolean): Peer {
  return {
    name,
    async open(dir) {
      const log = await openLog(dir, { durability: "sync", ioThread });
      return { append: (value) => log.append(value), close: () => log.close() };
    },
  };
}

export const spacelogThread = spacelogPeer("spacelog (I/O thread)", true);
export const spacelogInProcess = spacelogPeer("spacelog (in-process)", false);

// --- 2. lmdb ---

/**
 * lmdb-js (node_modules/lmdb/README.md): `put` is queued and committed in a batch transaction with
 * everything else queued in the same event turn. With `overlappingSync` (the default off Windows)
 * "the write actions return a promise for when they are committed", i.e. visible, NOT durable; the
 * flush to disk happens after the commit, outside the write lock. Durability is signalled by the
 * `flushed` promise: with `separateFlushed: true` each put's promise carries a `flushed` promise
 * "resolved when the OS reports that the transaction writes has been fully flushed to disk", for
 * that put's transaction. So a durable append is `await put(key, value).flushed`. (`db.flushed`
 * would also be durable but tracks the *latest* commit, so a writer could wait for later batches.)
 * `noSync` is left false (the default); `noSync: true` would never flush at all.
 * With `overlappingSync: false`, the put's own promise resolves after a synchronous commit (the
 * classic LMDB fsync inside the write transaction), and lmdb sets `flushed` to that same promise,
 * so awaiting `flushed` is right in both modes.
 */
function lmdbPeer(name: string, overlappingSync: boolean): Peer {
  return {
    name,
    async open(dir) {
      const db = openLmdb<Uint8Array, number>({ path: join(dir, "lmdb"), encoding: "binary", noSync: false, overlappingSync, separateFlushed: true });
      let seq = 0;
      return {
        append(value) {
          seq += 1;
          const committed = db.put(seq, value) as Promise<boolean> & { flushed?: Promise<boolean> };
          const durable = committed.flushed;
          if (durable === undefined) throw new Error("lmdb: put() returned no flushed promise; separateFlushed was ignored");
          return durable;
        },
        async close() {
          await db.flushed;
          await db.close();
        },
      };
    },
  };
}

// Both modes are measured: in trial runs on this machine overlappingSync off was 5-15% faster in
// records/s at W=16 and 256 and level at W=1; the report's ratios use the better of the two per cell.
export const lmdbSyncCommit = lmdbPeer("lmdb (overlappingSync off, put)", false);
export const lmdbOverlapping = lmdbPeer("lmdb (overlappingSync, put.flushed)", true);

// --- 3. better-sqlite3 ---

const SQLITE_SYNCHRONOUS_FULL = 2;

/**
 * better-sqlite3 in WAL mode with synchronous=FULL: every commit fsyncs the WAL before returning.
 * The API is synchronous, so it is group-committed from JS: one transaction per batch of
 * everything queued, then the batch is resolved. Checkpoints run at SQLite's defaults
 * (wal_autocheckpoint = 1000 pages), inside the commits that trigger them.
 */
export const betterSqlite: Peer = {
  name: "better-sqlite3 (WAL, FULL, txn per batch)",
  async open(dir) {
    const db = new Database(join(dir, "log.sqlite"));
    const mode: unknown = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") throw new Error(`better-sqlite3: journal_mode is ${String(mode)}, not wal`);
    db.pragma("synchronous = FULL");
    const synchronous: unknown = db.pragma("synchronous", { simple: true });
    if (synchronous !== SQLITE_SYNCHRONOUS_FULL) throw new Error(`better-sqlite3: synchronous reads back ${String(synchronous)}, not FULL (2)`);
    db.exec("CREATE TABLE log (seq INTEGER PRIMARY KEY, value BLOB NOT NULL)");
    const insert = db.prepare<[number, Uint8Array]>("INSERT INTO log (seq, value) VALUES (?, ?)");
    const insertAll = db.transaction((rows: Array<[number, Uint8Array]>) => {
      for (const row of rows) insert.run(row[0], row[1]);
    });
    const committer = new GroupCommitter<[number, Uint8Array]>((rows) => void insertAll(rows));
    let seq = 0;
    return {
      append(value) {
        seq += 1;
        return committer.enqueue([seq, value]);
      },
      async close() {
        await committer.idle();
        db.close();
      },
    };
  },
};

// --- 4. classic-level ---

function bigEndianKey(seq: number): Uint8Array {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, BigInt(seq));
  return key;
}

/**
 * classic-level (LevelDB). Group commit from JS: one `db.batch(puts, { sync: true })` per batch of
 * everything queued, which LevelDB writes to its log and fsyncs once. This beats one
 * `put(k, v, { sync: true })` per writer (classicLevelPut, measured with --variants: about 2.5x
 * slower at W=16 and 4-6x at W=256, level at W=1): concurrent puts run
 * on libuv's 4 threadpool threads, so LevelDB's own writer queue can group at most about 4 of them
 * per fsync. Snappy compression is on (the default); the values are random, so it does not help.
 */
function classicLevelPeer(name: string, grouped: boolean): Peer {
  return {
    name,
    async open(dir) {
      const db = new ClassicLevel<Uint8Array, Uint8Array>(join(dir, "level"), { keyEncoding: "view", valueEncoding: "view" });
      await db.open();
      let seq = 0;
      const committer = new GroupCommitter<[Uint8Array, Uint8Array]>((rows) =>
        db.batch(rows.map(([key, value]) => ({ type: "put" as const, key, value })), { sync: true }),
      );
      return {
        append(value) {
          seq += 1;
          const key = bigEndianKey(seq);
          return grouped ? committer.enqueue([key, value]) : db.put(key, value, { sync: true });
        },
        async close() {
          await committer.idle();
          await db.close();
        },
      };
    },
  };
}

export const classicLevelBatch = classicLevelPeer("classic-level (batch, sync)", true);
export const classicLevelPut = classicLevelPeer("classic-level (put, sync)", false);

// --- 5. the plain loop ---

function writevAt(fd: number, buffers: Uint8Array[], position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.writev(fd, buffers, position, (error, written) => (error ? reject(error) : resolve(written)));
  });
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

/**
 * What the disk allows from Node: writers push buffers; the loop writes everything queued with one
 * pwritev at the file's end, fdatasyncs, resolves the batch, repeats. No framing, no checksums, no
 * preallocation (spacelog's segments are not preallocated either), libuv threadpool for both calls.
 */
export const plainLoop: Peer = {
  name: "plain writev + fdatasync loop",
  async open(dir) {
    const fd = fs.openSync(join(dir, "plain.log"), "w");
    let offset = 0;
    const committer = new GroupCommitter<Uint8Array>(async (buffers) => {
      let total = 0;
      for (const b of buffers) total += b.byteLength;
      const written = await writevAt(fd, buffers, offset);
      // A short write to a regular file means the disk is full; a benchmark has nothing to retry.
      if (written !== total) throw new Error(`plain loop: short write ${written} of ${total} bytes`);
      offset += total;
      await fdatasync(fd);
    });
    return {
      append: (value) => committer.enqueue(value),
      async close() {
        await committer.idle();
        fs.closeSync(fd);
      },
    };
  },
};
