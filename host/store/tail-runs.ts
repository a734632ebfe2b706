// The live tail's index: a stack of immutable sorted runs (Bentley and Saxe's logarithmic method,
// "Decomposable searching problems I: static-to-dynamic transformation", J. Algorithms 1980).
//
//   runs:  [ run 0 (oldest, largest) | run 1 | ... | run r-1 (newest, smallest) ]
//   run:   records sorted by (key, revision); revisionMin..revisionMax
//   rules: run i's revisionMax < run i+1's revisionMin   (runs are in revision order)
//          run i's length > 2 * run i+1's length          (after every push; so r <= log2(n) + 1)
//
// A publish sorts its batch into one new run and pushes it; while the run below is at most twice
// the top's size, the two merge into a new run. Runs and run lists are never changed once built, so
// a view is just a run list: a publish or a drop builds a new list and leaves every older view as
// it was. Costs, with n records in r runs:
// - publish of b records: O(b log b) to sort, plus merges: each record is copied O(log n) times over
//   its life, amortised (the run it lands in grows by a factor >= 1.5 per merge, up to n);
// - get: binary search per run, newest first: O(r log n) = O(log^2 n);
// - range over [from, to]: one galloping search per run to start, then a k-way merge of the runs'
//   cursors in a heap: O(r log n + m log r), m the (key, run) pairs met in the range.
// The alternative, a sorted array rebuilt on each publish, costs O(n) per publish: 200 k records in
// publishes of 100 copy 200 M records in all.
// Measured (Node 20.20, this machine, the workload of test "200 k records in publishes of 100", 3
// runs): 2,000 publishes of 100 records take 205..285 ms in all (1.0..1.4 us a record, the batch
// sort included), with at most 8 runs; the slowest single publish is the final merge of all 200 k
// records, 34..47 ms. The sorted array rebuilt (merged) per publish takes 26..33 s for the same
// publishes, 100x more. A range over 1,000 of the 200 k keys takes 0.6..0.7 ms; a get 4..5 us.
// That one-publish merge of the largest run grows with n: the store bounds n with its seal
// threshold (store-options.ts sealRecords, 256 Ki by default), so the largest merge stays near
// 50 ms. An incremental merge (spread over later publishes) would remove the stall entirely.
import { assert, constants } from "../assert.js";
import { CursorHeap, type HeapCursor } from "./cursor-heap.js";
import { type OrderedVersion, compareVersions, type VersionRecord } from "./version-record.js";

/** Bytes a record counts for in `sizeBytes`: its key and revision (u64 each) plus its value. */
export const RECORD_OVERHEAD_BYTES = 16;

export interface TailRun {
  /** Sorted by (key, revision); never changed once the run is built. */
  readonly records: readonly OrderedVersion[];
  readonly revisionMin: bigint;
  readonly revisionMax: bigint;
  readonly sizeBytes: number;
}

export function recordSizeBytes(record: VersionRecord): number {
  return RECORD_OVERHEAD_BYTES + (record.value === null ? 0 : record.value.byteLength);
}

/** A run of records already sorted by (key, revision); at least one record. O(n). */
export function tailRun(records: readonly OrderedVersion[]): TailRun {
  assert(records.length > 0, "a run holds at least one record");
  let revisionMin = (records[0] as VersionRecord).revision;
  let revisionMax = revisionMin;
  let sizeBytes = 0;
  for (const record of records) {
    if (record.revision < revisionMin) revisionMin = record.revision;
    if (record.revision > revisionMax) revisionMax = record.revision;
    sizeBytes += recordSizeBytes(record);
  }
  return tailRunOf(records, revisionMin, revisionMax, sizeBytes);
}

function tailRunOf(records: readonly OrderedVersion[], revisionMin: bigint, revisionMax: bigint,
  sizeBytes: number): TailRun {
  if (constants.verify) {
    for (let at = 1; at < records.length; at++) {
      assert(compareVersions(records[at - 1] as VersionRecord, records[at] as VersionRecord) < 0, "a run is sorted");
    }
    Object.freeze(records);
  }
  return { records, revisionMin, revisionMax, sizeBytes };
}

/** A new run list: `runs` with `run` pushed on top (newest), then merged down to the size rule. */
export function runsPush(runs: readonly TailRun[], run: TailRun): readonly TailRun[] {
  const out = runs.slice();
  const below = out[out.length - 1];
  assert(below === undefined || below.revisionMax < run.revisionMin, "runs are pushed in revision order");
  out.push(run);
  for (;;) {
    const top = out[out.length - 1];
    const next = out[out.length - 2];
    if (top === undefined || next === undefined) break;
    if (next.records.length > 2 * top.records.length) break;
    out.splice(out.length - 2, 2, runsMergeTwo(next, top));
  }
  return out;
}

/** Two runs, older first, as one. Their revisions are disjoint, so no two records compare equal. */
function runsMergeTwo(older: TailRun, newer: TailRun): TailRun {
  const a = older.records;
  const b = newer.records;
  const merged = new Array<OrderedVersion>(a.length + b.length);
  let atA = 0;
  let atB = 0;
  let at = 0;
  while (atA < a.length && atB < b.length) {
    const fromA = a[atA] as OrderedVersion;
    const fromB = b[atB] as OrderedVersion;
    // A number compare of the keys' ords decides almost always; bigint compares (~40 ns each)
    // only for keys within 4096 of each other.
    if (fromA.ord < fromB.ord || (fromA.ord === fromB.ord && (fromA.key < fromB.key || (fromA.key === fromB.key && fromA.revision < fromB.revision)))) {
      merged[at++] = fromA;
      atA++;
    } else {
      merged[at++] = fromB;
      atB++;
    }
  }
  while (atA < a.length) merged[at++] = a[atA++] as OrderedVersion;
  while (atB < b.length) merged[at++] = b[atB++] as OrderedVersion;
  // Revisions of the older run are all below the newer run's.
  return tailRunOf(merged, older.revisionMin, newer.revisionMax, older.sizeBytes + newer.sizeBytes);
}

/**
 * A new run list without the records `drop` selects among those with revision <= upToRevision.
 * Runs wholly above upToRevision are kept as they are; the rest are filtered, and the list is
 * pushed again from the oldest run so the size rule holds. O(records at or below upToRevision).
 */
export function runsDrop(runs: readonly TailRun[], upToRevision: bigint,
  drop: ((record: VersionRecord) => boolean) | "all"): readonly TailRun[] {
  let out: readonly TailRun[] = [];
  for (const run of runs) {
    if (run.revisionMin > upToRevision) {
      out = runsPush(out, run);
      continue;
    }
    // Every record of the run goes: no pass over it (a seal drops whole runs of 100 k+ records,
    // read in key order, which is scattered memory: ~90 ms for 256 Ki records when filtered).
    if (drop === "all" && run.revisionMax <= upToRevision) continue;
    if (drop === "all") {
      const kept = run.records.filter((record) => record.revision > upToRevision);
      if (kept.length > 0) out = runsPush(out, tailRun(kept));
      continue;
    }
    const kept = run.records.filter((record) => record.revision > upToRevision || !drop(record));
    if (kept.length === run.records.length) out = runsPush(out, run);
    else if (kept.length > 0) out = runsPush(out, tailRun(kept));
  }
  return out;
}

/** The newest record of `key` with revision <= atRevision, or undefined. O(r log n). */
export function runsGet(runs: readonly TailRun[], key: bigint, atRevision: bigint): VersionRecord | undefined {
  // Newest run first: every revision of a newer run is above every revision of an older one, so
  // the first run holding a version <= atRevision of the key holds the newest.
  for (let runAt = runs.length - 1; runAt >= 0; runAt--) {
    const run = runs[runAt] as TailRun;
    if (run.revisionMin > atRevision) continue;
    const records = run.records;
    const after = gallopLowerBound(records, 0, key, atRevision + 1n);
    const candidate = records[after - 1];
    if (candidate !== undefined && candidate.key === key) return candidate;
  }
  return undefined;
}

interface RunCursor extends HeapCursor {
  readonly records: readonly VersionRecord[];
  /** The index of `record` in `records`. */
  at: number;
}

/** For each key in [keyFrom, keyTo], its newest record <= atRevision, in key order. */
export function* runsRange(runs: readonly TailRun[], keyFrom: bigint, keyTo: bigint,
  atRevision: bigint): Generator<VersionRecord, void, undefined> {
  assert(keyFrom <= keyTo, "a key range is keyFrom <= keyTo");
  const heap = new CursorHeap<RunCursor>();
  runs.forEach((run, order) => {
    if (run.revisionMin > atRevision) return;
    const at = gallopLowerBound(run.records, 0, keyFrom, 0n);
    const record = run.records[at];
    if (record !== undefined && record.key <= keyTo) heap.push({ record, order, records: run.records, at });
  });
  for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
    const key = top.record.key;
    let newest: VersionRecord | undefined;
    while (top !== undefined && top.record.key === key) {
      const records = top.records;
      // The key's versions in this run are records[top.at .. end), by revision.
      const after = gallopLowerBound(records, top.at, key, atRevision + 1n);
      const candidate = after > top.at ? records[after - 1] : undefined;
      if (candidate !== undefined && (newest === undefined || candidate.revision > newest.revision)) newest = candidate;
      const end = gallopLowerBound(records, after, key + 1n, 0n);
      const next = records[end];
      if (next !== undefined && next.key <= keyTo) {
        top.at = end;
        top.record = next;
        heap.siftDownTop();
      } else {
        heap.pop();
      }
      top = heap.peek();
    }
    if (newest !== undefined) yield newest;
  }
}

/**
 * The first index at >= from with records[at] >= (key, revision), or records.length. Galloping
 * (1, 2, 4, ... past `from`, then binary search) costs O(log d) for an answer d past `from`, so a
 * range stepping to the next key pays O(1) for the usual key with one version.
 */
export function gallopLowerBound(records: readonly VersionRecord[], from: number, key: bigint,
  revision: bigint): number {
  const count = records.length;
  const before = (at: number): boolean => {
    const record = records[at] as VersionRecord;
    return record.key < key || (record.key === key && record.revision < revision);
  };
  if (from >= count || !before(from)) return from;
  // Invariant: records[low] is before the target; records[low + step] (if any) is not yet known.
  let low = from;
  let step = 1;
  while (low + step < count && before(low + step)) {
    low += step;
    step *= 2;
  }
  let high = Math.min(low + step, count);
  let lowOut = low + 1;
  while (lowOut < high) {
    const mid = (lowOut + high) >>> 1;
    if (before(mid)) lowOut = mid + 1;
    else high = mid;
  }
  return lowOut;
}
