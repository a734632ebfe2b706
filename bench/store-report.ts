// The results of `npm run bench:store` (bench/store-bench.ts) and the BENCHMARKS.md section made of
// them: medians and min..max over the runs of each cell, ratios against the peers measured in the
// same run, and the targets judged met or not met.
import * as os from "node:os";
import { fixed, machineLine, median } from "./bench-harness.js";
import { type Spread, met, ms, rate, rateSpread, ratio, spread, us } from "./store-bench-util.js";
import { type StoreCellStats } from "./store-peers.js";
import { QUERY_VALUE_SIZE } from "./store-query-peers.js";

export const WRITER_COUNTS = [1, 16, 256] as const;
export const BATCH_WRITER_COUNTS = [1, 16] as const;
export const BATCH_SIZE = 1000;
export const VALUE_SIZE = 128;
export const QUERY_FRACTIONS = [0.0001, 0.01, 0.1] as const;
export const QUERY_DIMS = [2, 3] as const;
export const QUERY_BITS = 20;
/** Pre-made batches cell 2 cycles through. */
export const BATCH_POOL = 32;

// Targets (the store issue).
const TARGET_PUTS_VS_PEERS = 2;
const TARGET_PUTS_VS_LOG = 0.8;
const TARGET_BATCH_POINTS_PER_S = 2e6;
const TARGET_QUERIES_VS_RTREE = 2;
const TARGET_QUERIES_VS_FLATBUSH = 1 / 3;
const TARGET_OPEN_MS = 1000;

export interface Settings {
  readonly quick: boolean;
  readonly runs: number;
  readonly warmMs: number;
  readonly measureMs: number;
  readonly queryMs: number;
  readonly points: number;
  readonly sealPoints: number;
  readonly boxesPerSize: number;
  readonly getSamples: number;
  readonly variants: boolean;
  readonly write: boolean;
}

export interface WriteRun {
  /** Puts/s (cell 1) or points/s (cell 2). */
  readonly rate: number;
  /** Acknowledgement latency of a put (cell 1) or of a whole batch (cell 2), ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The longest event-loop stall during the cell (perf_hooks.monitorEventLoopDelay), ms. */
  readonly maxStallMs: number;
  readonly stats: StoreCellStats | null;
}

export interface QueryRun {
  readonly queriesPerS: number;
  readonly pointsPerS: number;
}

export interface GetRun {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly perS: number;
}

export interface SealRun {
  readonly records: number;
  readonly sealMs: number;
  readonly blocks: number;
  readonly loadPointsPerS: number;
  /** The longest event-loop stall during the seal, ms: the plan (sort, encode) runs on the writers' thread. */
  readonly maxStallMs: number;
}

export interface OpenRun {
  readonly openMs: number;
  readonly blocks: number;
  readonly tailRecords: number;
}

interface Cell<R> {
  readonly runs: R[];
  error: string | null;
}

export class Results {
  writePeers: string[] = [];
  private readonly writes = new Map<string, Cell<WriteRun>>();
  readonly queryEngines: Record<number, string[]> = {};
  private readonly queries = new Map<string, Cell<QueryRun>>();
  /** Mean points per box, by `${dims}/${fraction}`. */
  readonly queryPoints = new Map<string, number>();
  readonly queryLoads: Array<{ dims: number; engine: string; loadMs: number; note: string }> = [];
  getEngines: string[] = [];
  private readonly gets = new Map<string, Cell<GetRun>>();
  readonly sealRuns: SealRun[] = [];
  sealError: string | null = null;
  private readonly opens = new Map<string, OpenRun[]>();

  private static cell<R>(map: Map<string, Cell<R>>, key: string): Cell<R> {
    let found = map.get(key);
    if (found === undefined) map.set(key, (found = { runs: [], error: null }));
    return found;
  }

  writeCell(kind: "put" | "batch", peer: string, writers: number): Cell<WriteRun> {
    return Results.cell(this.writes, `${kind}/${writers}/${peer}`);
  }

  queryCell(dims: number, fraction: number, engine: string): Cell<QueryRun> {
    return Results.cell(this.queries, `${dims}/${fraction}/${engine}`);
  }

  getCell(source: "blocks" | "tail", engine: string): Cell<GetRun> {
    return Results.cell(this.gets, `${source}/${engine}`);
  }

  openRuns(label: string): OpenRun[] {
    let runs = this.opens.get(label);
    if (runs === undefined) this.opens.set(label, (runs = []));
    return runs;
  }

  openLabels(): string[] {
    return [...this.opens.keys()];
  }

  writeRate(kind: "put" | "batch", peer: string, writers: number): Spread | null {
    return spread(this.writes.get(`${kind}/${writers}/${peer}`)?.runs.map((r) => r.rate) ?? []);
  }

  queryRate(dims: number, fraction: number, engine: string): Spread | null {
    return spread(this.queries.get(`${dims}/${fraction}/${engine}`)?.runs.map((r) => r.queriesPerS) ?? []);
  }
}

function isLog(peer: string): boolean {
  return peer.startsWith("spacelog log");
}

/** The better of lmdb (either mode) and better-sqlite3 at this cell, by median: the peers at their best. */
function bestPeer(results: Results, kind: "put" | "batch", writers: number): { name: string; rate: number } | undefined {
  let best: { name: string; rate: number } | undefined;
  for (const peer of results.writePeers) {
    if (!peer.startsWith("lmdb") && !peer.startsWith("better-sqlite3")) continue;
    const s = results.writeRate(kind, peer, writers);
    if (s !== null && (best === undefined || s.median > best.rate)) best = { name: peer, rate: s.median };
  }
  return best;
}

/** The thresholds the store peer ran with, read from its options, and how often they start a seal in cell 1. */
function storeDefaultsText(results: Results): string {
  let stats: StoreCellStats | null = null;
  for (const peer of results.writePeers) {
    for (const writers of WRITER_COUNTS) stats ??= results.writeCell("put", peer, writers).runs.find((r) => r.stats !== null)?.stats ?? null;
  }
  if (stats === null) return "The store runs at its defaults.";
  // store.ts counts 16 bytes per record plus the value against sealBytes.
  const every = Math.min(stats.sealRecords, Math.ceil(stats.sealBytes / (16 + VALUE_SIZE)));
  return `The store runs at its defaults (sealRecords ${stats.sealRecords}, sealBytes ${stats.sealBytes}): every ${every} puts of ${VALUE_SIZE} B a seal starts by itself,` +
    " and the space's writes go to staging until it is installed.";
}

function storeStatsText(stats: StoreCellStats | null | undefined): string {
  if (stats === null || stats === undefined) return "";
  return `${stats.seals} seals; ${stats.direct} / ${stats.staged} / ${stats.promoted}`;
}

function writeTable(results: Results, kind: "put" | "batch", counts: readonly number[]): string[] {
  const unit = kind === "put" ? "puts/s" : "points/s";
  const latency = kind === "put" ? "ack" : "batch ack";
  const lines = [
    `| ${kind === "put" ? "W" : "B"} | peer | ${unit} (median) | runs (min..max) | p50 ${latency} ms | p99 ${latency} ms | longest loop stall ms (median) | vs best of lmdb / better-sqlite3 | vs log | store: seals; direct / staged / promoted (last run) |`,
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const writers of counts) {
    const best = bestPeer(results, kind, writers)?.rate;
    const logRate = results.writePeers.filter(isLog).map((p) => results.writeRate(kind, p, writers)?.median)[0];
    for (const peer of results.writePeers) {
      const cell = results.writeCell(kind, peer, writers);
      if (cell.error === null && cell.runs.length === 0) continue;
      if (cell.error !== null) {
        lines.push(`| ${writers} | ${peer} | failed: ${cell.error} | | | | | | | |`);
        continue;
      }
      const s = results.writeRate(kind, peer, writers);
      const [value, range] = rateSpread(s);
      const p50 = median(cell.runs.map((r) => r.p50Ms));
      const p99 = median(cell.runs.map((r) => r.p99Ms));
      const stall = median(cell.runs.map((r) => r.maxStallMs));
      lines.push(`| ${writers} | ${peer} | ${value} | ${range} | ${ms(p50)} | ${ms(p99)} | ${ms(stall)} | ${ratio(s?.median, best)} | ${ratio(s?.median, logRate)} | ${storeStatsText(cell.runs.at(-1)?.stats)} |`);
    }
  }
  return lines;
}

function putTargets(results: Results): string[] {
  const store = results.writePeers.find((p) => p === "spacelog store");
  const logPeer = results.writePeers.find(isLog);
  const s = store === undefined ? null : results.writeRate("put", store, 256);
  const best = bestPeer(results, "put", 256);
  const l = logPeer === undefined ? null : results.writeRate("put", logPeer, 256);
  if (s === null || best === undefined || l === null) return ["- W=256 puts: a cell failed or was not run; not judged."];
  const ok = s.median >= TARGET_PUTS_VS_PEERS * best.rate && s.median >= TARGET_PUTS_VS_LOG * l.median;
  return [
    `- W=256 puts: at least 2x the best of lmdb and better-sqlite3, and at least 0.8x the log. The store ${rate(s.median)}/s;` +
      ` ${best.name} ${rate(best.rate)}/s (${ratio(s.median, best.rate)}); the log ${rate(l.median)}/s (${ratio(s.median, l.median)}): ${met(ok)}.`,
  ];
}

function batchTargets(results: Results): string[] {
  const lines: string[] = [];
  for (const writers of BATCH_WRITER_COUNTS) {
    const s = results.writeRate("batch", "spacelog store", writers);
    if (s === null) {
      lines.push(`- B=${writers} batches of ${BATCH_SIZE}: the cell failed or was not run; not judged.`);
      continue;
    }
    lines.push(`- B=${writers} batch writer${writers === 1 ? "" : "s"}, ${BATCH_SIZE} points per write: at least 2 M durable points/s. The store ${rate(s.median)} points/s (runs ${rate(s.min)}..${rate(s.max)}): ${met(s.median >= TARGET_BATCH_POINTS_PER_S)}.`);
  }
  return lines;
}

function fractionLabel(fraction: number): string {
  return `${fixed(fraction * 100, fraction < 0.01 ? 2 : 0)} %`;
}

const RTREE_PREFIX = "better-sqlite3 R*Tree";
const FLATBUSH_PREFIX = "flatbush";
const STORE_QUERY_PREFIX = "spacelog store";

function engineRate(results: Results, dims: number, fraction: number, prefix: string): Spread | null {
  const name = (results.queryEngines[dims] ?? []).find((e) => e.startsWith(prefix));
  return name === undefined ? null : results.queryRate(dims, fraction, name);
}

function queryTable(results: Results, dims: number): string[] {
  const lines = [
    `#### ${dims}D`,
    "",
    "| box | engine | queries/s (median) | runs (min..max) | points/s (median) | points per box (mean) | vs R*Tree | vs flatbush |",
    "|---:|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const fraction of QUERY_FRACTIONS) {
    const rtree = engineRate(results, dims, fraction, RTREE_PREFIX)?.median;
    const flat = engineRate(results, dims, fraction, FLATBUSH_PREFIX)?.median;
    const points = results.queryPoints.get(`${dims}/${fraction}`);
    for (const engine of results.queryEngines[dims] ?? []) {
      const cell = results.queryCell(dims, fraction, engine);
      if (cell.error === null && cell.runs.length === 0) continue;
      if (cell.error !== null) {
        lines.push(`| ${fractionLabel(fraction)} | ${engine} | failed: ${cell.error} | | | | | |`);
        continue;
      }
      const s = results.queryRate(dims, fraction, engine);
      const [value, range] = rateSpread(s);
      if (engine.startsWith("(diagnostic)")) {
        lines.push(`| ${fractionLabel(fraction)} | ${engine} | ${value} | ${range} | – | – | – | – |`);
        continue;
      }
      const pointsPerS = median(cell.runs.map((r) => r.pointsPerS));
      lines.push(`| ${fractionLabel(fraction)} | ${engine} | ${value} | ${range} | ${rate(pointsPerS)} | ${points === undefined ? "–" : fixed(points, 1)} | ${ratio(s?.median, rtree)} | ${ratio(s?.median, flat)} |`);
    }
  }
  return lines;
}

function queryTargets(results: Results): string[] {
  const lines: string[] = [];
  for (const dims of QUERY_DIMS) {
    if ((results.queryEngines[dims] ?? []).length === 0) continue;
    const parts: string[] = [];
    let all = true;
    for (const fraction of QUERY_FRACTIONS) {
      const s = engineRate(results, dims, fraction, STORE_QUERY_PREFIX);
      const r = engineRate(results, dims, fraction, RTREE_PREFIX);
      if (s === null || r === null) {
        parts.push(`${fractionLabel(fraction)} not judged`);
        all = false;
        continue;
      }
      const ok = s.median >= TARGET_QUERIES_VS_RTREE * r.median;
      all &&= ok;
      parts.push(`${fractionLabel(fraction)} ${ratio(s.median, r.median)} (${ok ? "met" : "not met"})`);
    }
    lines.push(`- ${dims}D, at least 2x R*Tree in queries/s at each size: ${parts.join(", ")}: ${met(all)}.`);
    const s = engineRate(results, dims, QUERY_FRACTIONS[0], STORE_QUERY_PREFIX);
    const f = engineRate(results, dims, QUERY_FRACTIONS[0], FLATBUSH_PREFIX);
    if (s !== null && f !== null) {
      lines.push(`- ${dims}D, within 3x of flatbush at 0.01 %: the store ${rate(s.median)} queries/s, flatbush ${rate(f.median)} (${ratio(s.median, f.median)}; at least 0.33x): ${met(s.median >= TARGET_QUERIES_VS_FLATBUSH * f.median)}.` +
        (dims === 3 ? " (flatbush is a 2D index: in 3D it filters z, so it is a weaker ceiling there.)" : ""));
    }
  }
  return lines.length === 0 ? ["- Queries: not run; not judged."] : lines;
}

function getTable(results: Results): string[] {
  const lines = [
    "| from | lookup | p50 µs (median) | p99 µs | lookups/s (median) | runs (min..max) | p50 vs lmdb get |",
    "|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const source of ["blocks", "tail"] as const) {
    const base = results.getEngines.find((e) => e.startsWith("lmdb get"));
    const baseP50 = base === undefined ? undefined : median(results.getCell(source, base).runs.map((r) => r.p50Ms));
    for (const engine of results.getEngines) {
      const cell = results.getCell(source, engine);
      if (cell.error !== null) {
        lines.push(`| ${source} | ${engine} | failed: ${cell.error} | | | | |`);
        continue;
      }
      if (cell.runs.length === 0) continue;
      const p50 = median(cell.runs.map((r) => r.p50Ms));
      const [value, range] = rateSpread(spread(cell.runs.map((r) => r.perS)));
      lines.push(`| ${source} | ${engine} | ${us(p50)} | ${us(median(cell.runs.map((r) => r.p99Ms)))} | ${value} | ${range} | ${ratio(p50, baseP50)} |`);
    }
  }
  return lines;
}

function sealLines(results: Results, settings: Settings): string[] {
  if (results.sealError !== null && results.sealRuns.length === 0) return [`Failed: ${results.sealError}`];
  if (results.sealRuns.length === 0) return ["Not run."];
  const perS = spread(results.sealRuns.map((r) => r.records / (r.sealMs / 1000)));
  const sealMs = spread(results.sealRuns.map((r) => r.sealMs));
  const load = spread(results.sealRuns.map((r) => r.loadPointsPerS));
  const [value, range] = rateSpread(perS);
  const blocks = results.sealRuns.map((r) => r.blocks).join(", ");
  return [
    "| records sealed | seal ms (median) | runs (min..max) | records/s (median) | runs (min..max) | blocks | longest loop stall during it, ms (median) | the load before it: putMany points/s (median) |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
    `| ${settings.sealPoints} x ${VALUE_SIZE} B | ${sealMs === null ? "–" : fixed(sealMs.median, 0)} | ${sealMs === null ? "–" : `${fixed(sealMs.min, 0)}..${fixed(sealMs.max, 0)}`} | ${value} | ${range} | ${blocks} | ${ms(median(results.sealRuns.map((r) => r.maxStallMs)))} | ${load === null ? "–" : rate(load.median)} |`,
    ...(results.sealError === null ? [] : ["", `A later run failed: ${results.sealError}`]),
  ];
}

function openLines(results: Results): string[] {
  const lines = [
    "| store | open ms (median) | runs (min..max) | recovered: blocks, tail records replayed | at most 1 s |",
    "|---|---:|---:|---|---|",
  ];
  for (const label of results.openLabels()) {
    const runs = results.openRuns(label);
    const s = spread(runs.map((r) => r.openMs));
    if (s === null) continue;
    const last = runs.at(-1);
    lines.push(`| ${label} | ${ms(s.median)} | ${ms(s.min)}..${ms(s.max)} | ${last?.blocks ?? "–"}, ${last?.tailRecords ?? "–"} | ${met(s.median <= TARGET_OPEN_MS)} |`);
  }
  return lines.length === 2 ? ["Not run."] : lines;
}

export function reportBody(results: Results, settings: Settings, started: string, totalS: number): string {
  const command = `npx tsc -p tsconfig.json && node dist/bench/store-bench.js${settings.quick ? " --quick" : ""}`;
  const tail = Math.round(settings.points / 10);
  return [
    "## Store (`npm run bench:store`)",
    "",
    ...(settings.quick
      ? ["**Quick smoke run (`--quick`): small sizes, one run, short windows. These figures check that the benchmark works; they are not measurements, and the targets are judged on toy sizes.**", ""]
      : []),
    `Measured ${started} on ${machineLine()}, temp directories under ${os.tmpdir()}. Command: \`${command}\` (${fixed(totalS, 0)} s).` +
      ` Every engine ran in this one Node process. Figures are medians of ${settings.runs} run${settings.runs === 1 ? "" : "s"} per cell (runs interleaved across engines, the order rotated each run), with the runs' min..max;` +
      " the disk is a VM's shared virtual disk with fast and slow spells of seconds, so read the min..max before a ratio.",
    "",
    `### 1. Durable puts: 128 B values, uniformly random 3D points (bits 20)`,
    "",
    `W writers are async loops, each awaiting its own durable acknowledgement before its next put. Each cell: a fresh directory, ${settings.warmMs} ms warm-up, ${settings.measureMs} ms counted.` +
      " Latency is from the call to the writer resuming after its acknowledgement; the loop stall is the longest event-loop delay seen during the cell (perf_hooks, 10 ms resolution)." +
      " Ratios compare the median with the better of lmdb (either mode) and better-sqlite3 at the same W, and with the log. " + storeDefaultsText(results) +
      " Its counters (seals completed; records written direct to the hot segment / to staging while a seal ran / promoted from staging after it) are from the end of the last run's window.",
    "",
    ...writeTable(results, "put", WRITER_COUNTS),
    "",
    ...putTargets(results),
    "",
    `### 2. Durable batches of ${BATCH_SIZE} points`,
    "",
    `B batch writers, each awaiting its batch before the next: the store's \`write\` of ${BATCH_SIZE} puts (one atomic write), lmdb's ${BATCH_SIZE} puts in one event turn (one transaction),` +
      ` better-sqlite3's and classic-level's ${BATCH_SIZE} rows in one transaction / batch (group-committed with whatever else is queued), the log's ${BATCH_SIZE} appends.` +
      ` Points from a pool of ${BATCH_POOL} pre-made batches (random 3D points, 128 B values). Windows as in cell 1.`,
    "",
    ...writeTable(results, "batch", BATCH_WRITER_COUNTS),
    "",
    ...batchTargets(results),
    "",
    "### 3. Box queries",
    "",
    `${settings.points} distinct uniformly random points (bits ${QUERY_BITS} per axis, ${QUERY_VALUE_SIZE} B values) sealed into blocks, then ${tail} more written after the seal (they sit in the store's live tail;` +
      " sealRecords and sealBytes raised so no seal starts by itself); every engine holds all of them. Boxes are cubes covering 0.01 %, 1 % and 10 % of the space at" +
      ` random corners, ${settings.boxesPerSize} per size, the same for every engine; each engine's count of every box was asserted equal to a brute-force scan before timing.` +
      ` Each cell: the boxes in turn for ${settings.queryMs} ms. The store queries at the newest revision (every result a point, its value copied and its revision).` +
      " The diagnostic row times `core.hilbertRanges(box, { rangesMax: 256 })` alone, the cover the store's query (space-read.ts QUERY_RANGES_MAX) and the lmdb peer compute before reading anything: its queries/s is a ceiling for both.",
    "",
    ...QUERY_DIMS.flatMap((dims) => ((results.queryEngines[dims] ?? []).length === 0 ? [] : [...queryTable(results, dims), ""])),
    ...(results.queryLoads.length === 0 ? [] : [
      `Loading (not a measurement of interest, for scale): ${results.queryLoads.map((l) => `${l.dims}D ${l.engine} ${fixed(l.loadMs / 1000, 1)} s${l.note === "" ? "" : ` (${l.note})`}`).join("; ")}.`,
      "",
    ]),
    ...queryTargets(results),
    "",
    "### 4. `get` latency",
    "",
    `On the 3D query set: random existing points, ${settings.getSamples} sampled from the sealed part (blocks) and as many from the tail, looked up one after another` +
      ` (each awaited) for ${settings.queryMs / 2} ms; every lookup's value was checked in the first run. lmdb \`get\` needs the row's exact key, the revision included:` +
      " a lower bound for lmdb; the newest version of a point (what the store's get answers) is a reverse getRange of limit 1. Each lookup computes the point's Hilbert key.",
    "",
    ...(results.getEngines.length === 0 ? ["Not run."] : getTable(results)),
    "",
    "### 5. Seal",
    "",
    `A fresh store (sealRecords and sealBytes raised), ${settings.sealPoints} random 3D points of ${VALUE_SIZE} B written with putMany, then \`seal\` timed: the records sorted,` +
      " encoded as blocks, written and fdatasynced, the directory fsynced, the manifest installed, the tail dropped.",
    "",
    ...sealLines(results, settings),
    "",
    "### 6. Open",
    "",
    "`open()` of a store closed just before (in this process, so the page cache is warm: cold-ish, not cold), including loading its core, recovering the manifest and blocks and" +
      " replaying its hot segment into the live tail. The stores are cell 5's after its seal (then with 10 % more written) and cell 3's 3D query set.",
    "",
    ...openLines(results),
    "",
    "Peers (bench/store-peers.ts, bench/store-query-peers.ts). The store: `open(dir, { durability: \"sync\" })`, one space. lmdb: rows keyed by the big-endian (Hilbert key, revision)," +
      " binary encodings, `noSync` false, `separateFlushed: true`, awaiting each put's `flushed` promise (with overlappingSync off the commit itself syncs and `flushed` is the put's promise)." +
      " better-sqlite3: WAL, synchronous=FULL (read back and checked), a table (hkey INTEGER, rev INTEGER, value BLOB) with an index on hkey, one transaction per batch of everything queued." +
      " classic-level: one `batch(puts, { sync: true })` per batch of everything queued, the same 16-byte keys. The log: `openLog(dir, { durability: \"sync\" })`, one entry per point" +
      " holding exactly the store's put record (its 29-byte header, then the value). The Hilbert keys of every peer come from the core (`hilbertKeyOfNumbers`, as the store computes them)." +
      " The JS-driven group committers take each batch from setImmediate (as bench/log-peers.ts). Query peers: better-sqlite3's rtree virtual table (points as degenerate boxes, the value" +
      " an auxiliary column, 32-bit float coordinates, exact below 2^24); lmdb scanning each of `core.hilbertRanges(box, { rangesMax: 256 })` with getRange and filtering the coordinates" +
      " (stored before the value) when the cover is a superset; flatbush in memory, 2D (3D: indexed by x and y, z filtered in the search callback).",
  ].join("\n");
}
