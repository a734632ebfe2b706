// The live tail of one space: the in-memory index of its records not yet sealed into a block.
//
// The writer (the store, after each durable I/O turn) publishes a turn's records as one batch;
// readers take a `view()` and read it for as long as they like. A view is an immutable snapshot: a
// query is an async iterator that yields between batches, so publishes and drops happen while it
// runs, and its answers must not move. Each publish and each drop builds a new `LiveTailView` over
// a new run list (tail-runs.ts, which gives the structure and its measured costs) and swaps it in;
// runs already built are shared, never changed. So a reader sees all of a turn or none of it, and
// a drop after a seal never takes records from a view that may not yet read the block.
//
// Bounded memory is the caller's job: the store seals when `recordCount` or `sizeBytes` passes its
// thresholds, and that bounds n in every cost below.
import { assert, constants } from "../assert.js";
import { recordSizeBytes, runsDrop, runsGet, runsPush, runsRange, tailRun, type TailRun } from "./tail-runs.js";
import { type OrderedVersion, assertVersionRecord, compareOrdered, keyOrd, type VersionRecord } from "./version-record.js";

export class LiveTailView {
  /** Every record of every turn through this revision is here (unless a seal dropped it before). */
  readonly publishedRevision: bigint;
  readonly recordCount: number;
  /** 16 bytes per record (key, revision) plus the value bytes: the size the records seal into, roughly. */
  readonly sizeBytes: number;
  private readonly runs: readonly TailRun[];

  constructor(runs: readonly TailRun[], publishedRevision: bigint) {
    this.runs = runs;
    this.publishedRevision = publishedRevision;
    let recordCount = 0;
    let sizeBytes = 0;
    for (const run of runs) {
      recordCount += run.records.length;
      sizeBytes += run.sizeBytes;
    }
    this.recordCount = recordCount;
    this.sizeBytes = sizeBytes;
  }

  /** The number of sorted runs: at most log2(recordCount) + 1. For tests and stats. */
  get runCount(): number {
    return this.runs.length;
  }

  /** The newest record of `key` with revision <= atRevision, tombstones included (the caller hides them). */
  get(key: bigint, atRevision: bigint): VersionRecord | undefined {
    assert(atRevision >= 0n, "a read revision is >= 0");
    return runsGet(this.runs, key, atRevision);
  }

  /**
   * For each key in [keyFrom, keyTo] (inclusive u64s) with a record <= atRevision, its newest such
   * record, tombstones included, in key order: a source sorted by (key, revision) for the version
   * merge. Lazy; the view never changes, so the iterator may be read across publishes.
   */
  range(keyFrom: bigint, keyTo: bigint, atRevision: bigint): Generator<VersionRecord, void, undefined> {
    assert(atRevision >= 0n, "a read revision is >= 0");
    return runsRange(this.runs, keyFrom, keyTo, atRevision);
  }

  /** @internal For LiveTail: this view's runs, to build the next view from. */
  runsForNextView(): readonly TailRun[] {
    return this.runs;
  }
}

export class LiveTail {
  private current = new LiveTailView([], 0n);

  /** The newest published state, O(1). Hold it for a whole read. */
  view(): LiveTailView {
    return this.current;
  }

  get publishedRevision(): bigint {
    return this.current.publishedRevision;
  }

  get recordCount(): number {
    return this.current.recordCount;
  }

  get sizeBytes(): number {
    return this.current.sizeBytes;
  }

  /**
   * Publishes one durable turn's records of this space, in increasing revision order, all above
   * the published revision. `throughRevision` (default: the batch's last revision) is the turn's
   * watermark: a turn that wrote only other spaces publishes an empty batch to move it.
   */
  publish(batch: readonly VersionRecord[], throughRevision?: bigint): void {
    const before = this.current.publishedRevision;
    let previous = before;
    for (let index = 0; index < batch.length; index++) {
      const record = batch[index] as VersionRecord;
      // Per record on the write path: the full shape check only when verifying.
      if (constants.verify) assertVersionRecord(record, `publish: record ${index}`);
      if (record.revision <= previous) assert(false, `publish: record ${index}'s revision ${record.revision} is above ${previous}`);
      previous = record.revision;
    }
    const through = throughRevision ?? previous;
    assert(through >= previous, `publish: throughRevision ${through} is at or above the batch's last revision ${previous}`);
    if (batch.length === 0) {
      if (through !== before) this.current = new LiveTailView(this.current.runsForNextView(), through);
      return;
    }
    // The batch is in revision order; sorting by (key, revision) keeps a key's versions in order.
    // A record without its ord (recovery's, a test's) gets a copy with it.
    const ordered = batch.map((record) => ("ord" in record && typeof record.ord === "number" ? record as OrderedVersion : { key: record.key, revision: record.revision, value: record.value, ord: keyOrd(record.key) }));
    const run = tailRun(ordered.sort(compareOrdered));
    this.current = new LiveTailView(runsPush(this.current.runsForNextView(), run), through);
  }

  /**
   * Drops the records a seal installed: those with revision <= upToRevision, or only those among
   * them `sealed` selects (a block holding part of them, the staged records left for a later seal).
   * Views taken before keep every record: they may still be read by a query that does not see the
   * block. "all" (the default) drops every record at or below upToRevision, and skips a run
   * wholly below it without reading it; otherwise O(records at or below upToRevision).
   */
  dropSealed(upToRevision: bigint, sealed: ((record: VersionRecord) => boolean) | "all" = "all"): void {
    const view = this.current;
    assert(upToRevision <= view.publishedRevision,
      `dropSealed: ${upToRevision} is at or below the published revision ${view.publishedRevision} (a block holds published records)`);
    this.current = new LiveTailView(runsDrop(view.runsForNextView(), upToRevision, sealed), view.publishedRevision);
  }
}

// Keeps tail-runs' record sizing and this file's documented sizeBytes one rule.
assert(recordSizeBytes({ key: 0n, revision: 1n, value: new Uint8Array(3) }) === 16 + 3, "16 bytes per record plus the value");
