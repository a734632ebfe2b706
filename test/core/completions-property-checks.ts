// The completion table's property test: random writes, datasyncs and closes on three files,
// completed in random orders with random failures (errors, short writes, impossible results) and
// duplicate completions, compared after every step with test/core/completions-model.ts. A table of
// 2..12 slots fills often, so "full returns null" and the recovery after completions are exercised.
import { expect } from "chai";
import fc from "fast-check";
import { CompletionOutcome, type CompletionTable } from "../../host/core/completions.js";
import { CompletionModel } from "./completions-model.js";
import { type CoreCheck, propertySeed } from "./core-check.js";

type Command =
  | { readonly op: "write"; readonly file: number; readonly length: number; readonly rewind: number }
  | { readonly op: "datasync"; readonly file: number }
  | { readonly op: "close"; readonly file: number }
  | { readonly op: "open"; readonly file: number; readonly position: number }
  | { readonly op: "complete"; readonly pick: number; readonly fate: "ok" | "fail" | "short" | "long" }
  | { readonly op: "duplicate"; readonly pick: number };

const FILES = 3;

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("write" as const), file: fc.nat({ max: FILES - 1 }), length: fc.integer({ min: 1, max: 100 }), rewind: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 150 }) }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("datasync" as const), file: fc.nat({ max: FILES - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const), file: fc.nat({ max: FILES - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("open" as const), file: fc.nat({ max: FILES - 1 }), position: fc.nat({ max: 1000 }) }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant("complete" as const), pick: fc.nat(), fate: fc.oneof({ weight: 12, arbitrary: fc.constant("ok" as const) }, fc.constant("fail" as const), fc.constant("short" as const), { weight: 1, arbitrary: fc.constant("long" as const) }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("duplicate" as const), pick: fc.nat() }) },
);

/** Runs the commands against the table and the model side by side, comparing after every step. */
class Trial {
  private readonly model: CompletionModel;
  private readonly nextOffset: bigint[] = new Array<bigint>(FILES).fill(0n);
  private readonly lengths = new Map<bigint, bigint>();
  private readonly issued = new Set<bigint>();
  private readonly completed: bigint[] = [];
  private lastToken = 0n;

  constructor(private readonly table: CompletionTable, opsMax: number) {
    this.model = new CompletionModel(opsMax, FILES);
  }

  run(command: Command): void {
    switch (command.op) {
      case "write": return this.write(command.file, command.length, command.rewind);
      case "datasync": return this.fileOp("datasync", command.file);
      case "close": return this.fileOp("close", command.file);
      case "open": return this.open(command.file, BigInt(command.position));
      case "complete": return this.complete(command.pick, command.fate);
      case "duplicate": return this.duplicate(command.pick);
    }
  }

  /** Completes everything still pending, oldest first, successfully. */
  drain(): void {
    while (this.model.pending.size > 0) this.complete(0, "ok");
  }

  private write(file: number, length: number, rewind: number): void {
    if (this.model.file(file).state !== "open") return;
    const next = this.nextOffset[file] ?? 0n;
    const start = next - BigInt(rewind) > 0n ? next - BigInt(rewind) : 0n;
    const end = start + BigInt(length);
    const full = this.model.isFull();
    const t = this.table.registerWrite(file, start, end);
    if (this.expectIssued(t, full)) {
      this.model.register(t as bigint, "write", file, start, end);
      this.lengths.set(t as bigint, BigInt(length));
      if (end > next) this.nextOffset[file] = end;
    }
    this.compare();
  }

  private fileOp(kind: "datasync" | "close", file: number): void {
    if (this.model.file(file).state !== "open") return;
    const full = this.model.isFull();
    const t = kind === "datasync" ? this.table.registerDatasync(file) : this.table.registerClose(file);
    if (this.expectIssued(t, full)) this.model.register(t as bigint, kind, file);
    this.compare();
  }

  private open(file: number, position: bigint): void {
    const state = this.model.file(file).state;
    if ((state !== "unused" && state !== "closed") || this.model.pendingOnFile(file) !== 0) return;
    this.table.openFile(file, position);
    this.model.open(file, position);
    this.nextOffset[file] = position;
    this.compare();
  }

  private complete(pick: number, fate: "ok" | "fail" | "short" | "long"): void {
    const tokens = [...this.model.pending.keys()];
    if (tokens.length === 0) return;
    const t = tokens[pick % tokens.length] as bigint;
    const length = this.lengths.get(t);
    let result = 0n;
    if (fate === "fail") result = -5n;
    else if (length !== undefined) result = fate === "short" ? length - 1n : fate === "long" ? length + 1n : length;
    else if (fate === "long") result = 1n;
    const expected = this.model.complete(t, result);
    expect(this.table.complete(t, result), `completing ${t} with ${result}`).to.equal(expected);
    this.completed.push(t);
    this.compare();
  }

  private duplicate(pick: number): void {
    if (this.completed.length === 0) return;
    const t = this.completed[pick % this.completed.length] as bigint;
    expect(this.table.complete(t, 0)).to.equal(CompletionOutcome.UnknownToken);
    this.compare();
  }

  /** Checks a registration: null exactly when the model says the table is full; else a fresh token. */
  private expectIssued(t: bigint | null, full: boolean): boolean {
    expect(t === null, `registration returned ${String(t)}; model full: ${full}`).to.equal(full);
    if (t === null) return false;
    expect(t > this.lastToken, "tokens increase across every kind").to.equal(true);
    expect(this.issued.has(t)).to.equal(false);
    this.issued.add(t);
    this.lastToken = t;
    return true;
  }

  private compare(): void {
    for (let file = 0; file < FILES; file++) {
      const state = this.model.file(file).state;
      expect(this.table.fileState(file), `file ${file} state`).to.equal(state);
      if (state === "unused") continue;
      expect(this.table.writtenPosition(file), `file ${file} written`).to.equal(this.model.written(file));
      expect(this.table.syncedPosition(file), `file ${file} synced`).to.equal(this.model.file(file).synced);
      expect(this.table.fileFailed(file), `file ${file} failed`).to.equal(this.model.failed(file));
      expect(this.table.syncedPosition(file) <= this.table.writtenPosition(file) || this.model.failed(file), "synced <= written").to.equal(true);
    }
    expect(this.table.pendingCount(), "pending").to.equal(this.model.pending.size);
    expect(this.table.slotsInUse(), "slots in use").to.equal(this.model.slotsInUse());
  }
}

export const completionsPropertyChecks: CoreCheck[] = [
  {
    name: "random ops, completion orders and failures on three files match the model",
    run(core) {
      fc.assert(
        fc.property(fc.integer({ min: 2, max: 12 }), fc.array(commandArb, { minLength: 1, maxLength: 80 }), (opsMax, commands) => {
          const table = core.createCompletionTable({ opsMax, filesMax: FILES });
          try {
            const trial = new Trial(table, opsMax);
            for (let file = 0; file < FILES; file++) trial.run({ op: "open", file, position: 0 });
            for (const command of commands) trial.run(command);
            trial.drain();
            expect(table.pendingCount()).to.equal(0);
            expect(table.slotsInUse()).to.equal(0);
          } finally {
            table.release();
          }
        }),
        { seed: propertySeed(), numRuns: 300 },
      );
    },
  },
];
