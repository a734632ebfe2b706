// The completion table (core: assembly/completions.ts; layout drawn in
// assembly/completions-layout.ts): one token space for writes, datasyncs and closes, per-file
// written and synced positions, and failures that are reported and never counted as done.
//
// A state machine, never I/O (STYLE habit 6): the log's I/O thread registers each op it submits,
// feeds every completion back with complete(token, result), and reads syncedPosition(file) to
// acknowledge writers. The table lives in a region of the core's shared memory that one thread
// owns. Misuse (a file index out of range, an op on a file that is not open) throws
// InvalidArgumentError; a full table returns null and the caller decides (STYLE habit 4).
import { assert } from "../assert.js";
import { CoreLoadError, InvalidArgumentError } from "../errors.js";
import { type CoreContext, requireExport } from "./core-context.js";
import { type Region } from "./region-allocator.js";

/** What complete() found. Every value other than Ok means the op did not count. */
export const CompletionOutcome = {
  Ok: 0,
  /** The write returned a negative errno; the file failed at the write's start. */
  WriteFailed: 1,
  /** The write wrote fewer bytes than asked; treated as a failure at the write's start. */
  WriteShort: 2,
  /** The datasync failed; the file's synced position is frozen for good. */
  DatasyncFailed: 3,
  /** The close failed; the file failed at its synced position. */
  CloseFailed: 4,
  /** Never issued, or already completed: nothing changed. */
  UnknownToken: 5,
  /** A result no kernel returns (more bytes than asked, a positive sync result): failed as its kind. */
  ResultInvalid: 6,
} as const;
export type CompletionOutcome = (typeof CompletionOutcome)[keyof typeof CompletionOutcome];

export type CompletionFileState = "unused" | "open" | "closing" | "closed";
const FILE_STATES: readonly CompletionFileState[] = ["unused", "open", "closing", "closed"];
const FILE_FAILED_BIT = 256;

// Registration and query codes (negative), as in the core.
const CODE_MESSAGES = new Map<number, string>([
  [-1, "the completion table is not initialised (or was released)"],
  [-2, "file index out of range"],
  [-3, "the file is not open"],
  [-4, "the file is closing: no op may follow its close"],
  [-5, "a write needs end > start"],
  [-6, "the file is open or has pending ops"],
  [-7, "opsMax or filesMax out of range"],
]);

/** The core's limits (assembly/completions-layout.ts), mirrored for argument checks. */
export const COMPLETIONS_OPS_MAX = 1 << 16;
export const COMPLETIONS_FILES_MAX = 1 << 12;

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

type SizeFn = (opsMax: number, filesMax: number) => number;
type InitFn = (table: number, opsMax: number, filesMax: number) => number;
type OpenFn = (table: number, file: number, position: bigint) => number;
type WriteFn = (table: number, file: number, start: bigint, end: bigint) => bigint;
type FileOpFn = (table: number, file: number) => bigint;
type CompleteFn = (table: number, token: bigint, result: bigint) => number;
type PositionFn = (table: number, file: number) => bigint;
type FileQueryFn = (table: number, file: number) => number;
type TableQueryFn = (table: number) => number;

export interface CompletionExports {
  completionsTableSize: SizeFn;
  completionsInit: InitFn;
  completionsOpenFile: OpenFn;
  completionsRegisterWrite: WriteFn;
  completionsRegisterDatasync: FileOpFn;
  completionsRegisterClose: FileOpFn;
  completionsComplete: CompleteFn;
  completionsWrittenPosition: PositionFn;
  completionsSyncedPosition: PositionFn;
  completionsFileState: FileQueryFn;
  completionsPendingCount: TableQueryFn;
  completionsSlotsInUse: TableQueryFn;
}

export function bindCompletionExports(exports: WebAssembly.Exports): CompletionExports {
  const names = [
    "completionsTableSize", "completionsInit", "completionsOpenFile", "completionsRegisterWrite",
    "completionsRegisterDatasync", "completionsRegisterClose", "completionsComplete",
    "completionsWrittenPosition", "completionsSyncedPosition", "completionsFileState",
    "completionsPendingCount", "completionsSlotsInUse",
  ] as const;
  const bound: Record<string, unknown> = {};
  for (const name of names) bound[name] = requireExport<unknown>(exports, name);
  const fns = bound as unknown as CompletionExports;
  // The mirrored limits must be exactly the core's, or a stale build is loaded.
  const sizeAtMax = fns.completionsTableSize(COMPLETIONS_OPS_MAX, COMPLETIONS_FILES_MAX);
  const sizeAboveMax = fns.completionsTableSize(COMPLETIONS_OPS_MAX + 1, 1) + fns.completionsTableSize(1, COMPLETIONS_FILES_MAX + 1);
  if (sizeAtMax <= 0 || sizeAboveMax !== 0) throw new CoreLoadError("core and host disagree on the completion table limits");
  return fns;
}

export interface CompletionTableOptions {
  /** Ops that may be in the table at once: pending, or completed writes waiting for an earlier one. */
  readonly opsMax: number;
  /** Files that may be tracked; file indices are 0..filesMax-1. */
  readonly filesMax: number;
}

function checkU64(value: bigint, what: string): bigint {
  if (typeof value !== "bigint" || value < 0n || value > U64_MAX) {
    throw new InvalidArgumentError(`${what} is a u64 bigint; got ${String(value)}`);
  }
  return value;
}

function checkResult(result: number | bigint): bigint {
  if (typeof result === "number") {
    if (!Number.isSafeInteger(result)) throw new InvalidArgumentError(`a completion result is an integer; got ${result}`);
    return BigInt(result);
  }
  if (typeof result !== "bigint" || result < I64_MIN || result > I64_MAX) {
    throw new InvalidArgumentError(`a completion result is an i64; got ${String(result)}`);
  }
  return result;
}

/** Creates a table in a fresh region of the core's memory. */
export function createCompletionTable(ctx: CoreContext, fns: CompletionExports, options: CompletionTableOptions): CompletionTable {
  const { opsMax, filesMax } = options;
  if (!Number.isInteger(opsMax) || opsMax < 1 || opsMax > COMPLETIONS_OPS_MAX) {
    throw new InvalidArgumentError(`opsMax is 1..${COMPLETIONS_OPS_MAX}; got ${opsMax}`);
  }
  if (!Number.isInteger(filesMax) || filesMax < 1 || filesMax > COMPLETIONS_FILES_MAX) {
    throw new InvalidArgumentError(`filesMax is 1..${COMPLETIONS_FILES_MAX}; got ${filesMax}`);
  }
  const size = fns.completionsTableSize(opsMax, filesMax) >>> 0;
  assert(size > 0, "the core refused limits the host accepted");
  const region = ctx.regions.allocate(size);
  const code = fns.completionsInit(region.ptr, opsMax, filesMax);
  assert(code === 0, `completionsInit returned ${code}`);
  return new CompletionTable(ctx, fns, region, opsMax, filesMax);
}

export class CompletionTable {
  private released = false;

  constructor(
    private readonly ctx: CoreContext,
    private readonly fns: CompletionExports,
    private readonly region: Region,
    readonly opsMax: number,
    readonly filesMax: number,
  ) {}

  /** Starts tracking `file` with both positions at `position` (what it already holds durably). */
  openFile(file: number, position = 0n): void {
    const code = this.fns.completionsOpenFile(this.table(), this.checkFile(file), checkU64(position, "a position"));
    if (code !== 0) this.refuse(code, file);
  }

  /** Token of a write of [start, end) to `file`, or null if the table is full. */
  registerWrite(file: number, start: bigint, end: bigint): bigint | null {
    checkU64(start, "a write's start");
    checkU64(end, "a write's end");
    if (end <= start) throw new InvalidArgumentError(`a write needs end > start; got [${start}, ${end})`);
    return this.token(this.fns.completionsRegisterWrite(this.table(), this.checkFile(file), start, end), file);
  }

  /** Token of a datasync of `file` covering its written position now, or null if the table is full. */
  registerDatasync(file: number): bigint | null {
    return this.token(this.fns.completionsRegisterDatasync(this.table(), this.checkFile(file)), file);
  }

  /** Token of a close of `file` (the last op on it), or null if the table is full. */
  registerClose(file: number): bigint | null {
    return this.token(this.fns.completionsRegisterClose(this.table(), this.checkFile(file)), file);
  }

  /** Records a completion: bytes written for a write, 0 for a datasync or close, or -errno. */
  complete(token: bigint, result: number | bigint): CompletionOutcome {
    const outcome = this.fns.completionsComplete(this.table(), checkU64(token, "a token"), checkResult(result));
    assert(outcome >= 0 && outcome <= CompletionOutcome.ResultInvalid, `completionsComplete returned ${outcome}`);
    return outcome as CompletionOutcome;
  }

  /** End of the longest registration-order prefix of completed writes, never past a failure. */
  writtenPosition(file: number): bigint {
    return BigInt.asUintN(64, this.fns.completionsWrittenPosition(this.table(), this.checkFile(file)));
  }

  /** The durable position: the greatest boundary of a datasync that completed successfully. */
  syncedPosition(file: number): bigint {
    return BigInt.asUintN(64, this.fns.completionsSyncedPosition(this.table(), this.checkFile(file)));
  }

  fileFailed(file: number): boolean {
    return (this.fileBits(file) & FILE_FAILED_BIT) !== 0;
  }

  fileState(file: number): CompletionFileState {
    const state = FILE_STATES[this.fileBits(file) & 0xff];
    assert(state !== undefined, "unknown file state");
    return state;
  }

  /** Ops submitted and not yet completed. */
  pendingCount(): number {
    return this.fns.completionsPendingCount(this.table());
  }

  /** Occupied slots: pending ops plus completed writes that wait for an earlier write of their file. */
  slotsInUse(): number {
    return this.fns.completionsSlotsInUse(this.table());
  }

  /** Returns the region; the table must not be used again. */
  release(): void {
    const table = this.table();
    new DataView(this.ctx.memory.buffer, table, 4).setUint32(0, 0, true); // clear the magic: stale pointers fail
    this.released = true;
    this.ctx.regions.release(this.region);
  }

  private table(): number {
    if (this.released) throw new InvalidArgumentError("the completion table was released");
    return this.region.ptr;
  }

  private checkFile(file: number): number {
    if (!Number.isInteger(file) || file < 0 || file >= this.filesMax) {
      throw new InvalidArgumentError(`file index is 0..${this.filesMax - 1}; got ${file}`);
    }
    return file;
  }

  private fileBits(file: number): number {
    const bits = this.fns.completionsFileState(this.table(), this.checkFile(file));
    if (bits < 0) this.refuse(bits, file);
    return bits;
  }

  private token(result: bigint, file: number): bigint | null {
    if (result > 0n) return result;
    if (result === 0n) return null;
    return this.refuse(Number(result), file);
  }

  private refuse(code: number, file: number): never {
    const message = CODE_MESSAGES.get(code);
    assert(message !== undefined, `unknown completion table code ${code}`);
    // A table that is not initialised is a host bug; everything else is the caller's misuse.
    assert(code !== -1, message);
    throw new InvalidArgumentError(`file ${file}: ${message}`);
  }
}
