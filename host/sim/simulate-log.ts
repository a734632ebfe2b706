// simulateLog: the log's crash simulation. For one seed: a random workload of appends, syncs and
// rotations runs on the real log code over a SimDisk; the process "crashes" at a random I/O step
// (including inside recovery) under a crash model; the log is reopened and checked against a
// model, several times over:
//   - every acknowledged entry is present, with its bytes;
//   - nothing that was never written appears (every entry is one the workload attempted);
//   - the recovered history is a prefix of what was attempted, in order (no holes);
//   - recovering twice gives the same entries, and the second recovery finds nothing to repair.
// The same seed gives the same trace hash on every run and runtime.
import { type Core } from "../core/index.js";
import { environmentFlag } from "../environment.js";
import { isSpacelogError } from "../errors.js";
import { type Log, openLog } from "../wal/index.js";
import { abandonLogAfterCrash } from "../wal/log-internals.js";
import { type DurabilityOption } from "../wal/durability.js";
import { decodeSegmentHeader } from "../wal/segment-format.js";
import { CrashingIo, SimulatedCrash } from "./crashing-io.js";
import { Prng } from "./prng.js";
import { CRASH_MODELS, type CrashModel } from "./sim-crash.js";
import { SimDisk } from "./sim-disk.js";
import { type SimFaults } from "./sim-faults.js";
import { createSimIo } from "./sim-io.js";

export interface SimulateLogOptions {
  readonly seed: number;
  readonly core: Core;
  /** Process lifetimes (open, work, crash) per seed. Default 4. */
  readonly incarnations?: number;
  /** Operations per lifetime at most. Default 24. */
  readonly opsMax?: number;
  /** Force a crash model; otherwise the seed picks one. */
  readonly crashModel?: CrashModel;
  /** Faults for the disk; otherwise the seed decides whether to inject some. */
  readonly faults?: SimFaults;
  /** Receives one line per lifetime event (open, recovery report, failure, crash), for debugging a seed. */
  readonly trace?: (line: string) => void;
}

export interface SimulateLogResult {
  readonly seed: number;
  readonly crashModel: CrashModel;
  readonly durability: string;
  readonly attempted: number;
  readonly acknowledged: number;
  readonly recovered: number;
  readonly traceHash: bigint;
}

export class SimulationFailure extends Error {
  override readonly name = "SimulationFailure";
  constructor(readonly seed: number, message: string) {
    super(`seed ${seed}: ${message} (replay: SPACELOG_SEED=${seed})`);
  }
}

const LOG_DIR = "/sim/log";

/** The bytes the workload appends as attempt `index`: they name themselves, so any entry can be checked. */
function entryBytes(index: number, size: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(8, size));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, index, true);
  view.setUint32(4, size, true);
  for (let i = 8; i < bytes.byteLength; i++) bytes[i] = (index * 31 + i) & 0xff;
  return bytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}

/** A failure the log reports on purpose (a fault, a crash), as opposed to a bug. */
function expected(error: unknown): boolean {
  return error instanceof SimulatedCrash || isSpacelogError(error);
}

class LogSimulation {
  private readonly prng: Prng;
  private readonly disk: SimDisk;
  private readonly crashModel: CrashModel;
  private readonly durability: DurabilityOption;
  /** Zeros written ahead of the data (most seeds), or plain appends. */
  private readonly preallocate: boolean;
  /** Every attempted entry, in call order across lifetimes; recovered entries are a prefix of those kept. */
  private readonly attempted: Uint8Array[] = [];
  /** The log as last recovered: indexes into `attempted`. */
  private history: number[] = [];
  private readonly acked = new Set<number>();

  constructor(private readonly options: SimulateLogOptions) {
    this.prng = new Prng(options.seed);
    this.crashModel = options.crashModel ?? this.prng.pick(CRASH_MODELS);
    this.durability = this.prng.chance(0.75) ? "sync" : "none";
    this.preallocate = this.prng.chance(0.75);
    const faults: SimFaults = options.faults ?? (this.prng.chance(0.3)
      ? { writeEioProbability: 0.01, writeShortProbability: 0.01, writeEnospcProbability: 0.005, datasyncEioProbability: 0.01 }
      : {});
    this.disk = new SimDisk({ prng: this.prng.fork("disk"), faults, traceLinesMax: environmentFlag("SPACELOG_SIM_TRACE") ? 100_000 : 0 });
  }

  private note(line: string): void {
    this.options.trace?.(line);
  }

  fail(message: string): never {
    this.note(`disk at failure: ${this.describeDisk()}`);
    if (environmentFlag("SPACELOG_SIM_TRACE")) for (const line of this.disk.traceLines()) this.note(`  trace: ${line}`);
    throw new SimulationFailure(this.options.seed, message);
  }

  /** The log directory as the disk holds it now: each segment's size and header fields. */
  private describeDisk(): string {
    const lines: string[] = [];
    for (const name of this.disk.exists(LOG_DIR) ? this.disk.list(LOG_DIR) : []) {
      const bytes = this.disk.liveBytes(`${LOG_DIR}/${name}`) ?? new Uint8Array(0);
      const header = decodeSegmentHeader(this.options.core, bytes);
      const fields = typeof header === "string" ? header : `base ${header.baseOffset} lsn ${header.baseLsn}`;
      lines.push(`${name} ${bytes.byteLength} B (${fields})`);
    }
    return lines.join("; ");
  }

  async run(): Promise<SimulateLogResult> {
    for (let life = 0; life < (this.options.incarnations ?? 4); life++) await this.lifetime();
    await this.finalCheck();
    return {
      seed: this.options.seed,
      crashModel: this.crashModel,
      durability: typeof this.durability === "string" ? this.durability : "interval",
      attempted: this.attempted.length,
      acknowledged: this.acked.size,
      recovered: this.history.length,
      traceHash: this.disk.traceHash(),
    };
  }

  private logOptions(io: CrashingIo): Parameters<typeof openLog>[1] {
    return {
      storage: () => io, core: this.options.core, durability: this.durability, segmentSizeMax: 4096, preallocate: this.preallocate,
      ringSizeBytes: 64 * 1024, entrySizeMax: 2048,
    };
  }

  /** One process lifetime: open (recover and check), work, then crash at a random I/O step. */
  private async lifetime(): Promise<void> {
    const crashAt = 1 + this.prng.below(400);
    const io = new CrashingIo(createSimIo(this.options.core, this.disk), crashAt, this.crashModel);
    this.note(`lifetime: crash at I/O step ${crashAt} (${this.crashModel}), ${this.history.length} entries so far`);
    let log: Log | null = null;
    try {
      log = await openLog(LOG_DIR, this.logOptions(io));
      this.note(`open: ${JSON.stringify(log.recovery)} position ${log.position} next LSN ${log.nextLsn}`);
      await this.checkRecovered(log);
      await this.work(log);
    } catch (error) {
      if (!expected(error)) throw error;
      this.note(`stopped: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
    // The process dies here: the crashing I/O is marked dead first, so the old log's loop, still
    // parked in the event loop, can never touch the restarted disk.
    if (!io.hasCrashed) io.crashNow();
    this.note(`crashed; attempted ${this.attempted.length}, acknowledged ${this.acked.size}`);
    if (log !== null) abandonLogAfterCrash(log, new SimulatedCrash("the process crashed"));
    io.dispose();
  }

  /** The recovered log must be: the previous history, then a prefix of this lifetime's attempts. */
  private async checkRecovered(log: Log): Promise<void> {
    const recovered: number[] = [];
    for await (const record of log.replay()) {
      if (record.entry.type !== "raw") this.fail(`entry ${record.lsn} is a ${record.entry.type}, never written`);
      const bytes = record.entry.bytes;
      const index = bytes.byteLength >= 8 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) : -1;
      const attempt = this.attempted[index];
      if (attempt === undefined || !sameBytes(attempt, bytes)) this.fail(`entry ${record.lsn} holds bytes that were never appended`);
      recovered.push(index);
    }
    const previous = this.history;
    for (let i = 0; i < previous.length; i++) {
      if (recovered[i] !== previous[i]) this.fail(`recovered entry ${i} is attempt ${recovered[i]}, was ${previous[i]} before the crash`);
    }
    const lastKept = previous.length === 0 ? -1 : (previous[previous.length - 1] as number);
    for (let i = previous.length; i < recovered.length; i++) {
      const expectedIndex = lastKept + 1 + (i - previous.length);
      if (recovered[i] !== expectedIndex) this.fail(`recovered entry ${i} is attempt ${recovered[i]}, expected ${expectedIndex}: a hole`);
    }
    const end = recovered.length === 0 ? -1 : (recovered[recovered.length - 1] as number);
    for (const index of this.acked) {
      if (index > end) this.fail(`acknowledged attempt ${index} is missing (recovered up to ${end})`);
    }
    // Attempts after the recovered end are gone for good: later attempts follow the recovered ones.
    this.attempted.length = end + 1;
    for (const index of [...this.acked]) if (index > end) this.acked.delete(index);
    this.history = recovered;
  }

  private async work(log: Log): Promise<void> {
    const ops = 1 + this.prng.below(this.options.opsMax ?? 24);
    for (let op = 0; op < ops; op++) {
      const burst = 1 + this.prng.below(8);
      const appends: Array<Promise<void>> = [];
      for (let i = 0; i < burst; i++) {
        const index = this.attempted.length;
        const bytes = entryBytes(index, 8 + this.prng.below(this.prng.chance(0.1) ? 1500 : 200));
        this.attempted.push(bytes);
        appends.push(log.append(bytes).then(() => {
          if (this.durability === "sync") this.acked.add(index);
        }));
      }
      if (this.prng.chance(0.2)) {
        const upTo = this.attempted.length;
        appends.push(log.sync().then(() => {
          for (let i = 0; i < upTo; i++) this.acked.add(i);
        }));
      }
      const results = await Promise.allSettled(appends);
      for (const result of results) if (result.status === "rejected") throw result.reason;
    }
  }

  /** Reopens without crashing, twice: both see the same entries; the second has nothing to repair. */
  private async finalCheck(): Promise<void> {
    // The checks of recovery itself run on a healthy disk: faults have had their say already.
    this.disk.setFaults({});
    const first = createSimIo(this.options.core, this.disk);
    let log: Log;
    try {
      log = await openLog(LOG_DIR, { ...this.logOptions(new CrashingIo(first, Number.MAX_SAFE_INTEGER, this.crashModel)), durability: "sync" });
    } catch (error) {
      if (error instanceof Error && error.name === "CorruptLogError") this.fail(`the final recovery found corruption: ${error.message}`);
      throw error;
    }
    this.note(`final open: ${log.position} next LSN ${log.nextLsn}`);
    await this.checkRecovered(log);
    const once = [...this.history];
    this.note("final replay checked");
    await log.close();
    this.note("final close");
    const second = await openLog(LOG_DIR, this.logOptions(new CrashingIo(createSimIo(this.options.core, this.disk), Number.MAX_SAFE_INTEGER, this.crashModel)));
    const report = second.recovery;
    if (report.tornTail !== null || report.removedTornSegments.length > 0 || report.salvaged !== null || report.acceptedDamage.length > 0) {
      this.fail(`a second recovery still repaired something: ${JSON.stringify(report, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`);
    }
    await this.checkRecovered(second);
    if (this.history.join() !== once.join()) this.fail("recovering twice gave different entries");
    await second.close();
  }
}

/** Runs one seed; throws SimulationFailure (naming the seed) if the log breaks a promise. */
export function simulateLog(options: SimulateLogOptions): Promise<SimulateLogResult> {
  return new LogSimulation(options).run();
}
