// The completion table: one check per rule, named for it, then the property test against a model
// (test/core/completions-property-checks.ts).
import { expect } from "chai";
import { CompletionOutcome, type CompletionTable } from "../../host/core/completions.js";
import { type Core } from "../../host/core/index.js";
import { completionsPropertyChecks } from "./completions-property-checks.js";
import { type CoreCheck } from "./core-check.js";

const EIO = -5;

function withTable(core: Core, opsMax: number, filesMax: number, body: (table: CompletionTable) => void): void {
  const table = core.createCompletionTable({ opsMax, filesMax });
  try {
    body(table);
  } finally {
    table.release();
  }
}

function token(value: bigint | null): bigint {
  expect(value, "the table should not be full").to.not.equal(null);
  return value as bigint;
}

const ruleChecks: CoreCheck[] = [
  {
    name: "tokens are unique, increasing and never 0 across writes, datasyncs and closes",
    run(core) {
      // Regression: the originals drew write and sync tokens from two counters that collided.
      withTable(core, 4, 2, (table) => {
        table.openFile(0);
        table.openFile(1);
        const seen = new Set<bigint>();
        let last = 0n;
        for (let round = 0; round < 200; round++) {
          const file = round % 2;
          const issued = [
            token(table.registerWrite(file, BigInt(round) * 10n, BigInt(round) * 10n + 10n)),
            token(table.registerDatasync(file)),
          ];
          for (const t of issued) {
            expect(t > last, "tokens increase").to.equal(true);
            expect(seen.has(t), `token ${t} issued twice`).to.equal(false);
            seen.add(t);
            last = t;
          }
          expect(table.complete(issued[1] ?? 0n, 0)).to.equal(CompletionOutcome.Ok);
          expect(table.complete(issued[0] ?? 0n, 10)).to.equal(CompletionOutcome.Ok);
        }
        const close = token(table.registerClose(0));
        expect(seen.has(close)).to.equal(false);
        expect(close > last).to.equal(true);
      });
    },
  },
  {
    name: "the written position is the end of the longest prefix of completed writes",
    run(core) {
      withTable(core, 8, 1, (table) => {
        table.openFile(0, 100n);
        const a = token(table.registerWrite(0, 100n, 200n));
        const b = token(table.registerWrite(0, 200n, 300n));
        const c = token(table.registerWrite(0, 300n, 350n));
        expect(table.complete(c, 50)).to.equal(CompletionOutcome.Ok);
        expect(table.complete(b, 100)).to.equal(CompletionOutcome.Ok);
        expect(table.writtenPosition(0)).to.equal(100n); // a is still pending
        expect(table.slotsInUse()).to.equal(3); // b and c wait for a
        expect(table.pendingCount()).to.equal(1);
        expect(table.complete(a, 100)).to.equal(CompletionOutcome.Ok);
        expect(table.writtenPosition(0)).to.equal(350n);
        expect(table.slotsInUse()).to.equal(0);
      });
    },
  },
  {
    name: "a datasync submitted before a write completed does not cover it, even if the write completes first",
    run(core) {
      withTable(core, 8, 1, (table) => {
        table.openFile(0);
        const a = token(table.registerWrite(0, 0n, 4096n));
        expect(table.complete(a, 4096)).to.equal(CompletionOutcome.Ok);
        const b = token(table.registerWrite(0, 4096n, 8192n));
        const sync = token(table.registerDatasync(0)); // boundary 4096: b has not completed
        expect(table.complete(b, 4096)).to.equal(CompletionOutcome.Ok);
        expect(table.writtenPosition(0)).to.equal(8192n);
        expect(table.complete(sync, 0)).to.equal(CompletionOutcome.Ok);
        expect(table.syncedPosition(0)).to.equal(4096n);
        const again = token(table.registerDatasync(0));
        expect(table.complete(again, 0)).to.equal(CompletionOutcome.Ok);
        expect(table.syncedPosition(0)).to.equal(8192n);
      });
    },
  },
  {
    name: "datasyncs completing out of order never move the synced position back",
    run(core) {
      withTable(core, 8, 1, (table) => {
        table.openFile(0);
        const w1 = token(table.registerWrite(0, 0n, 10n));
        table.complete(w1, 10);
        const s1 = token(table.registerDatasync(0)); // boundary 10
        const w2 = token(table.registerWrite(0, 10n, 20n));
        table.complete(w2, 10);
        const s2 = token(table.registerDatasync(0)); // boundary 20
        expect(table.complete(s2, 0)).to.equal(CompletionOutcome.Ok);
        expect(table.syncedPosition(0)).to.equal(20n);
        expect(table.complete(s1, 0)).to.equal(CompletionOutcome.Ok);
        expect(table.syncedPosition(0)).to.equal(20n);
      });
    },
  },
  {
    name: "a short write fails the file at its start, and nothing registered after it ever counts",
    run(core) {
      withTable(core, 8, 1, (table) => {
        table.openFile(0);
        const a = token(table.registerWrite(0, 0n, 100n));
        const b = token(table.registerWrite(0, 100n, 200n));
        const c = token(table.registerWrite(0, 200n, 300n));
        expect(table.complete(c, 100)).to.equal(CompletionOutcome.Ok);
        expect(table.complete(b, 60)).to.equal(CompletionOutcome.WriteShort);
        expect(table.fileFailed(0)).to.equal(true);
        expect(table.complete(a, 100)).to.equal(CompletionOutcome.Ok); // registered before b: counts
        expect(table.writtenPosition(0)).to.equal(100n);
        const d = token(table.registerWrite(0, 300n, 400n));
        expect(table.complete(d, 100)).to.equal(CompletionOutcome.Ok);
        expect(table.writtenPosition(0)).to.equal(100n);
        const sync = token(table.registerDatasync(0));
        expect(table.complete(sync, 0)).to.equal(CompletionOutcome.Ok);
        expect(table.syncedPosition(0)).to.equal(100n);
        expect(table.slotsInUse()).to.equal(0);
      });
    },
  },
  {
    name: "a failed write is reported and caps the file at its start",
    run(core) {
      withTable(core, 8, 1, (table) => {
        table.openFile(0, 50n);
        const a = token(table.registerWrite(0, 50n, 90n));
        const sync = token(table.registerDatasync(0)); // boundary 50
        expect(table.complete(a, EIO)).to.equal(CompletionOutcome.WriteFailed);
        expect(table.complete(sync, 0)).to.equal(CompletionOutcome.Ok);
        expect(table.writtenPosition(0)).to.equal(50n);
        expect(table.syncedPosition(0)).to.equal(50n);
        expect(table.fileFailed(0)).to.equal(true);
      });
    },
  },
  {
    name: "a failed datasync freezes the synced position: a later successful one does not move it",
    run(core) {
      withTable(core, 8, 1, (table) => {
        table.openFile(0);
        const a = token(table.registerWrite(0, 0n, 10n));
        table.complete(a, 10);
        const s1 = token(table.registerDatasync(0));
        expect(table.complete(s1, 0)).to.equal(CompletionOutcome.Ok);
        const b = token(table.registerWrite(0, 10n, 20n));
        table.complete(b, 10);
        const s2 = token(table.registerDatasync(0));
        const s3 = token(table.registerDatasync(0));
        expect(table.complete(s2, EIO)).to.equal(CompletionOutcome.DatasyncFailed);
        expect(table.fileFailed(0)).to.equal(true);
        expect(table.complete(s3, 0)).to.equal(CompletionOutcome.Ok);
        expect(table.syncedPosition(0)).to.equal(10n);
        expect(table.writtenPosition(0)).to.equal(10n);
      });
    },
  },
  {
    name: "a full table returns null, and recovers once ops complete",
    run(core) {
      withTable(core, 3, 1, (table) => {
        table.openFile(0);
        const a = token(table.registerWrite(0, 0n, 1n));
        const b = token(table.registerWrite(0, 1n, 2n));
        const c = token(table.registerWrite(0, 2n, 3n));
        expect(table.registerWrite(0, 3n, 4n)).to.equal(null);
        expect(table.registerDatasync(0)).to.equal(null);
        expect(table.registerClose(0)).to.equal(null);
        expect(table.fileState(0)).to.equal("open"); // a refused close changes nothing
        table.complete(c, 1);
        table.complete(b, 1);
        expect(table.registerDatasync(0)).to.equal(null); // b and c still wait for a
        table.complete(a, 1);
        expect(table.slotsInUse()).to.equal(0);
        const sync = token(table.registerDatasync(0));
        expect(table.complete(sync, 0)).to.equal(CompletionOutcome.Ok);
        expect(table.syncedPosition(0)).to.equal(3n);
      });
    },
  },
  {
    name: "a duplicate completion and a token never issued are reported and change nothing",
    run(core) {
      withTable(core, 4, 1, (table) => {
        table.openFile(0);
        const a = token(table.registerWrite(0, 0n, 8n));
        const b = token(table.registerWrite(0, 8n, 16n));
        expect(table.complete(b, 8)).to.equal(CompletionOutcome.Ok);
        expect(table.complete(b, 8)).to.equal(CompletionOutcome.UnknownToken); // held, waiting for a
        expect(table.complete(a, 8)).to.equal(CompletionOutcome.Ok);
        expect(table.complete(a, 8)).to.equal(CompletionOutcome.UnknownToken); // freed
        expect(table.complete(0n, 0)).to.equal(CompletionOutcome.UnknownToken);
        expect(table.complete(b + 1000n, 0)).to.equal(CompletionOutcome.UnknownToken);
        expect(table.complete((1n << 64n) - 1n, 0)).to.equal(CompletionOutcome.UnknownToken);
        expect(table.writtenPosition(0)).to.equal(16n);
        expect(table.pendingCount()).to.equal(0);
      });
    },
  },
  {
    name: "results no kernel returns are reported apart and fail the op",
    run(core) {
      withTable(core, 4, 2, (table) => {
        table.openFile(0);
        table.openFile(1);
        const a = token(table.registerWrite(0, 0n, 8n));
        expect(table.complete(a, 9)).to.equal(CompletionOutcome.ResultInvalid);
        expect(table.writtenPosition(0)).to.equal(0n);
        expect(table.fileFailed(0)).to.equal(true);
        const sync = token(table.registerDatasync(1));
        expect(table.complete(sync, 1)).to.equal(CompletionOutcome.ResultInvalid);
        expect(table.fileFailed(1)).to.equal(true);
      });
    },
  },
  {
    name: "a close ends a file's ops; after it completes the file can be opened again",
    run(core) {
      withTable(core, 4, 1, (table) => {
        expect(table.fileState(0)).to.equal("unused");
        table.openFile(0, 64n);
        const w = token(table.registerWrite(0, 64n, 128n));
        const close = token(table.registerClose(0));
        expect(table.fileState(0)).to.equal("closing");
        expect(() => table.registerWrite(0, 128n, 130n)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
        expect(() => table.registerDatasync(0)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
        expect(table.complete(close, 0)).to.equal(CompletionOutcome.Ok);
        expect(table.fileState(0)).to.equal("closed");
        expect(() => table.openFile(0)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT"); // w pending
        expect(table.complete(w, 64)).to.equal(CompletionOutcome.Ok);
        expect(table.writtenPosition(0)).to.equal(128n);
        table.openFile(0, 1000n);
        expect(table.writtenPosition(0)).to.equal(1000n);
        expect(table.syncedPosition(0)).to.equal(1000n);
        const closeFails = token(table.registerClose(0));
        expect(table.complete(closeFails, EIO)).to.equal(CompletionOutcome.CloseFailed);
        expect(table.fileFailed(0)).to.equal(true);
        table.openFile(0, 0n); // a new incarnation starts clean
        expect(table.fileFailed(0)).to.equal(false);
      });
    },
  },
  {
    name: "misuse is an InvalidArgumentError: file out of range, unopened file, empty write, bad limits, released table",
    run(core) {
      const invalid = (fn: () => unknown): void => {
        expect(fn).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
      };
      const table = core.createCompletionTable({ opsMax: 4, filesMax: 2 });
      invalid(() => table.registerWrite(2, 0n, 1n));
      invalid(() => table.registerDatasync(-1));
      invalid(() => table.syncedPosition(1.5));
      invalid(() => table.registerWrite(0, 0n, 1n)); // never opened
      table.openFile(0);
      invalid(() => table.openFile(0)); // already open
      invalid(() => table.registerWrite(0, 5n, 5n));
      invalid(() => table.registerWrite(0, -1n, 5n));
      invalid(() => table.registerWrite(0, 0n, 1n << 64n));
      invalid(() => table.complete(-1n, 0));
      invalid(() => table.complete(1n, 0.5));
      table.release();
      invalid(() => table.pendingCount());
      invalid(() => core.createCompletionTable({ opsMax: 0, filesMax: 1 }));
      invalid(() => core.createCompletionTable({ opsMax: 1, filesMax: 5000 }));
      invalid(() => core.createCompletionTable({ opsMax: (1 << 16) + 1, filesMax: 1 }));
    },
  },
];

export const completionsChecks: CoreCheck[] = [...ruleChecks, ...completionsPropertyChecks];
