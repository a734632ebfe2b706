// simulateStore: the store's crash simulation, as simulate-log.ts is the log's. For one seed: a
// random workload runs on the real store code (host/store) over a SimDisk: 1 to 3 dimensional
// spaces with small bits (so points collide), puts, deletes, write() batches across spaces, seals
// both explicit and by small sealRecords / sealBytes thresholds, gets and queries checked as they
// run. The simulated process crashes at a random I/O step (inside recovery, inside the open's own
// startup writes, inside a seal's installation, anywhere), under the seed's crash model, with
// faults on some seeds; the store is reopened and checked against a model:
//   - every acknowledged write (a resolved put, delete, write or createSpace; a resolved seal's
//     revision) is present at its revision, with its bytes;
//   - nothing that was never written appears, and no delete is resurrected;
//   - history is a prefix of what was attempted: the recovered revisions are exactly
//     1..snapshot().revision, in order, and a write() batch is all there or not at all;
//   - get and query at random revisions answer as the model does, in Hilbert order;
//   - recovering twice (reopen without writes, after a close and after an idle crash) gives the
//     same answers, and the second recovery has nothing torn or cut to report.
// The same seed gives the same trace hash on every run.
//
// crashStoreTurn is the focused form: one turn that writes several files (a write() batch over
// two spaces and a space definition in staging), crashed at one given I/O step; the test runs it
// at every step of the turn.
import { type Core, type CompletionTable, loadCore } from "../core/index.js";
import { environmentFlag } from "../environment.js";
import {
  ClosedError, CorruptionError, IoError, StoreFailedError,
} from "../errors.js";
import { type LockOwner } from "../io/lock-owner.js";
import { type IoCompletion, type IoFile, type OpenFileOptions, type StorageIo } from "../io/storage-io.js";
import { open } from "../store/open-store.js";
import { type BatchOp, type QueryResult, type Store, type StoreStats } from "../store/store.js";
import { type StoreOptions } from "../store/store-options.js";
import { type RecoveryReport } from "../store/store-recovery.js";
import { type DurabilityOption } from "../wal/durability.js";
import { type TimerSource } from "../wal/loop-waker.js";
import { CrashingIo, SimulatedCrash } from "./crashing-io.js";
import { Prng } from "./prng.js";
import { CRASH_MODELS, type CrashModel } from "./sim-crash.js";
import { SimDisk } from "./sim-disk.js";
import { type SimFaults } from "./sim-faults.js";
import { createSimIo } from "./sim-io.js";
import { SimulationFailure } from "./simulate-log.js";
import { type VirtualClock } from "./virtual-clock.js";

export interface SimulateStoreOptions {
  readonly seed: number;
  /**
   * The core to run on. Default: a fresh one for the run. A store whose open() fails after a
   * crash cannot give back its ring (64 MiB of core memory): open()'s cleanup calls
   * Store.release(), which closes block readers and releases the LOCK, both I/O, before it frees
   * the regions, and the dead I/O throws at the first. A long run over one core runs out of
   * memory (about 30 seeds); a core per seed is freed with the seed.
   */
  readonly core?: Core;
  /** Process lifetimes (open, check, work, crash) per seed. Default 4. */
  readonly incarnations?: number;
  /** Bursts of concurrent calls per lifetime at most. Default 12. */
  readonly opsMax?: number;
  /** Force a crash model; otherwise the seed picks one. */
  readonly crashModel?: CrashModel;
  /** Force a durability mode; otherwise the seed picks "sync" (most), "none" or an interval. */
  readonly durability?: DurabilityOption;
  /** Faults for the disk; otherwise the seed decides whether to inject some. */
  readonly faults?: SimFaults;
  /** Receives one line per lifetime event, for debugging a seed. */
  readonly trace?: (line: string) => void;
}

/** Where a lifetime's crash fell. */
export type CrashPhase = "recovery" | "startup" | "check" | "work" | "seal" | "idle";

export interface SimulateStoreResult {
  readonly seed: number;
  readonly crashModel: CrashModel;
  readonly durability: string;
  readonly faults: boolean;
  /** Revisions the workload was given (across lifetimes, cut ones included). */
  readonly attempted: number;
  /** Revisions acknowledged (the highest acknowledged revision, summed over lifetimes). */
  readonly acknowledged: number;
  /** The final recovered revision. */
  readonly recovered: number;
  /** Seals that installed blocks (explicit or by threshold), and records staged during one and promoted after it, summed over lifetimes (as stats() counted them). */
  readonly seals: number;
  readonly staged: number;
  readonly promoted: number;
  /** Where each lifetime's crash fell, in order. */
  readonly crashes: readonly CrashPhase[];
  /** Recoveries that cut a torn tail or history (the checks then ran on a repaired store). */
  readonly repairs: number;
  readonly traceHash: bigint;
}

export const STORE_DIR = "/sim/store";

// --- the I/O: step counting and the crash ---

/**
 * CrashingIo with the step known and the crash step settable while running, and the call it
 * fell in named (for the report). Counts exactly the calls CrashingIo counts.
 */
export class StepIo implements StorageIo {
  readonly kind = "sim" as const;
  steps = 0;
  crashAt = Number.MAX_SAFE_INTEGER;
  /** The call the crash fell in, e.g. "submitWrite hot-00000001-0000000000000002.seg". */
  crashedIn: string | null = null;
  /** The phase the crash fell in (set by the harness as it goes). */
  phase: CrashPhase = "recovery";
  crashedInPhase: CrashPhase | null = null;
  private readonly inner: CrashingIo;
  private readonly names = new Map<number, string>();

  constructor(core: Core, disk: SimDisk, readonly model: CrashModel) {
    this.inner = new CrashingIo(createSimIo(core, disk), Number.MAX_SAFE_INTEGER, model);
  }

  get completions(): CompletionTable {
    return this.inner.completions;
  }

  get lockOwner(): LockOwner {
    return this.inner.lockOwner;
  }

  get hasCrashed(): boolean {
    return this.inner.hasCrashed;
  }

  /** The process dies between two calls. */
  crashNow(): void {
    if (this.inner.hasCrashed) return;
    this.crashedInPhase = this.phase;
    this.crashedIn = "(between calls)";
    this.inner.crashNow();
  }

  /** Receives every call as it is made (SPACELOG_SIM_STEPS=1), for debugging a seed. */
  onStep: ((step: number, call: string) => void) | null = null;

  private nameOf(file: IoFile | string | undefined): string {
    return file === undefined ? "" : typeof file === "string" ? file.slice(file.lastIndexOf("/") + 1) : (this.names.get(file) ?? `file ${file}`);
  }

  private step(call: string, file?: IoFile | string, startsLoop = false): void {
    if (this.inner.hasCrashed) return; // the inner io throws SimulatedCrash
    // Recovery is synchronous cold-path work; the open's first loop call (a created or attached
    // file, a hot-path write) starts its own startup writes.
    if (this.phase === "recovery" && startsLoop) this.phase = "startup";
    this.steps++;
    this.onStep?.(this.steps, `${this.phase} ${call} ${this.nameOf(file)}`);
    if (this.steps < this.crashAt) return;
    const name = this.nameOf(file);
    this.crashedIn = `${call}${name === "" ? "" : ` ${name}`}`;
    this.crashedInPhase = this.phase === "work" && /blk-|MANIFEST/.test(name) ? "seal" : this.phase;
    this.inner.crashNow();
    throw new SimulatedCrash(`crashed at I/O step ${this.steps} (${this.model}) in ${this.crashedIn}`);
  }

  openFile(path: string, options: OpenFileOptions): IoFile {
    this.step("openFile", path, options.exclusive === true || options.position !== undefined);
    const file = this.inner.openFile(path, options);
    this.names.set(file, path.slice(path.lastIndexOf("/") + 1));
    return file;
  }
  closeFile(file: IoFile): void { this.step("closeFile", file); this.inner.closeFile(file); }
  fileSize(file: IoFile): number { this.step("fileSize", file); return this.inner.fileSize(file); }
  readAt(file: IoFile, buffer: Uint8Array, position: number): number { this.step("readAt", file); return this.inner.readAt(file, buffer, position); }
  truncate(file: IoFile, size: number): void { this.step("truncate", file); this.inner.truncate(file, size); }
  syncFile(file: IoFile): void { this.step("syncFile", file); this.inner.syncFile(file); }
  listDirectory(dir: string): string[] { this.step("listDirectory"); return this.inner.listDirectory(dir); }
  makeDirectory(dir: string): void { this.step("makeDirectory"); this.inner.makeDirectory(dir); }
  removeFile(path: string): void { this.step("removeFile", path); this.inner.removeFile(path); }
  renameFile(from: string, to: string): void { this.step("renameFile", to); this.inner.renameFile(from, to); }
  syncDirectory(dir: string): void { this.step("syncDirectory"); this.inner.syncDirectory(dir); }
  exists(path: string): boolean { this.step("exists", path); return this.inner.exists(path); }
  readSmallFile(path: string): Uint8Array | undefined { this.step("readSmallFile", path); return this.inner.readSmallFile(path); }
  createSmallFile(path: string, bytes: Uint8Array): boolean { this.step("createSmallFile", path); return this.inner.createSmallFile(path, bytes); }
  overwriteAt(path: string, bytes: Uint8Array, position: number): void { this.step("overwriteAt", path); this.inner.overwriteAt(path, bytes, position); }
  submitWrite(file: IoFile, buffers: readonly Uint8Array[], position: number): bigint | null {
    this.step("submitWrite", file, true);
    return this.inner.submitWrite(file, buffers, position);
  }
  submitDatasync(file: IoFile): bigint | null { this.step("submitDatasync", file, true); return this.inner.submitDatasync(file); }
  flush(): number { this.step("flush", undefined, true); return this.inner.flush(); }
  pollCompletions(out: IoCompletion[]): number { this.step("pollCompletions"); return this.inner.pollCompletions(out); }
  pendingCount(): number { return this.inner.pendingCount(); }
  awaitCompletion(): Promise<void> { this.step("awaitCompletion", undefined, true); return this.inner.awaitCompletion(); }
  dispose(): void { this.inner.dispose(); }
}

// --- virtual time ---

/**
 * Timers on the disk's virtual clock (the store's `timers` option: its loop's interval sleeps).
 * Nothing fires by itself: a wait that is not settled after everything else ran (settleSim), or
 * the workload letting time pass, fires the earliest, moving the clock to it.
 */
export class SimTimers implements TimerSource {
  private pending: Array<{ readonly at: number; readonly order: number; readonly callback: () => void; live: boolean }> = [];
  private order = 0;

  constructor(private readonly clock: VirtualClock) {}

  setTimer(delayMs: number, callback: () => void): () => void {
    const timer = { at: this.clock.nowMs() + Math.max(0, Math.ceil(delayMs)), order: this.order++, callback, live: true };
    this.pending.push(timer);
    return () => {
      timer.live = false;
    };
  }

  /** When the earliest live timer is due, or null if none is set. */
  nextAtMs(): number | null {
    let at: number | null = null;
    for (const timer of this.pending) if (timer.live && (at === null || timer.at < at)) at = timer.at;
    return at;
  }

  /** Fires the earliest live timer; false if there is none. */
  fireNext(): boolean {
    this.pending = this.pending.filter((t) => t.live);
    if (this.pending.length === 0) return false;
    let best = 0;
    for (let i = 1; i < this.pending.length; i++) {
      const a = this.pending[i]!, b = this.pending[best]!;
      if (a.at < b.at || (a.at === b.at && a.order < b.order)) best = i;
    }
    const [timer] = this.pending.splice(best, 1);
    if (timer === undefined) return false;
    timer.live = false;
    if (timer.at > this.clock.nowMs()) this.clock.advanceTo(timer.at);
    timer.callback();
    return true;
  }
}

class Stalled extends Error {
  override readonly name = "Stalled";
}

/**
 * The simulated process crashed and what it was waiting for will never happen: the dead
 * process's calls stay pending (abandonAfterCrash rejects them), and the lifetime is over.
 */
export class ProcessDied extends SimulatedCrash {}

/** Timer firings one wait may take at most before it counts as stalled (an interval loop that never finishes). */
const TIMER_FIRINGS_MAX = 2_000;
/** Real ticks in a row without an I/O call or a virtual timer, after which a wait counts as stalled. */
const IDLE_TICKS_MAX = 40;

/**
 * One real tick of the event loop, on Node's 1 ms timer list. The store yields there too (a
 * seal's planning steps: setTimeout(0), which is 1 ms), and one list fires in creation order with
 * each callback's microtasks run before the next: so the simulated world's order of events does
 * not depend on real time, and a seed stays one trace.
 */
function realTick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}

export interface SettleOptions {
  /** The simulated process has crashed: what it waits for never comes. */
  readonly dead?: () => boolean;
  /** A count that moves while the store works (its I/O calls). */
  readonly progress?: () => number;
}

/**
 * Waits for `promise` while the simulated world runs. What the store and the simulated disk do
 * is microtasks, virtual timers (fired here, earliest first, when nothing else moves) and the
 * store's own real 1 ms yields. A wait that sees none of those move for IDLE_TICKS_MAX real ticks
 * can never settle: a deadlock in the store (Stalled), or, once the process crashed, its dead
 * calls (ProcessDied).
 */
export async function settleSim<T>(promise: Promise<T>, timers: SimTimers, what: string, options: SettleOptions = {}): Promise<PromiseSettledResult<T>> {
  let result: PromiseSettledResult<T> | null = null;
  let wake: (() => void) | null = null;
  promise.then((value) => {
    result = { status: "fulfilled", value };
    wake?.();
  }, (reason: unknown) => {
    result = { status: "rejected", reason };
    wake?.();
  });
  const progress = options.progress ?? (() => 0);
  let seen = progress();
  let idle = 0;
  for (let fired = 0; ;) {
    // Settled within microtasks: go on at once (no tick, so nothing else runs in between).
    await new Promise<void>((resolve) => {
      if (result !== null) return resolve();
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, 1);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });
    if (result !== null) return result;
    if (options.dead?.() === true) throw new ProcessDied(`${what} was still pending when the process died`);
    if (timers.fireNext()) {
      if (++fired >= TIMER_FIRINGS_MAX) throw new Stalled(`${what} never settled after ${fired} timers`);
      idle = 0;
      continue;
    }
    const now = progress();
    if (now !== seen) {
      seen = now;
      idle = 0;
    } else if (++idle >= IDLE_TICKS_MAX) {
      throw new Stalled(`${what} never settled: nothing is left to run${fired > 0 ? ` after ${fired} timers` : ""} (a deadlock)`);
    }
  }
}

// --- the model ---

export interface SpaceSpecModel {
  readonly name: string;
  readonly dims: number;
  readonly bits: number;
}

/** One attempted revision. */
export type ModelOp =
  | { readonly kind: "space"; readonly revision: bigint; readonly batchEnd: bigint; readonly spec: SpaceSpecModel }
  | { readonly kind: "put"; readonly revision: bigint; readonly batchEnd: bigint; readonly space: string; readonly point: readonly number[]; readonly key: bigint; readonly value: Uint8Array }
  | { readonly kind: "delete"; readonly revision: bigint; readonly batchEnd: bigint; readonly space: string; readonly point: readonly number[]; readonly key: bigint };

interface LiveVersion {
  readonly point: readonly number[];
  readonly key: bigint;
  readonly value: Uint8Array;
  readonly revision: bigint;
}

interface SpaceAt {
  readonly spec: SpaceSpecModel;
  readonly definedAt: bigint;
  readonly live: Map<bigint, LiveVersion>;
}

type StateAt = Map<string, SpaceAt>;

function cloneState(state: StateAt): StateAt {
  const out: StateAt = new Map();
  for (const [name, space] of state) out.set(name, { spec: space.spec, definedAt: space.definedAt, live: new Map(space.live) });
  return out;
}

function applyOp(state: StateAt, op: ModelOp): void {
  if (op.kind === "space") {
    state.set(op.spec.name, { spec: op.spec, definedAt: op.revision, live: new Map() });
    return;
  }
  const space = state.get(op.space);
  if (space === undefined) throw new Error(`model: ${op.kind} at ${op.revision} in undefined space ${op.space}`);
  if (op.kind === "put") space.live.set(op.key, { point: op.point, key: op.key, value: op.value, revision: op.revision });
  else space.live.delete(op.key);
}

/** The bytes of the put at `revision`: they name it, so a value out of place shows where it came from. */
function valueBytes(revision: bigint, size: number, salt: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const r = Number(revision & 0xffffffffn);
  for (let i = 0; i < size; i++) bytes[i] = (r * 131 + i * 7 + salt * 29 + (i < 4 ? (r >>> (8 * i)) : 0)) & 0xff;
  if (size >= 4) new DataView(bytes.buffer).setUint32(0, r, true);
  return bytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(bytes: Uint8Array | undefined): string {
  if (bytes === undefined) return "undefined";
  const shown = [...bytes.subarray(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${bytes.byteLength}B:${shown}${bytes.byteLength > 12 ? "…" : ""}`;
}

const json = (value: unknown): string => JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? hex(v) : v));

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  let text = `${error.name}: ${error.message}`;
  let cause: unknown = (error as { cause?: unknown }).cause;
  for (let depth = 0; cause !== undefined && depth < 4; depth++) {
    text += ` <- ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`;
    cause = cause instanceof Error ? (cause as { cause?: unknown }).cause : undefined;
  }
  if (!isExpectedFailure(error) && error.stack !== undefined) text += `\n${error.stack.split("\n").slice(1, 8).join("\n")}`;
  return text;
}

/**
 * A failure the store reports on purpose after a crash or a fault: the crash itself, a store that
 * failed (for a cause that is itself expected), an I/O error, a call after the store was closed
 * or abandoned. Corruption, a wrong argument, an assertion or a TypeError is a bug.
 */
export function isExpectedFailure(error: unknown): boolean {
  if (error instanceof SimulatedCrash || error instanceof ClosedError) return true;
  if (error instanceof CorruptionError) return false;
  if (error instanceof IoError) return true;
  if (error instanceof StoreFailedError) {
    const cause: unknown = (error as { cause?: unknown }).cause;
    return cause === undefined || isExpectedFailure(cause);
  }
  return false;
}

/** The store's answers to the checks: one line per read, for comparing two recoveries. */
type Answers = string[];

/**
 * The history attempted so far (index i is revision i + 1), and the checks of a store against it.
 * Shared by the random simulation and the focused turn test.
 */
export class StoreModel {
  history: ModelOp[] = [];

  constructor(private readonly core: Core, private readonly fail: (message: string) => never) {}

  get attemptedThrough(): bigint {
    return BigInt(this.history.length);
  }

  op(revision: bigint): ModelOp | undefined {
    return this.history[Number(revision) - 1];
  }

  keyOf(spec: SpaceSpecModel, point: readonly number[]): bigint {
    return this.core.hilbertKey(spec.dims, spec.bits, point);
  }

  /** The state at each of `revisions` (ascending), walking history once. */
  statesAt(revisions: readonly bigint[]): Map<bigint, StateAt> {
    const sorted = [...new Set(revisions)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const out = new Map<bigint, StateAt>();
    const state: StateAt = new Map();
    let at = 0n;
    for (const revision of sorted) {
      while (at < revision) {
        const op = this.op(at + 1n);
        if (op === undefined) this.fail(`model: revision ${at + 1n} was never attempted`);
        applyOp(state, op);
        at++;
      }
      out.set(revision, cloneState(state));
    }
    return out;
  }

  /** The space definitions through `revision`. */
  spacesAt(revision: bigint): SpaceSpecModel[] {
    const out: SpaceSpecModel[] = [];
    for (let r = 1n; r <= revision; r++) {
      const op = this.op(r);
      if (op?.kind === "space") out.push(op.spec);
    }
    return out;
  }

  /**
   * The checks that need no read: the store's revisions continue the model's, its newest
   * revision ends a batch at or above `floor`, and it knows exactly the spaces defined so far.
   * Returns the store's revision.
   */
  checkShape(store: Store, floor: bigint, what: string): bigint {
    const revision = store.snapshot().revision;
    if (store.nextRevisionValue !== revision + 1n) this.fail(`${what}: the next revision is ${store.nextRevisionValue}, not ${revision + 1n} after the acknowledged ${revision}`);
    if (revision < floor) {
      const lost: string[] = [];
      for (let r = revision + 1n; r <= floor && lost.length < 4; r++) lost.push(`${r}: ${json(this.op(r))}`);
      this.fail(`${what}: acknowledged revision ${floor} is lost: the store recovered through ${revision} (lost: ${lost.join("; ")})`);
    }
    if (revision > this.attemptedThrough) this.fail(`${what}: the store holds revision ${revision}, but only 1..${this.attemptedThrough} were ever attempted`);
    const last = this.op(revision);
    if (last !== undefined && last.batchEnd !== revision) {
      this.fail(`${what}: a write() batch is recovered in part: revisions through ${revision} kept, its batch ends at ${last.batchEnd}`);
    }
    const expected = this.spacesAt(revision).map((s) => `${s.name}:${s.dims}x${s.bits}`).sort();
    const actual = store.spaces().map((s) => `${s.name}:${s.dims}x${s.bits}`).sort();
    if (expected.join(",") !== actual.join(",")) this.fail(`${what}: the store's spaces are [${actual.join(", ")}], the model's through revision ${revision} are [${expected.join(", ")}]`);
    return revision;
  }

  /**
   * Reads the store and compares with the model: every op in `exact` (revisions) is read at its
   * own revision (its point has its bytes, or is absent for a delete); every space is queried
   * whole at each of `full`; a random box and a random get at each of `full`. Returns the answers.
   */
  async checkReads(store: Store, exact: readonly bigint[], full: readonly bigint[], prng: Prng, what: string,
    settle: <T>(p: Promise<T>, what: string) => Promise<T>, record = false): Promise<Answers> {
    const answers: Answers = [];
    const states = this.statesAt(full);
    for (const revision of exact) {
      const op = this.op(revision);
      if (op === undefined || op.kind === "space") continue;
      const got = await settle(store.get(op.space, op.point, { revision }), `${what}: get`);
      const want = op.kind === "put" ? op.value : undefined;
      if (!sameValue(got, want)) {
        this.fail(`${what}: get(${op.space}, [${op.point.join(",")}]) at revision ${revision} (a ${op.kind}) gave ${hex(got)}, the model says ${hex(want)}${op.kind === "delete" ? " (a deleted point resurrected)" : ""}`);
      }
      if (record) answers.push(`get ${op.space} ${op.point.join(",")} @${revision} ${hex(got)}`);
    }
    for (const revision of full) {
      const state = states.get(revision);
      if (state === undefined) throw new Error(`model: no state at ${revision}`);
      for (const spec of this.spacesAt(this.attemptedThrough)) {
        const space = state.get(spec.name);
        const max = Array.from({ length: spec.dims }, () => 2 ** spec.bits - 1);
        const min = max.map(() => 0);
        await this.checkQuery(store, spec, space, min, max, revision, undefined, what, settle, record ? answers : null);
        // A random box, sometimes with a limit.
        const a = max.map((m) => prng.below(m + 1)), b = max.map((m) => prng.below(m + 1));
        const lo = a.map((v, i) => Math.min(v, b[i] ?? v)), hi = a.map((v, i) => Math.max(v, b[i] ?? v));
        const limit = prng.chance(0.3) ? prng.below(4) : undefined;
        await this.checkQuery(store, spec, space, lo, hi, revision, limit, what, settle, record ? answers : null);
        const point = max.map((m) => prng.below(m + 1));
        const got = await settle(store.get(spec.name, point, { revision }), `${what}: get`);
        const want = space?.live.get(this.keyOf(spec, point))?.value;
        if (!sameValue(got, want)) this.fail(`${what}: get(${spec.name}, [${point.join(",")}]) at revision ${revision} gave ${hex(got)}, the model says ${hex(want)}`);
        if (record) answers.push(`get ${spec.name} ${point.join(",")} @${revision} ${hex(got)}`);
      }
    }
    return answers;
  }

  /** A query against the model: the same points, in Hilbert order, each with its version's revision and bytes. */
  private async checkQuery(store: Store, spec: SpaceSpecModel, space: SpaceAt | undefined, min: number[], max: number[], revision: bigint,
    limit: number | undefined, what: string, settle: <T>(p: Promise<T>, what: string) => Promise<T>, answers: Answers | null): Promise<void> {
    const inBox = (point: readonly number[]): boolean => point.every((c, i) => c >= (min[i] ?? 0) && c <= (max[i] ?? 0));
    const expected = [...(space?.live.values() ?? [])].filter((v) => inBox(v.point)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const want = limit === undefined ? expected : expected.slice(0, limit);
    const got: QueryResult[] = await settle(collect(store.query(spec.name, { min, max }, limit === undefined ? { revision } : { revision, limit })), `${what}: query`);
    const same = (v: LiveVersion, r: QueryResult | undefined): boolean => r !== undefined && r.revision === v.revision &&
      r.point.length === v.point.length && v.point.every((c, i) => Number(r.point[i]) === c) && sameBytes(r.value, v.value);
    let index = -1;
    for (let i = 0; i < Math.max(want.length, got.length) && index < 0; i++) {
      const w = want[i];
      if (w === undefined || !same(w, got[i])) index = i;
    }
    const line = (p: readonly (number | bigint)[], value: Uint8Array, r: bigint): string => `[${p.join(",")}]@${r}=${hex(value)}`;
    if (index >= 0) {
      const g = got[index], w = want[index];
      this.fail(`${what}: query(${spec.name}, [${min.join(",")}]..[${max.join(",")}]${limit === undefined ? "" : ` limit ${limit}`}) at revision ${revision}: ` +
        `${got.length} results, the model has ${want.length}; first difference at #${index}: store ${g === undefined ? "(none)" : line(g.point as readonly (number | bigint)[], g.value, g.revision)}, ` +
        `model ${w === undefined ? "(none)" : line(w.point, w.value, w.revision)}`);
    }
    answers?.push(`query ${spec.name} [${min.join(",")}]..[${max.join(",")}] ${limit ?? ""} @${revision} ${got.map((v) => line(v.point as readonly (number | bigint)[], v.value, v.revision)).join(" ")}`);
  }
}

function sameValue(got: Uint8Array | undefined, want: Uint8Array | undefined): boolean {
  return got === undefined || want === undefined ? got === want : sameBytes(got, want);
}

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterator) out.push(item);
  return out;
}

function reportIsClean(report: RecoveryReport): boolean {
  return report.tornTails.length === 0 && report.historyCut === null && report.removed.length === 0;
}

// --- the random simulation ---

const SPACE_NAMES = ["a", "b", "σ3", "d"] as const;

/** dims 1..3 with bits small enough that 2^(dims*bits) is at most 64 cells: points collide often. */
function randomSpec(prng: Prng, name: string): SpaceSpecModel {
  const dims = 1 + prng.below(3);
  const bitsMax = dims === 1 ? 6 : dims === 2 ? 3 : 2;
  return { name, dims, bits: 1 + prng.below(bitsMax) };
}

interface Lifetime {
  readonly io: StepIo;
  readonly timers: SimTimers;
  /** The open store, once open() returned it. */
  store: Store | null;
  /** Its last stats() (the lifetime's counts). */
  stats: StoreStats | null;
}

class StoreSimulation {
  private readonly core: Core;
  private readonly prng: Prng;
  private readonly disk: SimDisk;
  private readonly crashModel: CrashModel;
  private readonly durability: DurabilityOption;
  /**
   * Preallocation on one seed in 8 (from the seed, not the PRNG): 1 MiB of zeros per file costs
   * the simulated disk a copy per step and recovery a scan, ~10x a seed's time without it.
   */
  private readonly preallocate: boolean;
  private readonly syncAcks: boolean;
  private readonly sealRecords: number | undefined;
  private readonly sealBytes: number | undefined;
  private readonly faulty: boolean;
  private readonly spaceNames: readonly string[];
  private readonly model: StoreModel;
  /** Every revision at or below this must survive: acknowledged, sealed, or recovered before. */
  private floor = 0n;
  /** Revisions through this were read back at their own revision after a recovery. */
  private verifiedThrough = 0n;
  private acknowledged = 0;
  private seals = 0;
  private staged = 0;
  private promoted = 0;
  private repairs = 0;
  private readonly crashes: CrashPhase[] = [];
  /** Steps the last completed open took (the next lifetime aims some crashes inside its open). */
  private openSteps = 40;
  private workSteps = 400;
  private life = 0;

  constructor(private readonly options: SimulateStoreOptions, core: Core) {
    this.prng = new Prng(options.seed);
    this.crashModel = options.crashModel ?? this.prng.pick(CRASH_MODELS);
    const durabilityRoll = this.prng.below(10);
    const interval = { intervalMs: 1 + this.prng.below(20) };
    this.durability = options.durability ?? (durabilityRoll < 6 ? "sync" : durabilityRoll < 8 ? "none" : interval);
    this.syncAcks = this.durability === "sync";
    this.preallocate = options.seed % 8 === 0;
    this.sealRecords = this.prng.chance(0.85) ? 2 + this.prng.below(30) : undefined;
    this.sealBytes = this.prng.chance(0.3) ? 1024 + this.prng.below(4096) : undefined;
    this.faulty = options.faults !== undefined ? Object.keys(options.faults).length > 0 : this.prng.chance(0.3);
    const faults: SimFaults = options.faults ?? (this.faulty
      ? { writeEioProbability: 0.01, writeShortProbability: 0.01, writeEnospcProbability: 0.005, datasyncEioProbability: 0.01 }
      : {});
    this.spaceNames = SPACE_NAMES.slice(0, 2 + this.prng.below(3));
    this.disk = new SimDisk({ prng: this.prng.fork("disk"), faults, traceLinesMax: environmentFlag("SPACELOG_SIM_TRACE") ? 100_000 : 0 });
    this.core = options.core ?? core;
    this.model = new StoreModel(this.core, (message) => this.fail(message));
  }

  /** Traces a line, built only when someone listens (`line` is a thunk). */
  private note(line: () => string): void {
    if (this.options.trace !== undefined) this.options.trace(line());
  }

  fail(message: string): never {
    this.note(() => `disk at failure: ${this.describeDisk()}`);
    if (environmentFlag("SPACELOG_SIM_TRACE")) for (const line of this.disk.traceLines()) this.note(() => `  trace: ${line}`);
    const mode = typeof this.durability === "string" ? this.durability : `interval ${this.durability.intervalMs} ms`;
    throw new SimulationFailure(this.options.seed, `${message} [crash model ${this.crashModel}, durability ${mode}, sealRecords ${this.sealRecords ?? "default"}, sealBytes ${this.sealBytes ?? "default"}, faults ${this.faulty}, lifetime ${this.life}; disk: ${this.describeDisk()}]`);
  }

  private describeDisk(): string {
    if (!this.disk.exists(STORE_DIR)) return "(no store directory)";
    return this.disk.list(STORE_DIR).map((name) => `${name} ${this.disk.liveBytes(`${STORE_DIR}/${name}`)?.byteLength ?? "?"}B`).join(", ");
  }

  async run(): Promise<SimulateStoreResult> {
    const lifetimes = this.options.incarnations ?? 4;
    for (this.life = 0; this.life < lifetimes; this.life++) await this.lifetime();
    await this.finalCheck();
    return {
      seed: this.options.seed,
      crashModel: this.crashModel,
      durability: typeof this.durability === "string" ? this.durability : "interval",
      faults: this.faulty,
      attempted: this.attemptedTotal,
      acknowledged: this.acknowledged,
      recovered: Number(this.model.attemptedThrough),
      seals: this.seals,
      staged: this.staged,
      promoted: this.promoted,
      crashes: this.crashes,
      repairs: this.repairs,
      traceHash: this.disk.traceHash(),
    };
  }

  private attemptedTotal = 0;

  private storeOptions(io: StepIo, timers: SimTimers, durability: DurabilityOption = this.durability): StoreOptions {
    return {
      storage: () => io, core: this.core, durability, clock: this.disk.clock, timers, preallocate: this.preallocate,
      ...(this.sealRecords === undefined ? {} : { sealRecords: this.sealRecords }),
      ...(this.sealBytes === undefined ? {} : { sealBytes: this.sealBytes }),
    };
  }

  private settler(life: Lifetime): <T>(p: Promise<T>, what: string) => Promise<T> {
    return async <T>(promise: Promise<T>, what: string): Promise<T> => {
      const result = await this.settleOrFail(promise, life, what);
      if (result.status === "rejected") throw result.reason;
      return result.value;
    };
  }

  private async settleOrFail<T>(promise: Promise<T>, life: Lifetime, what: string): Promise<PromiseSettledResult<T>> {
    try {
      return await settleSim(promise, life.timers, what, { dead: () => life.io.hasCrashed, progress: () => life.io.steps });
    } catch (error) {
      if (error instanceof Stalled) this.fail(error.message);
      throw error;
    }
  }

  /** Where this lifetime crashes: inside the open (recovery, startup writes) on some, anywhere later on most. */
  private pickCrashAt(): number {
    if (this.prng.chance(0.3)) return 1 + this.prng.below(this.openSteps + 2);
    return this.openSteps + 1 + this.prng.below(Math.max(50, this.workSteps));
  }

  /** One process lifetime: open (recover, check), work, crash. */
  private async lifetime(): Promise<void> {
    const io = new StepIo(this.core, this.disk, this.crashModel);
    io.crashAt = this.pickCrashAt();
    if (environmentFlag("SPACELOG_SIM_STEPS")) io.onStep = (step, call) => this.note(() => `  step ${step}: ${call}`);
    const timers = new SimTimers(this.disk.clock);
    const life: Lifetime = { io, timers, store: null, stats: null };
    this.note(() => `lifetime ${this.life}: crash at I/O step ${io.crashAt} (${this.crashModel}); attempted through ${this.model.attemptedThrough}, floor ${this.floor}`);
    let store: Store | null = null;
    try {
      io.phase = "recovery";
      const opened = open(STORE_DIR, this.storeOptions(io, timers));
      // The loop starts once recovery is done: the steps after it are the open's own writes.
      store = await this.settler(life)(opened, "open");
      life.store = store;
      this.openSteps = io.steps;
      io.phase = "check";
      await this.checkRecovered(store, life, `lifetime ${this.life} recovery`);
      io.phase = "work";
      const before = io.steps;
      await this.work(store, life);
      this.workSteps = Math.max(50, io.steps - before);
      io.phase = "idle";
      if (this.prng.chance(0.3)) await this.settleOrFail(Promise.allSettled(store.spaces().map((s) => store?.seal(s.name))), life, "seals before the crash");
    } catch (error) {
      if (error instanceof SimulationFailure) throw error;
      if (!isExpectedFailure(error)) this.fail(`unexpected ${describeError(error)} (phase ${io.phase}, I/O step ${io.steps})`);
      this.note(() => `stopped: ${describeError(error)}`);
    }
    if (!io.hasCrashed) io.crashNow();
    this.crashes.push(io.crashedInPhase ?? io.phase);
    if (life.stats !== null) {
      this.seals += life.stats.seals;
      this.staged += life.stats.records.staged;
      this.promoted += life.stats.records.promoted;
    }
    this.note(() => `crashed in ${io.crashedInPhase} at ${io.crashedIn} (step ${io.steps}); attempted through ${this.model.attemptedThrough}, floor ${this.floor}`);
    store?.abandonAfterCrash(new SimulatedCrash("the process crashed"));
    // The old store's calls still in flight settle against a dead I/O; let them, before the next process.
    await realTick();
    io.dispose();
  }

  /** A recovered store: the shape first (no I/O), then the model is cut to it, then reads. */
  private async checkRecovered(store: Store, life: Lifetime, what: string): Promise<Answers> {
    const report = store.stats().recovery;
    if (!reportIsClean(report)) this.repairs++;
    this.note(() => `${what}: ${json(report)} revision ${store.snapshot().revision}`);
    const revision = this.model.checkShape(store, this.floor, what);
    // What is above the recovered revision is gone for good: the next writes reuse those revisions.
    this.model.history.length = Number(revision);
    this.floor = revision;
    if (this.verifiedThrough > revision) this.verifiedThrough = revision;
    const exact: bigint[] = [];
    const fresh = Number(revision - this.verifiedThrough);
    if (fresh <= 48) for (let r = this.verifiedThrough + 1n; r <= revision; r++) exact.push(r);
    else for (let i = 0; i < 48; i++) exact.push(this.verifiedThrough + 1n + BigInt(this.prng.below(fresh)));
    for (let i = 0; i < 4 && revision > 0n; i++) exact.push(1n + BigInt(this.prng.below(Number(revision))));
    const full = [revision];
    if (revision > 0n) full.push(BigInt(this.prng.below(Number(revision))));
    const answers = await this.model.checkReads(store, exact, full, this.prng, what, this.settler(life));
    this.verifiedThrough = revision;
    return answers;
  }

  // --- the workload ---

  /** The names the store knows in this lifetime (recovered, or created). */
  private known(store: Store): Map<string, SpaceSpecModel> {
    const out = new Map<string, SpaceSpecModel>();
    for (const s of store.spaces()) out.set(s.name, { name: s.name, dims: s.dims, bits: s.bits });
    return out;
  }

  private randomPoint(spec: SpaceSpecModel): number[] {
    return Array.from({ length: spec.dims }, () => this.prng.below(2 ** spec.bits));
  }

  private randomValue(revision: bigint): Uint8Array {
    const roll = this.prng.below(100);
    const size = roll < 5 ? 0 : roll < 90 ? 1 + this.prng.below(40) : 100 + this.prng.below(1400);
    return valueBytes(revision, size, this.options.seed);
  }

  /**
   * Runs `call`, which the store gives `count` revisions synchronously (before its first await),
   * or none if it refuses at the door. Records the attempt in the model in revision order.
   */
  private attempt<T>(store: Store, count: number, ops: (first: bigint) => ModelOp[], call: () => Promise<T>): { promise: Promise<T>; first: bigint | null } {
    const before = store.nextRevisionValue;
    if (before !== this.model.attemptedThrough + 1n) this.fail(`the store's next revision is ${before}, the model's ${this.model.attemptedThrough + 1n}`);
    const planned = ops(before);
    const promise = call();
    const after = store.nextRevisionValue;
    if (after === before) return { promise, first: null };
    if (after !== before + BigInt(count)) this.fail(`a call of ${count} revisions took ${after - before}`);
    this.model.history.push(...planned);
    this.attemptedTotal += count;
    return { promise, first: before };
  }

  private acknowledge(revision: bigint): void {
    if (revision > this.floor) {
      this.acknowledged += Number(revision - this.floor);
      this.floor = revision;
    }
  }

  /** A live point of the space in the model now, or a random one. */
  private pointToDelete(spec: SpaceSpecModel): number[] {
    if (this.prng.chance(0.75)) {
      const live = this.model.statesAt([this.model.attemptedThrough]).get(this.model.attemptedThrough)?.get(spec.name)?.live;
      const points = live === undefined ? [] : [...live.values()];
      if (points.length > 0) return [...(points[this.prng.below(points.length)] as LiveVersion).point];
    }
    return this.randomPoint(spec);
  }

  private action(store: Store, life: Lifetime): Promise<unknown> {
    const known = this.known(store);
    const unknownNames = this.spaceNames.filter((n) => !known.has(n));
    const roll = this.prng.below(100);
    if (known.size === 0 || (unknownNames.length > 0 && roll < 8)) {
      const name = unknownNames[this.prng.below(unknownNames.length)] as string;
      const spec = randomSpec(this.prng, name);
      const { promise, first } = this.attempt(store, 1, (r) => [{ kind: "space", revision: r, batchEnd: r, spec }], () => store.createSpace(name, { dims: spec.dims, bits: spec.bits }));
      return promise.then(() => {
        if (first === null) this.fail(`createSpace(${name}) resolved without taking a revision`);
        if (this.syncAcks) this.acknowledge(first);
      });
    }
    const specs = [...known.values()];
    const spec = specs[this.prng.below(specs.length)] as SpaceSpecModel;
    if (roll < 48) {
      const point = this.randomPoint(spec);
      const key = this.model.keyOf(spec, point);
      let value: Uint8Array = new Uint8Array(0);
      const { promise, first } = this.attempt(store, 1, (r) => {
        value = this.randomValue(r);
        return [{ kind: "put", revision: r, batchEnd: r, space: spec.name, point, key, value }];
      }, () => store.put(spec.name, point, value));
      return promise.then((revision) => {
        if (revision !== first) this.fail(`put resolved with revision ${revision}, it was given ${first}`);
        if (this.syncAcks) this.acknowledge(revision);
      });
    }
    if (roll < 60) {
      const point = this.pointToDelete(spec);
      const key = this.model.keyOf(spec, point);
      const { promise, first } = this.attempt(store, 1, (r) => [{ kind: "delete", revision: r, batchEnd: r, space: spec.name, point, key }], () => store.delete(spec.name, point));
      return promise.then((revision) => {
        if (revision !== first) this.fail(`delete resolved with revision ${revision}, it was given ${first}`);
        if (this.syncAcks) this.acknowledge(revision);
      });
    }
    if (roll < 80) {
      const size = 2 + this.prng.below(5);
      const parts: Array<{ spec: SpaceSpecModel; point: number[]; put: boolean }> = [];
      for (let i = 0; i < size; i++) {
        const s = specs[this.prng.below(specs.length)] as SpaceSpecModel;
        const repeat = parts.length > 0 && this.prng.chance(0.15) ? parts[this.prng.below(parts.length)] : undefined;
        const put = this.prng.chance(0.75);
        if (repeat !== undefined) parts.push({ spec: repeat.spec, point: repeat.point, put });
        else parts.push({ spec: s, point: put ? this.randomPoint(s) : this.pointToDelete(s), put });
      }
      const batch: BatchOp[] = [];
      const { promise, first } = this.attempt(store, size, (r) => {
        const end = r + BigInt(size - 1);
        return parts.map((part, i): ModelOp => {
          const revision = r + BigInt(i);
          const key = this.model.keyOf(part.spec, part.point);
          if (!part.put) {
            batch.push({ delete: part.spec.name, point: part.point });
            return { kind: "delete", revision, batchEnd: end, space: part.spec.name, point: part.point, key };
          }
          const value = this.randomValue(revision);
          batch.push({ put: part.spec.name, point: part.point, value });
          return { kind: "put", revision, batchEnd: end, space: part.spec.name, point: part.point, key, value };
        });
      }, () => store.write(batch));
      return promise.then((result) => {
        if (result.first !== first || result.last !== (first ?? 0n) + BigInt(size - 1)) this.fail(`write resolved with ${json(result)}, it was given ${first} + ${size}`);
        if (this.syncAcks) this.acknowledge(result.last);
      });
    }
    if (roll < 86) {
      return store.seal(spec.name).then((result) => {
        if (result.blocks > 0) {
          // Its manifest says every revision through it is durable.
          this.acknowledge(result.revision);
        }
      });
    }
    return this.read(store, spec, life);
  }

  /** A get or a query at a random acknowledged revision, checked against the model when it answers. */
  private read(store: Store, spec: SpaceSpecModel, life: Lifetime): Promise<unknown> {
    const newest = store.snapshot().revision;
    const revision = this.prng.chance(0.5) ? newest : BigInt(this.prng.below(Number(newest) + 1));
    const exact = revision > 0n && this.prng.chance(0.5) ? [1n + BigInt(this.prng.below(Number(revision)))] : [];
    // Plain awaits: the burst's own wait watches for a stall.
    return this.model.checkReads(store, exact, [revision], this.prng.fork(`read ${revision}`), `lifetime ${this.life} read`, (p) => p);
  }

  private async work(store: Store, life: Lifetime): Promise<void> {
    const bursts = 1 + this.prng.below(this.options.opsMax ?? 12);
    for (let b = 0; b < bursts; b++) {
      const size = 1 + this.prng.below(6);
      const calls: Array<Promise<unknown>> = [];
      for (let i = 0; i < size; i++) {
        // Sometimes the next call waits a few microtasks: the loop gets part way through a turn,
        // a seal part way through its installation (so records are staged, then promoted).
        if (i > 0 && this.prng.chance(0.35)) {
          const hops = 1 + this.prng.below(80);
          for (let h = 0; h < hops; h++) await null;
        }
        try {
          calls.push(this.action(store, life));
        } catch (error) {
          // A refusal at the door (the store failed): the calls already made still settle first.
          calls.push(Promise.reject(error));
        }
      }
      const results = await this.settleOrFail(Promise.allSettled(calls), life, "a burst of calls");
      if (results.status === "rejected") throw results.reason;
      let stop: unknown = null;
      for (const result of results.value) {
        if (result.status === "fulfilled") continue;
        if (result.reason instanceof SimulationFailure) throw result.reason;
        if (!isExpectedFailure(result.reason)) this.fail(`a call failed unexpectedly: ${describeError(result.reason)}`);
        stop ??= result.reason;
      }
      if (stop !== null) throw stop;
      if (this.syncAcks && store.snapshot().revision < this.floor) this.fail(`snapshot ${store.snapshot().revision} is below the acknowledged ${this.floor}`);
      life.stats = store.stats();
      // Sometimes time passes between bursts: an interval mode's loop syncs on its timer.
      if (this.prng.chance(0.25)) await this.sleep(life, 1 + this.prng.below(30));
    }
  }

  /** Lets `ms` of virtual time pass, firing each timer due on the way and letting what it wakes run. */
  private async sleep(life: Lifetime, ms: number): Promise<void> {
    const until = this.disk.clock.nowMs() + ms;
    for (let fired = 0; fired < 1000; fired++) {
      const at = life.timers.nextAtMs();
      if (at === null || at > until) break;
      life.timers.fireNext();
      await realTick();
    }
    if (this.disk.clock.nowMs() < until) this.disk.clock.advanceTo(until);
    await realTick();
  }

  // --- the end: recovery twice ---

  /** Reopens on a healthy disk: after a close, then after an idle crash; all three agree, the later two repair nothing. */
  private async finalCheck(): Promise<void> {
    this.disk.setFaults({});
    this.life = -1;
    const answers: Answers[] = [];
    // Twice after a close; on some seeds once more after a crash of the idle store (it had nothing unsynced).
    const endings = this.prng.chance(0.3) ? (["close", "crash", "close"] as const) : (["close", "close"] as const);
    for (const ending of endings) {
      const io = new StepIo(this.core, this.disk, this.crashModel);
      const timers = new SimTimers(this.disk.clock);
      const life: Lifetime = { io, timers, store: null, stats: null };
      const settle = this.settler(life);
      let store: Store;
      try {
        store = await settle(open(STORE_DIR, this.storeOptions(io, timers, "sync")), "final open");
      } catch (error) {
        if (error instanceof SimulationFailure) throw error;
        this.fail(`the final recovery (${answers.length + 1}) failed: ${describeError(error)}`);
      }
      life.store = store;
      const report = store.stats().recovery;
      if (answers.length > 0 && !reportIsClean(report)) this.fail(`recovery ${answers.length + 1} without writes still repaired something: ${json(report)}`);
      // The same reads each time: a PRNG of its own.
      const revision = store.snapshot().revision;
      const reads = new Prng(this.options.seed ^ 0x5eed);
      const got = await this.checkRecoveredWith(store, life, reads, `final recovery ${answers.length + 1}`);
      if (answers.length > 0 && revision !== this.model.attemptedThrough) this.fail("recovering again changed the revision");
      const previous = answers[answers.length - 1];
      if (previous !== undefined && previous.join("\n") !== got.join("\n")) {
        const i = got.findIndex((line, j) => line !== previous[j]);
        this.fail(`recovering twice gave different answers: ${previous[i] ?? "(none)"} then ${got[i] ?? "(none)"}`);
      }
      answers.push(got);
      if (ending === "close") {
        const closed = await this.settleOrFail(store.close(), life, "final close");
        if (closed.status === "rejected") this.fail(`the final close failed: ${describeError(closed.reason)}`);
      } else {
        io.crashNow();
        store.abandonAfterCrash(new SimulatedCrash("an idle crash"));
        await realTick();
        io.dispose();
      }
    }
  }

  private async checkRecoveredWith(store: Store, life: Lifetime, reads: Prng, what: string): Promise<Answers> {
    const revision = this.model.checkShape(store, this.floor, what);
    this.model.history.length = Number(revision);
    this.floor = revision;
    const exact: bigint[] = [];
    for (let r = 1n; r <= revision; r++) if (revision <= 64n || reads.chance(64 / Number(revision))) exact.push(r);
    const full = [revision, ...Array.from({ length: 3 }, () => BigInt(reads.below(Number(revision) + 1)))];
    return this.model.checkReads(store, exact, full, reads, what, this.settler(life), true);
  }
}

/** Runs one seed; throws SimulationFailure (naming the seed) if the store breaks a promise. */
export async function simulateStore(options: SimulateStoreOptions): Promise<SimulateStoreResult> {
  return new StoreSimulation(options, options.core ?? (await loadCore())).run();
}

// --- the focused turn test ---

/**
 * "direct": a write() batch over spaces A and B, then createSpace("C"), in one tick: one turn
 * writes hot-A, hot-B and staging (C's definition) and fdatasyncs all three, then the control
 * op creates C's hot segment. "sealing": the same while A is being sealed (seal("A") just
 * before), so A's part of the batch goes to staging with C's definition and B's to hot-B; the
 * seal's installation and the promotion of A's records follow.
 */
export type StoreTurnVariant = "direct" | "sealing";
export const STORE_TURN_VARIANTS: readonly StoreTurnVariant[] = ["direct", "sealing"];

export interface StoreTurnOptions {
  readonly core?: Core;
  readonly variant: StoreTurnVariant;
  readonly crashModel: CrashModel;
  /** Seeds the disk (latencies, what a crash lands). */
  readonly diskSeed: number;
  /** The I/O step to crash at, counted from the open; null runs the turn without a crash (to measure it). */
  readonly crashStep: number | null;
  /** Recover a second time and compare (default true). */
  readonly recoverTwice?: boolean;
}

export interface StoreTurnResult {
  /** Steps taken before the turn's calls were made, and once all of them settled. */
  readonly firstStep: number;
  readonly lastStep: number;
  readonly crashedIn: string | null;
  /** The setup's revisions are 1..setupRevision; the batch is batch.first..batch.last; C's definition follows it. */
  readonly setupRevision: bigint;
  readonly batch: { readonly first: bigint; readonly last: bigint };
  readonly definition: bigint;
  /** Which of the turn's calls resolved before the crash. */
  readonly acknowledged: { readonly batch: boolean; readonly definition: boolean };
  /** The revision recovery kept, and whether it repaired anything (a torn tail, a history cut). */
  readonly recovered: bigint;
  readonly repaired: boolean;
  readonly report: RecoveryReport;
}

class TurnFailure extends Error {
  override readonly name = "SimulationFailure";
}

const TURN_SPECS: readonly SpaceSpecModel[] = [{ name: "A", dims: 2, bits: 3 }, { name: "B", dims: 1, bits: 5 }, { name: "C", dims: 3, bits: 2 }];

/** One run of the focused test: setup, the turn (crashed at `crashStep`), recovery twice, every check. */
export async function crashStoreTurn(options: StoreTurnOptions): Promise<StoreTurnResult> {
  const core = options.core ?? (await loadCore());
  const where = `variant ${options.variant}, crash model ${options.crashModel}, disk seed ${options.diskSeed}, crash step ${options.crashStep ?? "none"}`;
  const fail: (message: string) => never = (message) => {
    throw new TurnFailure(`store turn (${where}): ${message}`);
  };
  const model = new StoreModel(core, fail);
  const disk = new SimDisk({ seed: options.diskSeed });
  const io = new StepIo(core, disk, options.crashModel);
  const timers = new SimTimers(disk.clock);
  const dead = (): boolean => io.hasCrashed;
  const wait = async <T>(promise: Promise<T>, what: string): Promise<T> => {
    let result: PromiseSettledResult<T>;
    try {
      result = await settleSim(promise, timers, what, { dead, progress: () => io.steps });
    } catch (error) {
      if (error instanceof Stalled) fail(error.message);
      throw error;
    }
    if (result.status === "rejected") throw result.reason;
    return result.value;
  };
  const record = (op: ModelOp): void => {
    if (op.revision !== model.attemptedThrough + 1n) fail(`model: revision ${op.revision} out of order`);
    model.history.push(op);
  };
  const specOf = (name: string): SpaceSpecModel => TURN_SPECS.find((s) => s.name === name) as SpaceSpecModel;
  const put = (revision: bigint, batchEnd: bigint, space: string, point: number[]): ModelOp => (
    { kind: "put", revision, batchEnd, space, point, key: model.keyOf(specOf(space), point), value: valueBytes(revision, 3 + Number(revision % 17n), 7) });

  // Setup: two spaces and a few acknowledged writes to each (sync, so all of it must survive).
  const storeOptions: StoreOptions = { storage: () => io, core, durability: "sync", clock: disk.clock, timers };
  let store = await wait(open(STORE_DIR, storeOptions), "setup open");
  for (const spec of TURN_SPECS.slice(0, 2)) {
    record({ kind: "space", revision: model.attemptedThrough + 1n, batchEnd: model.attemptedThrough + 1n, spec });
    await wait(store.createSpace(spec.name, { dims: spec.dims, bits: spec.bits }), "setup createSpace");
  }
  for (let i = 0; i < 6; i++) {
    const space = i % 2 === 0 ? "A" : "B";
    const op = put(model.attemptedThrough + 1n, model.attemptedThrough + 1n, space, space === "A" ? [i, (i * 3) % 8] : [i * 5]);
    record(op);
    if (op.kind === "put") await wait(store.put(op.space, op.point, op.value), "setup put");
  }
  const setupRevision = model.attemptedThrough;
  const deleteOp: ModelOp = { kind: "delete", revision: 0n, batchEnd: 0n, space: "A", point: [0, 0], key: model.keyOf(specOf("A"), [0, 0]) };
  // The turn: one tick, no await between the calls.
  const firstStep = io.steps;
  io.crashAt = options.crashStep ?? Number.MAX_SAFE_INTEGER;
  const first = setupRevision + 1n;
  const ops: ModelOp[] = [
    put(first, first + 4n, "A", [1, 2]), { ...deleteOp, revision: first + 1n, batchEnd: first + 4n }, put(first + 2n, first + 4n, "B", [7]),
    put(first + 3n, first + 4n, "A", [6, 6]), put(first + 4n, first + 4n, "B", [30]),
  ];
  const batch: BatchOp[] = ops.map((op) => op.kind === "put" ? { put: op.space, point: op.point, value: op.value } : { delete: op.kind === "delete" ? op.space : "", point: op.kind === "delete" ? op.point : [] });
  const definition = first + 5n;
  const acknowledged = { batch: false, definition: false };
  const calls: Array<Promise<unknown>> = [];
  try {
    if (options.variant === "sealing") calls.push(store.seal("A"));
    for (const op of ops) record(op);
    calls.push(store.write(batch).then((result) => {
      if (result.first !== first || result.last !== first + 4n) fail(`write resolved with ${json(result)}`);
      acknowledged.batch = true;
    }));
    record({ kind: "space", revision: definition, batchEnd: definition, spec: specOf("C") });
    calls.push(store.createSpace("C", { dims: 3, bits: 2 }).then(() => {
      acknowledged.definition = true;
    }));
    if (store.nextRevisionValue !== definition + 1n) fail(`the turn's calls took revisions through ${store.nextRevisionValue - 1n}, not ${definition}`);
    const settled = await settleSim(Promise.allSettled(calls), timers, "the turn", { dead, progress: () => io.steps });
    if (settled.status === "fulfilled") {
      for (const result of settled.value) {
        if (result.status === "rejected" && !isExpectedFailure(result.reason)) fail(`a call of the turn failed: ${describeError(result.reason)}`);
      }
    }
  } catch (error) {
    if (error instanceof TurnFailure) throw error;
    if (error instanceof Stalled) fail(error.message);
    if (!isExpectedFailure(error)) fail(`the turn failed unexpectedly: ${describeError(error)}`);
  }
  const lastStep = io.steps;
  const crashedIn = io.crashedIn;
  io.crashNow();
  store.abandonAfterCrash(new SimulatedCrash("the process crashed"));
  await realTick();
  io.dispose();

  // Recovery, twice: the prefix rule and every read; then the same again with nothing to repair.
  const floor = acknowledged.definition ? definition : acknowledged.batch ? first + 4n : setupRevision;
  let answers: Answers | null = null;
  let recovered = 0n;
  let report: RecoveryReport | null = null;
  for (let round = 1; round <= (options.recoverTwice === false ? 1 : 2); round++) {
    const again = new StepIo(core, disk, options.crashModel);
    const againTimers = new SimTimers(disk.clock);
    const settle = async <T>(promise: Promise<T>, what: string): Promise<T> => {
      const result = await settleSim(promise, againTimers, what, { progress: () => again.steps }).catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
      if (result.status === "rejected") fail(`${what} failed: ${describeError(result.reason)}`);
      return result.value;
    };
    store = await settle(open(STORE_DIR, { ...storeOptions, storage: () => again, timers: againTimers }), `recovery ${round}`);
    const roundReport = store.stats().recovery;
    if (round === 2 && !reportIsClean(roundReport)) fail(`the second recovery still repaired something: ${json(roundReport)}`);
    const revision = model.checkShape(store, floor, `recovery ${round}`);
    // The prefix rule, said directly: C's definition (the newest revision) never survives without the whole batch.
    const spaces = store.spaces().map((s) => s.name);
    if (spaces.includes("C") && revision < first + 4n) fail(`space C (revision ${definition}) survived but the batch ${first}..${first + 4n} did not`);
    if (revision !== setupRevision && revision !== first + 4n && revision !== definition) fail(`recovered through ${revision}: not a batch end`);
    if (round === 1) {
      recovered = revision;
      report = roundReport;
      // What was cut is gone for good (as after any recovery).
      model.history.length = Number(revision);
    } else if (revision !== recovered) {
      fail(`the second recovery kept revision ${revision}, the first ${recovered}`);
    }
    const exact = Array.from({ length: Number(revision) }, (_, i) => BigInt(i + 1));
    const got = await model.checkReads(store, exact, [revision, setupRevision, first + 2n > revision ? revision : first + 2n], new Prng(options.diskSeed), `recovery ${round}`, settle, true);
    if (answers !== null && answers.join("\n") !== got.join("\n")) fail("recovering twice gave different answers");
    answers = got;
    await settle(store.close(), `close ${round}`);
  }
  return {
    firstStep, lastStep, crashedIn, setupRevision, batch: { first, last: first + 4n }, definition, acknowledged,
    recovered, repaired: report !== null && !reportIsClean(report), report: report as RecoveryReport,
  };
}
