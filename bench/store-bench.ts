// `npm run bench:store`: the store against its peers, in one process and one run; writes the
// "store" section of BENCHMARKS.md (bench/store-report.ts). The cells:
//   1. durable puts: W = 1, 16, 256 writers, each awaiting its own acknowledgement, 128 B values,
//      random 3D points (bits 20): the store against lmdb, better-sqlite3, classic-level and the
//      store's own log with the same bytes (bench/store-peers.ts);
//   2. durable batches of 1000 points (the store's `write`, the peers' 1000-row transactions), by
//      B = 1 and 16 concurrent batch writers;
//   3. box queries on uniformly random 2D and 3D points (sealed, plus 10% in the live tail) covering
//      0.01%, 1% and 10% of the space, against better-sqlite3's R*Tree, lmdb over Hilbert key ranges
//      and flatbush (bench/store-query-peers.ts), every engine's count asserted per box;
//   4. get latency, from blocks and from the tail, against lmdb;
//   5. seal throughput (1 M records of 128 B, sorted and written durably);
//   6. open time of a store holding 1 M points (close, then reopen).
// Targets (the store issue): W=256 puts >= 2x the best of lmdb and better-sqlite3 and >= 0.8x the
// log; batches >= 2 M points/s; queries >= 2x R*Tree at each size and within 3x of flatbush at
// 0.01%; open <= 1 s.
//
// Options: --quick (small sizes, one run, short windows: a smoke test; its section says so),
// --runs=N (3), --warm-ms=N (300), --measure-ms=N (2000, cells 1 and 2), --query-ms=N (1000, cells
// 3 and 4), --points=N (1000000, the query set's sealed points), --seal-points=N (1000000),
// --variants (adds the store with ioThread: false to cells 1 and 2), --no-write (print only), and
// --cells=puts,batches,queries,gets,seal (implies --no-write).
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { type Core, loadCore } from "../host/core/index.js";
import { type Store, open as openStore } from "../host/store/index.js";
import { writeSection } from "./bench-harness.js";
import { Latencies, ms, rate, randomPoint, xorshift } from "./store-bench-util.js";
import {
  type PointEntry, type PointWriter, SPACE_NAME, type WriterPeer, betterSqlite, classicLevel, lmdbOverlapping, lmdbSyncCommit,
  spacelogLog, spacelogStore, spacelogStoreInProcess, storeStatsOf,
} from "./store-peers.js";
import {
  type Box, type LmdbPoints, type PointSet, type QueryEngine, QUERY_SEAL_BYTES, QUERY_SEAL_RECORDS, QUERY_VALUE_SIZE, loadFlatbush, loadLmdb, loadSqliteRtree,
  coverOnly, loadStore, makeBoxes, makePointSet, pointOf, storeEngine, valueOf,
} from "./store-query-peers.js";
import {
  BATCH_POOL, BATCH_SIZE, BATCH_WRITER_COUNTS, type GetRun, QUERY_BITS, QUERY_DIMS, QUERY_FRACTIONS, type QueryRun, Results, type Settings, type WriteRun, VALUE_SIZE, WRITER_COUNTS, reportBody,
} from "./store-report.js";

const SPACE_3D = { dims: 3, bits: 20 } as const;
const VALUE_POOL = 64;
const CELLS = ["puts", "batches", "queries", "gets", "seal"] as const;
type CellName = (typeof CELLS)[number];

function parseSettings(argv: readonly string[]): Settings & { readonly cells: readonly CellName[] } {
  const quick = argv.includes("--quick");
  const number = (name: string, fallback: number): number => {
    const arg = argv.find((a) => a.startsWith(`--${name}=`));
    if (arg === undefined) return fallback;
    const value = Number(arg.slice(name.length + 3));
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} takes a positive integer; got ${arg}`);
    return value;
  };
  const cellsArg = argv.find((a) => a.startsWith("--cells="));
  const cells = cellsArg === undefined ? [...CELLS] : cellsArg.slice(8).split(",").map((c) => {
    if (!(CELLS as readonly string[]).includes(c)) throw new Error(`--cells takes values among ${CELLS.join(",")}; got ${c}`);
    return c as CellName;
  });
  const known = ["--quick", "--variants", "--no-write", "--runs=", "--warm-ms=", "--measure-ms=", "--query-ms=", "--points=", "--seal-points=", "--cells="];
  for (const arg of argv) if (!known.some((k) => (k.endsWith("=") ? arg.startsWith(k) : arg === k))) throw new Error(`unknown option ${arg}; the options are ${known.join(" ")}`);
  return {
    quick,
    cells,
    runs: number("runs", quick ? 1 : 3),
    warmMs: number("warm-ms", quick ? 100 : 300),
    measureMs: number("measure-ms", quick ? 300 : 2000),
    queryMs: number("query-ms", quick ? 150 : 1000),
    points: number("points", quick ? 20_000 : 1_000_000),
    sealPoints: number("seal-points", quick ? 50_000 : 1_000_000),
    boxesPerSize: quick ? 8 : 32,
    getSamples: quick ? 500 : 5000,
    variants: argv.includes("--variants"),
    write: !argv.includes("--no-write") && cellsArg === undefined,
  };
}

/** 30 ms of idle event loop (monitorEventLoopDelay records a stall only once its timer fires after it). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 30));
}

function freshDir(): string {
  return fs.mkdtempSync(join(os.tmpdir(), "spacelog-store-bench-"));
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

let benchStartMs = 0;
function log(line: string): void {
  console.log(`[${((performance.now() - benchStartMs) / 1000).toFixed(0)} s] ${line}`);
}

// --- cells 1 and 2: durable writes ---

interface WriteWindow {
  readonly startMs: number;
  readonly endMs: number;
}

async function putLoop(writer: PointWriter, values: readonly Uint8Array[], id: number, window: WriteWindow, latencies: Latencies): Promise<void> {
  const next = xorshift(0x5eed + id * 7919);
  for (let i = id; ; i++) {
    const point = randomPoint(next, SPACE_3D.dims, SPACE_3D.bits);
    const sentMs = performance.now();
    if (sentMs >= window.endMs) return;
    await writer.put(point, values[i % VALUE_POOL] as Uint8Array);
    const ackedMs = performance.now();
    // Counted: acknowledgements inside the window; warm-up ones are dropped.
    if (ackedMs >= window.startMs && ackedMs < window.endMs) latencies.add(ackedMs - sentMs);
  }
}

async function batchLoop(writer: PointWriter, batches: readonly PointEntry[][], id: number, writers: number, window: WriteWindow, latencies: Latencies): Promise<void> {
  for (let i = id; ; i += writers) {
    const sentMs = performance.now();
    if (sentMs >= window.endMs) return;
    await writer.write(batches[i % batches.length] as PointEntry[]);
    const ackedMs = performance.now();
    if (ackedMs >= window.startMs && ackedMs < window.endMs) latencies.add(ackedMs - sentMs);
  }
}

async function runWriteCell(peer: WriterPeer, kind: "put" | "batch", writers: number, settings: Settings, core: Core,
  values: readonly Uint8Array[], batches: readonly PointEntry[][]): Promise<WriteRun> {
  const dir = freshDir();
  try {
    const writer = await peer.open(dir, SPACE_3D, core);
    const latencies = new Latencies();
    // The longest the event loop went without a turn: the writers' thread blocked (a seal's plan runs on it).
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    const startMs = performance.now() + settings.warmMs;
    const window: WriteWindow = { startMs, endMs: startMs + settings.measureMs };
    try {
      await Promise.all(Array.from({ length: writers }, (_, id) =>
        kind === "put" ? putLoop(writer, values, id, window, latencies) : batchLoop(writer, batches, id, writers, window, latencies)));
    } finally {
      // A stall is recorded when the histogram's timer fires after it: give it one more turn.
      await settle();
      stalls.disable();
      await writer.close();
    }
    const [p50Ms, p99Ms] = latencies.percentiles([0.5, 0.99]);
    const units = kind === "put" ? latencies.count : latencies.count * BATCH_SIZE;
    return { rate: units / (settings.measureMs / 1000), p50Ms: p50Ms ?? Number.NaN, p99Ms: p99Ms ?? Number.NaN, maxStallMs: stalls.max / 1e6, stats: writer.stats() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function writeCells(results: Results, settings: Settings & { readonly cells: readonly CellName[] }, core: Core): Promise<void> {
  const peers: WriterPeer[] = [spacelogStore, ...(settings.variants ? [spacelogStoreInProcess] : []), lmdbSyncCommit, lmdbOverlapping, betterSqlite, classicLevel, spacelogLog];
  results.writePeers = peers.map((p) => p.name);
  const values = Array.from({ length: VALUE_POOL }, () => new Uint8Array(randomBytes(VALUE_SIZE)));
  const next = xorshift(0xba7c4);
  const batches = Array.from({ length: BATCH_POOL }, (_, b) =>
    Array.from({ length: BATCH_SIZE }, (_, i): PointEntry => ({ point: randomPoint(next, SPACE_3D.dims, SPACE_3D.bits), value: values[(b + i) % VALUE_POOL] as Uint8Array })));
  const plan: Array<{ kind: "put" | "batch"; writers: number }> = [
    ...(settings.cells.includes("puts") ? WRITER_COUNTS.map((writers) => ({ kind: "put" as const, writers })) : []),
    ...(settings.cells.includes("batches") ? BATCH_WRITER_COUNTS.map((writers) => ({ kind: "batch" as const, writers })) : []),
  ];
  // Runs outermost and the peer order rotated per run, as in bench/log-bench.ts: the disk's slow
  // and fast spells spread over every peer alike.
  for (let run = 1; run <= settings.runs; run++) {
    const order = peers.map((_, i) => peers[(i + run - 1) % peers.length] as WriterPeer);
    for (const { kind, writers } of plan) {
      for (const peer of order) {
        const cell = results.writeCell(kind, peer.name, writers);
        if (cell.error !== null) continue;
        try {
          const r = await runWriteCell(peer, kind, writers, settings, core, values, batches);
          cell.runs.push(r);
          const stats = r.stats === null ? "" : `; store: ${r.stats.seals} seals, ${r.stats.direct} direct, ${r.stats.staged} staged, ${r.stats.promoted} promoted`;
          log(`run ${run}/${settings.runs} ${kind === "put" ? `puts W=${writers}` : `batches of ${BATCH_SIZE}, B=${writers}`} ${peer.name}: ${rate(r.rate)} ${kind === "put" ? "puts" : "points"}/s, p50 ${ms(r.p50Ms)} ms, p99 ${ms(r.p99Ms)} ms, longest loop stall ${ms(r.maxStallMs)} ms${stats}`);
        } catch (error) {
          cell.error = errorText(error);
          log(`${kind} W=${writers} ${peer.name}: FAILED: ${cell.error}`);
        }
      }
    }
  }
}

// --- cells 3 and 4: queries and gets ---

function bruteCount(set: PointSet, box: Box): number {
  let n = 0;
  const { dims, coords } = set;
  outer: for (let i = 0; i < set.count; i++) {
    for (let axis = 0; axis < dims; axis++) {
      const c = coords[i * dims + axis] as number;
      if (c < (box.min[axis] as number) || c > (box.max[axis] as number)) continue outer;
    }
    n++;
  }
  return n;
}

async function runQueryCell(engine: QueryEngine, boxes: readonly Box[], windowMs: number): Promise<QueryRun> {
  await engine.count(boxes[0] as Box);
  let queries = 0;
  let points = 0;
  const startMs = performance.now();
  let nowMs = startMs;
  do {
    points += await engine.count(boxes[queries % boxes.length] as Box);
    queries++;
    nowMs = performance.now();
  } while (nowMs - startMs < windowMs);
  const seconds = (nowMs - startMs) / 1000;
  return { queriesPerS: queries / seconds, pointsPerS: points / seconds };
}

type Lookup = (i: number) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lookups of `samples` one after another (each awaited) for `windowMs`; the first pass checks every value. */
async function runGetCell(lookup: Lookup, set: PointSet, samples: readonly number[], windowMs: number, check: boolean): Promise<GetRun> {
  if (check) {
    for (const i of samples) {
      const r = lookup(i);
      const found = r instanceof Promise ? await r : r;
      if (found === undefined || !sameBytes(found, valueOf(set, i))) throw new Error(`get of point ${i} (${pointOf(set, i).join(", ")}) returned ${found === undefined ? "nothing" : "a different value"}`);
    }
  }
  const latencies = new Latencies();
  const startMs = performance.now();
  let nowMs = startMs;
  for (let k = 0; nowMs - startMs < windowMs; k++) {
    const t0 = performance.now();
    const r = lookup(samples[k % samples.length] as number);
    const found = r instanceof Promise ? await r : r;
    nowMs = performance.now();
    if (found === undefined) throw new Error("a get found nothing");
    latencies.add(nowMs - t0);
  }
  const [p50Ms, p99Ms] = latencies.percentiles([0.5, 0.99]);
  return { p50Ms: p50Ms ?? Number.NaN, p99Ms: p99Ms ?? Number.NaN, perS: latencies.count / ((nowMs - startMs) / 1000) };
}

async function timedOpen(dir: string): Promise<{ store: Store; openMs: number }> {
  const t0 = performance.now();
  const store = await openStore(dir, { durability: "sync", sealRecords: QUERY_SEAL_RECORDS, sealBytes: QUERY_SEAL_BYTES });
  return { store, openMs: performance.now() - t0 };
}

async function queryCells(results: Results, settings: Settings & { readonly cells: readonly CellName[] }, core: Core): Promise<void> {
  for (const dims of QUERY_DIMS) {
    const wantGets = settings.cells.includes("gets") && dims === 3;
    const wantReopen = settings.cells.includes("seal") && dims === 3;
    if (!settings.cells.includes("queries") && !wantGets && !wantReopen) continue;
    const space = { dims, bits: QUERY_BITS };
    const tail = Math.round(settings.points / 10);
    let t0 = performance.now();
    const set = makePointSet(core, space, settings.points, tail, 0xd1 + dims);
    log(`${dims}D: ${set.count} distinct points made in ${(performance.now() - t0).toFixed(0)} ms`);
    const dir = freshDir();
    const engines: QueryEngine[] = [];
    let storeDir = "";
    let lmdb: LmdbPoints | null = null;
    let store: Store | null = null;
    let storeQueries: QueryEngine | null = null;
    try {
      const loaded = await loadStore(join(dir, "store"), set);
      store = loaded.store;
      storeDir = loaded.dir;
      storeQueries = loaded.engine;
      engines.push(loaded.engine);
      results.queryLoads.push({ dims, engine: loaded.engine.name, loadMs: loaded.loadMs, note: `seal of ${loaded.sealedRecords} records ${loaded.sealMs.toFixed(0)} ms; ${loaded.stats.blocks} block(s), ${loaded.stats.tailRecords} in the tail` });
      log(`${dims}D store loaded in ${loaded.loadMs.toFixed(0)} ms (seal ${loaded.sealMs.toFixed(0)} ms, ${loaded.stats.blocks} blocks, ${loaded.stats.tailRecords} tail records)`);
      if (settings.cells.includes("queries")) {
        t0 = performance.now();
        const rtree = loadSqliteRtree(dir, set);
        engines.push(rtree);
        results.queryLoads.push({ dims, engine: rtree.name, loadMs: performance.now() - t0, note: "" });
        log(`${dims}D rtree loaded in ${(performance.now() - t0).toFixed(0)} ms`);
      }
      if (settings.cells.includes("queries") || wantGets) {
        t0 = performance.now();
        lmdb = await loadLmdb(dir, set, core);
        engines.push(lmdb);
        results.queryLoads.push({ dims, engine: lmdb.name, loadMs: performance.now() - t0, note: "" });
        log(`${dims}D lmdb loaded in ${(performance.now() - t0).toFixed(0)} ms`);
      }
      if (settings.cells.includes("queries")) {
        t0 = performance.now();
        const flat = loadFlatbush(set);
        engines.push(flat);
        results.queryLoads.push({ dims, engine: flat.name, loadMs: performance.now() - t0, note: "" });
      }
      if (settings.cells.includes("queries")) engines.push(coverOnly(core, space));
      results.queryEngines[dims] = engines.map((e) => e.name);

      if (settings.cells.includes("queries")) {
        const boxSets = QUERY_FRACTIONS.map((fraction, f) => makeBoxes(space, fraction, settings.boxesPerSize, 0xb0c5 + dims * 10 + f));
        // Every engine's count, per box, against a brute-force count: asserted before anything is timed.
        for (let f = 0; f < QUERY_FRACTIONS.length; f++) {
          const boxes = boxSets[f] as Box[];
          let total = 0;
          for (const box of boxes) {
            const expected = bruteCount(set, box);
            for (const engine of engines) {
              if (engine.diagnostic === true) continue;
              const got = await engine.count(box);
              if (got !== expected) throw new Error(`${dims}D box ${JSON.stringify(box)}: ${engine.name} counts ${got} points, a brute-force scan ${expected}`);
            }
            total += expected;
          }
          results.queryPoints.set(`${dims}/${QUERY_FRACTIONS[f]}`, total / boxes.length);
          log(`${dims}D ${QUERY_FRACTIONS[f]! * 100}% boxes: every engine agrees on every box (mean ${(total / boxes.length).toFixed(1)} points)`);
        }
        for (let run = 1; run <= settings.runs; run++) {
          const order = engines.map((_, i) => engines[(i + run - 1) % engines.length] as QueryEngine);
          for (let f = 0; f < QUERY_FRACTIONS.length; f++) {
            for (const engine of order) {
              const cell = results.queryCell(dims, QUERY_FRACTIONS[f] as number, engine.name);
              if (cell.error !== null) continue;
              try {
                const r = await runQueryCell(engine, boxSets[f] as Box[], settings.queryMs);
                cell.runs.push(r);
                log(`run ${run}/${settings.runs} ${dims}D ${QUERY_FRACTIONS[f]! * 100}% ${engine.name}: ${rate(r.queriesPerS)} queries/s, ${rate(r.pointsPerS)} ${engine.diagnostic === true ? "ranges" : "points"}/s`);
              } catch (error) {
                cell.error = errorText(error);
                log(`${dims}D ${QUERY_FRACTIONS[f]} ${engine.name}: FAILED: ${cell.error}`);
              }
            }
          }
        }
      }

      if (wantGets && lmdb !== null && store !== null) {
        const next = xorshift(0x6e7);
        const sealedSamples = Array.from({ length: settings.getSamples }, () => next() % set.sealed);
        const tailSamples = Array.from({ length: settings.getSamples }, () => set.sealed + (next() % (set.count - set.sealed)));
        const theStore = store;
        const theLmdb = lmdb;
        const lookups: Array<{ engine: string; lookup: Lookup }> = [
          { engine: "spacelog store get", lookup: (i) => theStore.get(SPACE_NAME, pointOf(set, i)) },
          { engine: "lmdb get (exact key: Hilbert key + revision)", lookup: (i) => theLmdb.getExact(pointOf(set, i), i + 1) },
          { engine: "lmdb newest version (reverse getRange, limit 1)", lookup: (i) => theLmdb.getNewest(pointOf(set, i)) },
        ];
        results.getEngines = lookups.map((l) => l.engine);
        for (let run = 1; run <= settings.runs; run++) {
          for (const source of ["blocks", "tail"] as const) {
            for (const { engine, lookup } of lookups) {
              const cell = results.getCell(source, engine);
              if (cell.error !== null) continue;
              try {
                const r = await runGetCell(lookup, set, source === "blocks" ? sealedSamples : tailSamples, settings.queryMs / 2, run === 1);
                cell.runs.push(r);
                log(`run ${run}/${settings.runs} get from ${source} ${engine}: p50 ${(r.p50Ms * 1000).toFixed(1)} µs, p99 ${(r.p99Ms * 1000).toFixed(1)} µs, ${rate(r.perS)}/s`);
              } catch (error) {
                cell.error = errorText(error);
                log(`get from ${source} ${engine}: FAILED: ${cell.error}`);
              }
            }
          }
        }
      }

      // Cell 6, the query set's store: close, reopen (replaying the tail), runs times.
      if (wantReopen && store !== null) {
        const label = `${set.sealed} sealed points + ${set.count - set.sealed} in the tail (${QUERY_VALUE_SIZE} B values)`;
        for (let run = 1; run <= settings.runs; run++) {
          const closing = engines.findIndex((e) => e === storeQueries);
          engines.splice(closing, 1);
          await store.close();
          store = null;
          const opened = await timedOpen(storeDir);
          store = opened.store;
          storeQueries = storeEngine(store);
          engines.unshift(storeQueries);
          const report = store.stats().recovery;
          if (report.tailRecords !== set.count - set.sealed) throw new Error(`reopen: ${report.tailRecords} tail records recovered, expected ${set.count - set.sealed}`);
          results.openRuns(label).push({ openMs: opened.openMs, blocks: report.blocks, tailRecords: report.tailRecords });
          log(`run ${run}/${settings.runs} open of ${label}: ${opened.openMs.toFixed(1)} ms (${report.blocks} blocks, ${report.tailRecords} tail records replayed)`);
        }
      }
    } finally {
      for (const engine of engines) await engine.close().catch((error: unknown) => log(`closing ${engine.name}: ${errorText(error)}`));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

// --- cells 5 and 6: seal and open ---

async function sealCells(results: Results, settings: Settings): Promise<void> {
  const n = settings.sealPoints;
  const tail = Math.round(n / 10);
  const next = xorshift(0x5ea1);
  const values = Array.from({ length: VALUE_POOL }, () => new Uint8Array(randomBytes(VALUE_SIZE)));
  const points = Array.from({ length: n + tail }, () => randomPoint(next, SPACE_3D.dims, SPACE_3D.bits));
  const putAll = async (store: Store, from: number, to: number): Promise<void> => {
    const pending: Array<Promise<unknown>> = [];
    for (let start = from; start < to; start += 10_000) {
      const entries: PointEntry[] = [];
      for (let i = start; i < Math.min(to, start + 10_000); i++) entries.push({ point: points[i] as number[], value: values[i % VALUE_POOL] as Uint8Array });
      pending.push(store.putMany(SPACE_NAME, entries));
      if (pending.length >= 4) await pending.shift();
    }
    await Promise.all(pending);
  };
  for (let run = 1; run <= settings.runs; run++) {
    const dir = join(freshDir(), "store");
    let store: Store | null = null;
    try {
      store = (await timedOpen(dir)).store;
      await store.createSpace(SPACE_NAME, SPACE_3D);
      let t0 = performance.now();
      await putAll(store, 0, n);
      const loadMs = performance.now() - t0;
      const stalls = monitorEventLoopDelay({ resolution: 10 });
      stalls.enable();
      t0 = performance.now();
      const sealed = await store.seal(SPACE_NAME);
      const sealMs = performance.now() - t0;
      await settle();
      stalls.disable();
      const stats = storeStatsOf(store);
      if (sealed.records !== n || stats.seals !== 1 || stats.tailRecords !== 0) {
        throw new Error(`seal: ${sealed.records} records sealed (expected ${n}), ${stats.seals} seals, ${stats.tailRecords} left in the tail`);
      }
      results.sealRuns.push({ records: sealed.records, sealMs, blocks: sealed.blocks, loadPointsPerS: n / (loadMs / 1000), maxStallMs: stalls.max / 1e6 });
      log(`run ${run}/${settings.runs} seal of ${n} records (${VALUE_SIZE} B): ${sealMs.toFixed(0)} ms = ${rate(n / (sealMs / 1000))} records/s into ${sealed.blocks} block(s), longest loop stall ${ms(stalls.max / 1e6)} ms; the load (putMany of 10 000, 4 in flight) ${rate(n / (loadMs / 1000))} points/s`);
      await store.close();
      store = null;
      let opened = await timedOpen(dir);
      store = opened.store;
      let report = store.stats().recovery;
      const sealedLabel = `${n} sealed points (${VALUE_SIZE} B values)`;
      results.openRuns(sealedLabel).push({ openMs: opened.openMs, blocks: report.blocks, tailRecords: report.tailRecords });
      log(`run ${run}/${settings.runs} open of ${sealedLabel}: ${opened.openMs.toFixed(1)} ms (${report.blocks} blocks, ${report.tailRecords} tail records)`);
      await putAll(store, n, n + tail);
      await store.close();
      store = null;
      opened = await timedOpen(dir);
      store = opened.store;
      report = store.stats().recovery;
      if (report.tailRecords !== tail) throw new Error(`reopen: ${report.tailRecords} tail records recovered, expected ${tail}`);
      const tailLabel = `${n} sealed points + ${tail} in the tail (${VALUE_SIZE} B values)`;
      results.openRuns(tailLabel).push({ openMs: opened.openMs, blocks: report.blocks, tailRecords: report.tailRecords });
      log(`run ${run}/${settings.runs} open of ${tailLabel}: ${opened.openMs.toFixed(1)} ms (${report.blocks} blocks, ${report.tailRecords} tail records replayed)`);
    } catch (error) {
      results.sealError = errorText(error);
      log(`seal/open: FAILED: ${results.sealError}`);
      break;
    } finally {
      await store?.close().catch(() => undefined);
      fs.rmSync(join(dir, ".."), { recursive: true, force: true });
    }
  }
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  benchStartMs = performance.now();
  const started = new Date().toISOString().slice(0, 10);
  const core = await loadCore();
  const results = new Results();
  log(`settings: ${JSON.stringify(settings)}`);
  if (settings.cells.includes("puts") || settings.cells.includes("batches")) await writeCells(results, settings, core);
  if (settings.cells.includes("queries") || settings.cells.includes("gets") || settings.cells.includes("seal")) await queryCells(results, settings, core);
  if (settings.cells.includes("seal")) await sealCells(results, settings);
  const totalS = (performance.now() - benchStartMs) / 1000;
  const body = reportBody(results, settings, started, totalS);
  if (settings.write) writeSection("BENCHMARKS.md", "store", body);
  console.log("");
  console.log(body);
}

await main();
