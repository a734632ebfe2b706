// Which recovered records the store keeps (docs/FORMAT.md "Recovered history"): the table is total
// and exclusive, one test per row, and a crash property: a history of batches written in turns to
// several files, with per-file tails lost independently, recovers to exactly a prefix of batches.
import { expect } from "chai";
import fc from "fast-check";
import {
  type HistoryFile, type HistoryPlan, type HistoryProblem, type HistoryRecord, decideHistory, everyHistoryFacts,
  historyRows, isHistoryProblem, planHistory,
} from "../../host/store/history-prefix.js";
import { propertySeed } from "../core/core-check.js";

/** Records of one file from [revision, batchEnd] pairs, 24-byte frames after a 64-byte header. */
function fileOf(fileId: string, pairs: readonly (readonly [number, number])[]): HistoryFile {
  const records: HistoryRecord[] = pairs.map(([revision, batchEnd], i) => ({
    revision: BigInt(revision), batchEnd: BigInt(batchEnd), offsetInFile: 64 + 24 * i, endInFile: 64 + 24 * (i + 1),
  }));
  return { fileId, records };
}

function planOk(durableRevision: bigint, files: readonly HistoryFile[]): HistoryPlan {
  const result = planHistory(durableRevision, files);
  if (isHistoryProblem(result)) throw new Error(`unexpected problem ${result.reason} in ${result.fileId} at ${result.offset}`);
  return result;
}

function problemOf(durableRevision: bigint, files: readonly HistoryFile[]): HistoryProblem {
  const result = planHistory(durableRevision, files);
  if (!isHistoryProblem(result)) throw new Error(`expected a problem, got row ${result.row.label}`);
  return result;
}

describe("store: history prefix", () => {
  it("every fact combination matches exactly one labelled row", () => {
    const facts = everyHistoryFacts();
    expect(facts.length, "5 problems x 2^3").to.equal(40);
    const seen = new Set<string>();
    for (const f of facts) {
      expect(historyRows.filter((row) => row.matches(f)).length, JSON.stringify(f)).to.equal(1);
      seen.add(decideHistory(f).label);
    }
    expect([...seen].sort()).to.deep.equal(historyRows.map((row) => row.label));
    expect(historyRows.map((row) => row.label)).to.deep.equal(["@A", "@B", "@C", "@D", "@E", "@F", "@G", "@H", "@I"]);
  });

  it("@A noRecordsAboveDurableKeepsNothingAndCutsNothing", () => {
    const plan = planOk(7n, [fileOf("hot-1", [[3, 3], [6, 7], [7, 7]]), fileOf("staging", [])]);
    expect(plan.row.label).to.equal("@A");
    expect(plan.keptThrough).to.equal(7n);
    expect(plan.nextRevision).to.equal(8n);
    expect(plan.files.map((f) => f.cutAt)).to.deep.equal([null, null]);
    expect(plan.recordsCut).to.equal(0);
    expect(plan.firstMissing).to.equal(null);
    const empty = planOk(0n, []);
    expect([empty.row.label, empty.keptThrough, empty.nextRevision]).to.deep.equal(["@A", 0n, 1n]);
  });

  it("@B contiguousAndCompleteKeepsEverything", () => {
    // Revision 3 was staged and promoted, so it is in both files.
    const plan = planOk(2n, [fileOf("hot-1", [[1, 1], [3, 4], [4, 4], [6, 6]]), fileOf("staging", [[3, 4], [5, 5]])]);
    expect(plan.row.label).to.equal("@B");
    expect(plan.keptThrough).to.equal(6n);
    expect(plan.nextRevision).to.equal(7n);
    expect(plan.files.map((f) => f.cutAt)).to.deep.equal([null, null]);
    expect(plan.incompleteBatch).to.equal(null);
  });

  it("@C gapAtBatchBoundaryCutsFromTheMissingRevision", () => {
    // The worked example of docs/FORMAT.md: revision 5 is lost from staging; 6 and 7 survive in hot-1.
    const plan = planOk(2n, [fileOf("hot-1", [[3, 4], [4, 4], [6, 7], [7, 7]]), fileOf("staging", [[3, 4], [8, 8]])]);
    expect(plan.row.label).to.equal("@C");
    expect(plan.keptThrough).to.equal(4n);
    expect(plan.nextRevision).to.equal(5n);
    expect(plan.firstMissing).to.equal(5n);
    expect(plan.files).to.deep.equal([{ fileId: "hot-1", cutAt: 112, recordsCut: 2 }, { fileId: "staging", cutAt: 88, recordsCut: 1 }]);
    expect([plan.recordsCut, plan.revisionsCut]).to.deep.equal([3, 3]);
    expect(plan.incompleteBatch).to.equal(null);
  });

  it("@C missingFirstRevisionAboveDurableCutsEverythingAboveIt", () => {
    const plan = planOk(4n, [fileOf("hot-1", [[2, 4], [6, 6]])]);
    expect([plan.row.label, plan.keptThrough, plan.firstMissing]).to.deep.equal(["@C", 4n, 5n]);
    expect(plan.files[0]?.cutAt).to.equal(88);
  });

  it("@D incompleteLastBatchIsCutWhole", () => {
    const plan = planOk(0n, [fileOf("hot-1", [[1, 1], [2, 5], [4, 5]]), fileOf("hot-2", [[3, 5]])]);
    expect(plan.row.label).to.equal("@D");
    expect(plan.keptThrough).to.equal(1n);
    expect(plan.firstMissing).to.equal(5n);
    expect(plan.incompleteBatch).to.deep.equal({ start: 2n, end: 5n, missingRevisions: [5n], missingCount: 1n });
    expect(plan.files.map((f) => f.cutAt)).to.deep.equal([88, 64]);
  });

  it("@E gapInsideABatchCutsTheBatchAndEverythingAfter", () => {
    const plan = planOk(0n, [fileOf("hot-1", [[1, 4], [2, 4], [4, 4], [5, 5]]), fileOf("hot-2", [[6, 6]])]);
    expect(plan.row.label).to.equal("@E");
    expect(plan.keptThrough).to.equal(0n);
    expect(plan.nextRevision).to.equal(1n);
    expect(plan.incompleteBatch).to.deep.equal({ start: 1n, end: 4n, missingRevisions: [3n], missingCount: 1n });
    expect(plan.files.map((f) => f.cutAt)).to.deep.equal([64, 64]);
    expect(plan.recordsCut).to.equal(5);
  });

  it("@E missingRevisionsOfAHugeBatchAreListedUpToTheMaxAndCounted", () => {
    const plan = planOk(0n, [fileOf("hot-1", [[1, 1000], [2, 1000], [5, 1000]])]);
    expect(plan.row.label).to.equal("@E");
    expect(plan.incompleteBatch?.missingRevisions).to.deep.equal([3n, 4n, 6n, 7n, 8n, 9n, 10n, 11n]);
    expect(plan.incompleteBatch?.missingCount).to.equal(997n);
  });

  it("@F nonIncreasingRevisionsInAFileAreCorruption", () => {
    const p = problemOf(0n, [fileOf("hot-1", [[1, 1]]), fileOf("hot-2", [[2, 2], [3, 3], [3, 3]])]);
    expect([p.row.label, p.reason, p.fileId, p.offset, p.revision]).to.deep.equal(["@F", "order", "hot-2", 112, 3n]);
    expect(p.other).to.deep.equal({ fileId: "hot-2", offset: 88, revision: 3n });
    expect(problemOf(5n, [fileOf("hot-1", [[2, 2], [1, 1]])]).reason, "below durableRevision too").to.equal("order");
  });

  it("@G duplicateWithAnotherBatchEndIsCorruption", () => {
    const p = problemOf(0n, [fileOf("staging", [[1, 1], [2, 3]]), fileOf("hot-1", [[2, 2]])]);
    expect([p.row.label, p.reason, p.fileId, p.offset, p.revision]).to.deep.equal(["@G", "duplicate", "hot-1", 64, 2n]);
    expect(p.other).to.deep.equal({ fileId: "staging", offset: 88, revision: 2n });
  });

  it("@H impossibleBatchIsCorruption", () => {
    const below = problemOf(0n, [fileOf("hot-1", [[1, 1], [3, 2]])]);
    expect([below.row.label, below.reason, below.offset]).to.deep.equal(["@H", "batch", 88]);
    expect(problemOf(0n, [fileOf("hot-1", [[0, 0]])]).reason, "revision 0").to.equal("batch");
    const twoEnds = problemOf(0n, [fileOf("hot-1", [[1, 3], [2, 4]])]);
    expect([twoEnds.reason, twoEnds.offset, twoEnds.other?.offset]).to.deep.equal(["batch", 88, 64]);
    const acrossGap = problemOf(0n, [fileOf("hot-1", [[1, 1], [3, 9], [5, 6]])]);
    expect([acrossGap.reason, acrossGap.revision]).to.deep.equal(["batch", 5n]);
  });

  it("@I batchStraddlingDurableRevisionIsCorruption", () => {
    const p = problemOf(4n, [fileOf("hot-1", [[3, 5], [4, 5], [5, 5]])]);
    expect([p.row.label, p.reason, p.fileId, p.offset, p.revision]).to.deep.equal(["@I", "straddle", "hot-1", 64, 3n]);
  });

  describe("property: a crash keeps exactly a prefix of batches", () => {
    /** One record of the original history: which turn wrote it, and the files it went to. */
    interface Written { revision: bigint; batchEnd: bigint; turn: number; files: number[] }

    const historyArbitrary = fc.record({
      batchSizes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 14 }),
      fileCount: fc.integer({ min: 1, max: 4 }),
      choices: fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.boolean()), { minLength: 70, maxLength: 70 }),
      turnBreaks: fc.array(fc.boolean(), { minLength: 14, maxLength: 14 }),
      crashTurn: fc.nat(),
      durableChoice: fc.nat(),
      keep: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      sealedDrop: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
    });

    it("keptThrough is the largest whole-batch prefix, acknowledged batches survive, cuts are exact and idempotent", () => {
      const rowsSeen = new Set<string>();
      fc.assert(
        fc.property(historyArbitrary, (h) => {
          // The history: batches of consecutive revisions from 1, grouped into turns.
          const written: Written[] = [];
          const batchEnds: bigint[] = [];
          const turnEnds: bigint[] = [];
          let revision = 0n, turn = 0;
          h.batchSizes.forEach((size, b) => {
            if (b > 0 && h.turnBreaks[b] === true) { turnEnds.push(revision); turn++; }
            const end = revision + BigInt(size);
            for (let i = 0; i < size; i++) {
              const [f, g, promoted] = h.choices[written.length % h.choices.length] ?? [0, 0, false];
              const home = f % h.fileCount, copy = g % h.fileCount;
              written.push({ revision: ++revision, batchEnd: end, turn, files: promoted && copy !== home ? [home, copy] : [home] });
            }
            batchEnds.push(end);
          });
          turnEnds.push(revision);
          const turnCount = turnEnds.length;
          // Turns before crashTurn were fully durable; the manifest's durableRevision is the end of one of them (or 0).
          const crashTurn = h.crashTurn % turnCount;
          const durableEnds = [0n, ...turnEnds.slice(0, crashTurn)];
          const durableRevision = durableEnds[h.durableChoice % durableEnds.length] ?? 0n;
          // Per file: its records in revision order. A crash keeps a prefix of each file that holds at least every
          // record of the turns before crashTurn (the scan has cut the torn tail), chosen independently per file.
          // Below durableRevision, a file may also have lost a prefix (sealed, its old generation removed).
          const files: HistoryFile[] = [];
          const kept: Written[][] = [];
          for (let f = 0; f < h.fileCount; f++) {
            const all = written.filter((w) => w.files.includes(f));
            const durable = all.filter((w) => w.turn < crashTurn).length;
            const keepCount = durable + ((h.keep[f] ?? 0) % (all.length - durable + 1));
            const sealed = all.filter((w) => w.revision <= durableRevision).length;
            const dropCount = (h.sealedDrop[f] ?? 0) % (sealed + 1);
            const records = all.slice(dropCount, keepCount);
            kept.push(records);
            files.push({
              fileId: `file-${f}`,
              records: records.map((w) => ({ revision: w.revision, batchEnd: w.batchEnd, offsetInFile: 64 + 32 * Number(w.revision), endInFile: 96 + 32 * Number(w.revision) })),
            });
          }
          const present = new Set(kept.flat().map((w) => w.revision));
          // The oracle: the largest batch end e >= durableRevision with every revision in (durableRevision, e] present.
          let expected = durableRevision;
          for (const end of batchEnds) {
            if (end <= durableRevision) continue;
            let whole = true;
            for (let r = expected + 1n; r <= end; r++) whole &&= present.has(r);
            if (!whole) break;
            expected = end;
          }
          // Acknowledged: the longest run of turns each fully kept in every file it touched (acknowledgements are in order).
          let acknowledgedEnd = 0n;
          for (let t = 0; t < turnCount; t++) {
            const whole = written.filter((w) => w.turn === t).every((w) => w.revision <= durableRevision || w.files.every((f) => kept[f]?.includes(w) === true));
            if (!whole) break;
            acknowledgedEnd = turnEnds[t] ?? 0n;
          }

          const plan = planOk(durableRevision, files);
          rowsSeen.add(plan.row.label);
          expect(plan.keptThrough, "the largest whole-batch prefix").to.equal(expected);
          expect(plan.keptThrough === durableRevision || batchEnds.includes(plan.keptThrough), "a batch end").to.equal(true);
          expect(plan.keptThrough >= acknowledgedEnd, "every acknowledged batch is kept").to.equal(true);
          for (let r = durableRevision + 1n; r <= plan.keptThrough; r++) expect(present.has(r), `revision ${r} is kept`).to.equal(true);
          if (plan.firstMissing !== null) expect(plan.keptThrough < plan.firstMissing && !present.has(plan.firstMissing)).to.equal(true);
          expect(plan.nextRevision).to.equal(plan.keptThrough + 1n);
          files.forEach((file, i) => {
            const first = file.records.find((r) => r.revision > plan.keptThrough);
            expect(plan.files[i]?.cutAt, file.fileId).to.equal(first === undefined ? null : first.offsetInFile);
          });
          // Planning again on the cut files changes nothing.
          const cutFiles = files.map((file, i) => {
            const cutAt = plan.files[i]?.cutAt ?? null;
            return { fileId: file.fileId, records: file.records.filter((r) => cutAt === null || r.offsetInFile < cutAt) };
          });
          const again = planOk(durableRevision, cutFiles);
          expect(again.keptThrough).to.equal(plan.keptThrough);
          expect(again.files.every((f) => f.cutAt === null)).to.equal(true);
          expect(["@A", "@B"]).to.include(again.row.label);
        }),
        { seed: propertySeed(), numRuns: 1000 },
      );
      // Whatever the seed, 1,000 crashes reach every row a crash can produce.
      expect([...rowsSeen].sort(), "rows the crashes reached").to.deep.equal(["@A", "@B", "@C", "@D", "@E"]);
    });
  });
});
