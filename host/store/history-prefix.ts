// Which recovered records the store keeps (docs/store-design.md "History is a prefix", docs/FORMAT.md
// "Recovered history"). Pure: recovery has already scanned every hot segment and the staging log,
// cut their torn tails and decoded every record; this file takes the records' revisions and places
// and returns a plan (how far history runs, where each file is cut) or a named problem. No I/O
// (STYLE habit 6): the caller truncates, fdatasyncs, and raises CorruptionError for a problem.
//
// The rule: keep every revision in (durableRevision, keptThrough], where keptThrough is the largest
// batch end such that every revision from durableRevision + 1 to it is present in some file. Cut
// every file at its first record above keptThrough, because new records reuse those revisions.
// Why that loses nothing acknowledged: a turn acknowledges only after the fdatasyncs of every file
// it touched, and turns acknowledge in order, so a missing revision belongs to a turn that was never
// acknowledged, and so does everything after it.
//
// Assumption, checked: `durableRevision` is a batch end. The manifest takes it from the durable
// watermark, which moves per turn, and a turn holds whole batches. So a record at or below it whose
// batch end is above it ("straddle") is corruption: a seal or manifest writer bug, or a wrong file.
//
// Legend (the facts of one recovery, in the order they are decided):
//   problem  none | order (a file's revisions do not strictly increase) | duplicate (one revision in two
//            files with different batch ends) | batch (a batch end below its revision, a revision 0, or
//            two revisions of one batch naming different ends) | straddle (a record at or below
//            durableRevision whose batch ends above it). Only the first problem found is reported.
//   records  some record has a revision above durableRevision
//   gap      a revision is missing below the highest revision present (records exist after it)
//   open     the first missing revision falls inside a batch whose first revisions are present
//
//   @A none, !records              -> keep: nothing above durableRevision (a new or freshly sealed store)
//   @B none, records, !gap, !open  -> keep: contiguous and complete
//   @C none, records, gap, !open   -> cut from the first missing revision r: r starts a batch, so the
//                                     records above it are unacknowledged turns
//   @D none, records, !gap, open   -> cut the incomplete last batch (a batch is kept whole or not at all)
//   @E none, records, gap, open    -> cut from the start of the batch that holds the first missing revision
//   @F order                       -> corrupt: every frame verified, so a writer appended out of order, or
//                                     a cut was not made durable before its revisions were reused
//   @G duplicate                   -> corrupt: a promotion copies a record whole, batch end included
//   @H batch                       -> corrupt: a writer framed a batch that cannot exist
//   @I straddle                    -> corrupt: durableRevision is a batch end (above)
//
// Why order and duplicate are corruption and not torn tails: each record's frame verified (the scan
// cut torn frames already), so the bytes are what a writer wrote whole. Recovery cannot tell a writer
// bug from a file put in the wrong place; both mean the files cannot be trusted, and it says so with
// the file and offset, never cutting them in silence.

import { assert } from "../assert.js";

export type HistoryProblemReason = "order" | "duplicate" | "batch" | "straddle";
export const HISTORY_PROBLEM_REASONS: readonly HistoryProblemReason[] = ["order", "duplicate", "batch", "straddle"];

/** At most this many missing revisions of an incomplete batch are listed (the count is exact). */
export const MISSING_LISTED_MAX = 8;
const REVISION_MAX = (1n << 64n) - 1n;

export interface HistoryRecord {
  readonly revision: bigint;
  /** The last revision of the record's batch; a single write has batchEnd === revision. */
  readonly batchEnd: bigint;
  readonly offsetInFile: number;
  /** Where the record's frame ends: the next record's offsetInFile, or the end of the scanned bytes. */
  readonly endInFile: number;
}

/** A hot segment or the staging log, its records in file order. */
export interface HistoryFile {
  readonly fileId: string;
  readonly records: readonly HistoryRecord[];
}

export interface HistoryFacts {
  readonly problem: HistoryProblemReason | "none";
  readonly records: boolean;
  readonly gap: boolean;
  readonly open: boolean;
}

export type HistoryAction = "keep" | "cut-gap" | "cut-batch" | "corrupt";

export interface HistoryRow {
  readonly label: string;
  readonly action: HistoryAction;
  readonly why: string;
  readonly matches: (facts: HistoryFacts) => boolean;
}

const sound = (f: HistoryFacts): boolean => f.problem === "none" && f.records;

export const historyRows: readonly HistoryRow[] = [
  { label: "@A", action: "keep", why: "no record above durableRevision", matches: (f) => f.problem === "none" && !f.records },
  { label: "@B", action: "keep", why: "contiguous and complete", matches: (f) => sound(f) && !f.gap && !f.open },
  { label: "@C", action: "cut-gap", why: "a missing revision at a batch boundary: the records after it were never acknowledged", matches: (f) => sound(f) && f.gap && !f.open },
  { label: "@D", action: "cut-batch", why: "the last batch is incomplete: a batch is kept whole or not at all", matches: (f) => sound(f) && !f.gap && f.open },
  { label: "@E", action: "cut-batch", why: "a missing revision inside a batch: the batch and everything after it are cut", matches: (f) => sound(f) && f.gap && f.open },
  { label: "@F", action: "corrupt", why: "a file's revisions do not strictly increase", matches: (f) => f.problem === "order" },
  { label: "@G", action: "corrupt", why: "one revision in two files with different batch ends", matches: (f) => f.problem === "duplicate" },
  { label: "@H", action: "corrupt", why: "a batch end below its revision, a revision 0, or one batch with two ends", matches: (f) => f.problem === "batch" },
  { label: "@I", action: "corrupt", why: "a record at or below durableRevision whose batch ends above it", matches: (f) => f.problem === "straddle" },
];

/** The one row that matches; zero or two rows is a bug in the table. */
export function decideHistory(facts: HistoryFacts): HistoryRow {
  const rows = historyRows.filter((row) => row.matches(facts));
  const row = rows[0];
  assert(rows.length === 1 && row !== undefined, `history table: ${rows.length} rows match ${JSON.stringify(facts)}`);
  return row;
}

/** Every combination of facts, for the table's test. */
export function everyHistoryFacts(): HistoryFacts[] {
  const all: HistoryFacts[] = [];
  for (const problem of ["none", ...HISTORY_PROBLEM_REASONS] as const) {
    for (let bits = 0; bits < 8; bits++) {
      all.push({ problem, records: (bits & 1) !== 0, gap: (bits & 2) !== 0, open: (bits & 4) !== 0 });
    }
  }
  return all;
}

/** Where a problem is: the record that shows it, and for "duplicate" and "batch" the other record. */
export interface HistoryProblem {
  readonly row: HistoryRow;
  readonly reason: HistoryProblemReason;
  readonly fileId: string;
  readonly offset: number;
  readonly revision: bigint;
  readonly other: { readonly fileId: string; readonly offset: number; readonly revision: bigint } | null;
}

export interface HistoryFileCut {
  readonly fileId: string;
  /** The offset of the file's first record above keptThrough, or null if nothing is cut. */
  readonly cutAt: number | null;
  readonly recordsCut: number;
}

/** The batch a cut went through: its revisions [start, end], the missing ones (the first few, and how many). */
export interface IncompleteBatch {
  readonly start: bigint;
  readonly end: bigint;
  readonly missingRevisions: readonly bigint[];
  readonly missingCount: bigint;
}

export interface HistoryPlan {
  readonly row: HistoryRow;
  readonly keptThrough: bigint;
  readonly nextRevision: bigint;
  /** One per input file, in input order. */
  readonly files: readonly HistoryFileCut[];
  /** The first revision above durableRevision that no file holds, when anything is cut; else null. */
  readonly firstMissing: bigint | null;
  /** Rows @D and @E: the batch the cut went through. */
  readonly incompleteBatch: IncompleteBatch | null;
  /** Records cut, every copy counted, and distinct revisions cut. */
  readonly recordsCut: number;
  readonly revisionsCut: number;
}

export function isHistoryProblem(value: HistoryPlan | HistoryProblem): value is HistoryProblem {
  return "reason" in value;
}

interface Place {
  readonly fileId: string;
  readonly record: HistoryRecord;
}

/** The caller's scanner gives these; a violation is a host bug, not bytes from disk. */
function assertPlaces(durableRevision: bigint, files: readonly HistoryFile[]): void {
  assert(durableRevision >= 0n && durableRevision < REVISION_MAX, "durableRevision is a u64 below the last");
  assert(new Set(files.map((f) => f.fileId)).size === files.length, "file ids are unique");
  for (const file of files) {
    let end = 0;
    for (const r of file.records) {
      assert(Number.isSafeInteger(r.offsetInFile) && Number.isSafeInteger(r.endInFile), "offsets are safe integers");
      assert(r.offsetInFile >= end && r.endInFile > r.offsetInFile, "records are in file order and do not overlap");
      assert(r.revision >= 0n && r.revision <= REVISION_MAX && r.batchEnd >= 0n && r.batchEnd <= REVISION_MAX, "revisions are u64");
      end = r.endInFile;
    }
  }
}

function problemOf(reason: HistoryProblemReason, at: Place, other: Place | null): HistoryProblem {
  const facts: HistoryFacts = { problem: reason, records: false, gap: false, open: false };
  return {
    row: decideHistory(facts), reason, fileId: at.fileId, offset: at.record.offsetInFile, revision: at.record.revision,
    other: other === null ? null : { fileId: other.fileId, offset: other.record.offsetInFile, revision: other.record.revision },
  };
}

/**
 * The per-record checks, in the legend's order: order within each file, then duplicates, then each
 * record's batch shape, then straddling. Returns the first copy of each revision above
 * durableRevision, by revision, or the first problem.
 */
function placesAbove(durableRevision: bigint, files: readonly HistoryFile[]): Map<bigint, Place> | HistoryProblem {
  for (const file of files) {
    for (let i = 1; i < file.records.length; i++) {
      const previous = file.records[i - 1], record = file.records[i];
      assert(previous !== undefined && record !== undefined);
      if (record.revision <= previous.revision) return problemOf("order", { fileId: file.fileId, record }, { fileId: file.fileId, record: previous });
    }
  }
  const first = new Map<bigint, Place>();
  for (const file of files) {
    for (const record of file.records) {
      const seen = first.get(record.revision);
      if (seen === undefined) first.set(record.revision, { fileId: file.fileId, record });
      else if (seen.record.batchEnd !== record.batchEnd) return problemOf("duplicate", { fileId: file.fileId, record }, seen);
    }
  }
  for (const place of first.values()) {
    const { revision, batchEnd } = place.record;
    if (revision === 0n || batchEnd < revision) return problemOf("batch", place, null);
  }
  for (const place of first.values()) {
    if (place.record.revision <= durableRevision && place.record.batchEnd > durableRevision) return problemOf("straddle", place, null);
  }
  for (const revision of [...first.keys()]) if (revision <= durableRevision) first.delete(revision);
  return first;
}

/**
 * Batches are intervals of revisions, so two adjacent present revisions a < b with b <= a's batch
 * end are in one batch and must name the same end (and by induction so must every revision between).
 */
function batchProblemOf(sorted: readonly Place[]): HistoryProblem | null {
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1], b = sorted[i];
    assert(a !== undefined && b !== undefined);
    if (b.record.revision <= a.record.batchEnd && b.record.batchEnd !== a.record.batchEnd) return problemOf("batch", b, a);
  }
  return null;
}

interface Walk {
  readonly facts: HistoryFacts;
  readonly keptThrough: bigint;
  /** The first revision above durableRevision that no file holds. */
  readonly firstMissing: bigint;
}

/**
 * Walks the present revisions up from durableRevision + 1 (which starts a batch, durableRevision
 * being a batch end) while they run without a gap, remembering the last batch end reached.
 * Example: durableRevision 4, present 5 6 7 9 with batch ends 5 7 7 9: the run is 5..7, the first
 * missing revision 8, which starts a batch (7 ends one): keptThrough 7, gap, not open (@C).
 */
function walkOf(durableRevision: bigint, sorted: readonly Place[]): Walk {
  let expected = durableRevision + 1n;
  let keptThrough = durableRevision;
  let i = 0;
  for (; i < sorted.length; i++) {
    const place = sorted[i];
    assert(place !== undefined);
    if (place.record.revision !== expected) break;
    if (place.record.batchEnd === expected) keptThrough = expected;
    expected++;
  }
  const last = sorted[i - 1];
  const open = last !== undefined && last.record.batchEnd > last.record.revision;
  assert(open === (keptThrough < expected - 1n), "the run ends at a batch end exactly when it is not open");
  const facts: HistoryFacts = { problem: "none", records: sorted.length > 0, gap: i < sorted.length, open };
  return { facts, keptThrough, firstMissing: expected };
}

function incompleteBatchOf(walk: Walk, sorted: readonly Place[]): IncompleteBatch {
  const start = walk.keptThrough + 1n;
  const inRun = sorted.find((p) => p.record.revision === start);
  assert(inRun !== undefined, "an open batch's first revision is present");
  const end = inRun.record.batchEnd;
  const present = new Set(sorted.filter((p) => p.record.revision >= start && p.record.revision <= end).map((p) => p.record.revision));
  const missingRevisions: bigint[] = [];
  // Bounded: each step either lists a missing revision or skips a present one.
  for (let r = walk.firstMissing; r <= end && missingRevisions.length < MISSING_LISTED_MAX; r++) {
    if (!present.has(r)) missingRevisions.push(r);
  }
  return { start, end, missingRevisions, missingCount: end - start + 1n - BigInt(present.size) };
}

/** The plan for one recovery: how far history runs and where each file is cut, or the first problem. */
export function planHistory(durableRevision: bigint, files: readonly HistoryFile[]): HistoryPlan | HistoryProblem {
  assertPlaces(durableRevision, files);
  const places = placesAbove(durableRevision, files);
  if (!(places instanceof Map)) return places;
  const sorted = [...places.values()].sort((a, b) => (a.record.revision < b.record.revision ? -1 : 1));
  const batchProblem = batchProblemOf(sorted);
  if (batchProblem !== null) return batchProblem;
  const walk = walkOf(durableRevision, sorted);
  const row = decideHistory(walk.facts);
  const { keptThrough } = walk;
  const cuts: HistoryFileCut[] = files.map((file) => {
    const cutIndex = file.records.findIndex((r) => r.revision > keptThrough);
    const cutRecord = cutIndex < 0 ? undefined : file.records[cutIndex];
    return { fileId: file.fileId, cutAt: cutRecord === undefined ? null : cutRecord.offsetInFile, recordsCut: cutIndex < 0 ? 0 : file.records.length - cutIndex };
  });
  const revisionsCut = sorted.filter((p) => p.record.revision > keptThrough).length;
  assert((row.action === "keep") === (revisionsCut === 0), "a row cuts exactly when revisions lie above keptThrough");
  return {
    row, keptThrough, nextRevision: keptThrough + 1n, files: cuts,
    firstMissing: revisionsCut === 0 ? null : walk.firstMissing,
    incompleteBatch: walk.facts.open ? incompleteBatchOf(walk, sorted) : null,
    recordsCut: cuts.reduce((n, c) => n + c.recordsCut, 0), revisionsCut,
  };
}
