// SimDisk: the simulated disk (DESIGN section 8; after TigerBeetle's src/testing/storage.zig).
//
// Hot-path ops (writes, datasyncs) are submitted with a callback and complete after a virtual
// latency drawn from the PRNG. step() completes the in-flight op with the smallest readyAtMs (ties
// by submission order) and moves the clock there, so ops on different files complete out of order,
// as on a real disk. A datasync covers exactly the writes of its file that had completed when it
// was submitted: a write still in flight then stays pending, whatever the completion order.
//
// crash() is a power loss: in-flight ops never complete, each unsynced write is dropped, landed or
// torn per the crash model (sim-crash.ts), directory changes never synced may be undone
// (sim-namespace.ts), faults at crash apply, and then every queue is empty and every handle is
// dead. The disk keeps going: open it again as a new process would.
//
// It asserts what a real disk cannot do: two in-flight writes to the same bytes, a read of bytes
// a write is still writing, a close with ops in flight, a handle from before a crash.
import { assert, constants } from "../assert.js";
import { InvalidArgumentError } from "../errors.js";
import { Prng } from "./prng.js";
import { CRASH_MODELS, type CrashModel, isCrashModel, landAtCrash } from "./sim-crash.js";
import { type SimFaultKind } from "./sim-faults.js";
import { type SimDiskOptions, SimFileSystem, type SimHandle } from "./sim-file-system.js";
import { type PendingEntry, SECTOR_SIZE, type SimInode } from "./sim-inode.js";
import { normalizePath } from "./sim-paths.js";

/** Called once when an op completes: bytes written (0 for a datasync) or a negative errno, and its name. */
export type SimDone = (result: number, errno: string) => void;

/** Ops in flight at once; the completion table's largest opsMax. */
export const SIM_IN_FLIGHT_MAX = 1 << 16;

interface InFlightCommon {
  readonly opId: number;
  readonly handle: SimHandle;
  readonly inode: SimInode;
  readonly readyAtMs: number;
  readonly fault: SimFaultKind | null;
  readonly onDone: SimDone;
}

interface InFlightWrite extends InFlightCommon {
  readonly kind: "write";
  readonly offset: number;
  readonly bytes: Uint8Array;
  /** The caller's buffers, kept under constants.verify to catch one changed while in flight. */
  readonly views: readonly Uint8Array[] | null;
}

interface InFlightDatasync extends InFlightCommon {
  readonly kind: "datasync";
  /** The entries of the file with seq <= this had completed at submission: the sync covers them. */
  readonly coversSeq: number;
}

type InFlightOp = InFlightWrite | InFlightDatasync;

/** The seed of `new SimDisk()`: any seed is as good, and a fixed one replays. */
export const SIM_SEED_DEFAULT = 1;

/** SimDisk's options: the PRNG that decides everything, or the `seed` to make one from (default SIM_SEED_DEFAULT). */
export type SimDiskConfig = Omit<SimDiskOptions, "prng"> & { readonly prng?: Prng; readonly seed?: number };

function prngOf(options: SimDiskConfig): Prng {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError(`SimDisk options must be an object; got ${String(options)}`);
  if (options.prng !== undefined && options.seed !== undefined) throw new InvalidArgumentError("SimDisk takes a prng or a seed, not both");
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) {
    throw new InvalidArgumentError(`a SimDisk seed is a safe integer; got ${String(options.seed)}`);
  }
  return options.prng ?? new Prng(options.seed ?? SIM_SEED_DEFAULT);
}

export class SimDisk extends SimFileSystem {
  private inFlight: InFlightOp[] = [];
  private crashes = 0;

  constructor(options: SimDiskConfig = {}) {
    super({ ...options, prng: prngOf(options) });
  }

  /** Crashes so far: handles and SimIo instances from an earlier epoch are dead. */
  get epoch(): number {
    return this.crashes;
  }

  /** Writes the buffers, gathered, at `position`; `onDone` runs when the write completes. Returns the op id. */
  submitWrite(handle: SimHandle, buffers: readonly Uint8Array[], position: number, onDone: SimDone): number {
    const open = this.handleOf(handle);
    assert(Number.isSafeInteger(position) && position >= 0, `a write position is a non-negative safe integer; got ${position}`);
    const length = buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);
    assert(length > 0, "a write has at least one byte");
    this.checkNotBeingWritten(open.inode, position, length);
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const buffer of buffers) {
      bytes.set(buffer, at);
      at += buffer.byteLength;
    }
    const fault = this.drawWriteFault(open.path);
    const readyAtMs = this.readyAt(this.latency.writeMsMin, this.latency.writeMsMax);
    const views = constants.verify ? [...buffers] : null;
    const op: InFlightWrite = { kind: "write", opId: this.nextOpId++, handle, inode: open.inode, readyAtMs, fault, onDone, offset: position, bytes, views };
    this.enqueue(op);
    this.event("submit-write", [op.opId, open.inode.id, position, length, readyAtMs, fault ?? ""]);
    return op.opId;
  }

  /** Submits an fdatasync of the file covering the writes that have completed so far. Returns the op id. */
  submitDatasync(handle: SimHandle, onDone: SimDone): number {
    const open = this.handleOf(handle);
    const fault = this.drawFault("datasync", open.path);
    const readyAtMs = this.readyAt(this.latency.datasyncMsMin, this.latency.datasyncMsMax);
    const op: InFlightDatasync = { kind: "datasync", opId: this.nextOpId++, handle, inode: open.inode, readyAtMs, fault, onDone, coversSeq: this.nextSeq - 1 };
    this.enqueue(op);
    this.event("submit-datasync", [op.opId, open.inode.id, op.coversSeq, readyAtMs, fault ?? ""]);
    return op.opId;
  }

  inFlightCount(): number {
    return this.inFlight.length;
  }

  /** When the next in-flight op completes, or null if none is in flight. */
  nextReadyAtMs(): number | null {
    const next = this.earliest();
    return next === null ? null : (this.inFlight[next] as InFlightOp).readyAtMs;
  }

  /** Completes the earliest in-flight op, moving the clock to its readyAtMs. False if none is in flight. */
  step(): boolean {
    const next = this.earliest();
    if (next === null) return false;
    const op = this.inFlight[next] as InFlightOp;
    this.clock.advanceTo(Math.max(this.clock.nowMs(), op.readyAtMs));
    this.complete(next);
    return true;
  }

  /** Completes every op that is due by the clock now (time moved on elsewhere). Returns how many. */
  completeDue(): number {
    let count = 0;
    // Ops submitted from a callback are due no earlier than now + latency; the bound also covers latency 0.
    for (let budget = this.inFlight.length; budget > 0; budget--) {
      const next = this.earliest();
      if (next === null || (this.inFlight[next] as InFlightOp).readyAtMs > this.clock.nowMs()) break;
      this.complete(next);
      count++;
    }
    return count;
  }

  /**
   * A power loss, then a reboot. In-flight ops never complete (their callbacks never run); each
   * file's unsynced writes and each unsynced directory change meet `model`; faults at crash apply.
   */
  crash(model: CrashModel): void {
    assert(isCrashModel(model), `crash models are ${CRASH_MODELS.join(", ")}; got ${String(model)}`);
    this.event("crash", [model, this.inFlight.length]);
    const inFlightWrites = new Map<SimInode, PendingEntry[]>();
    for (const op of this.inFlight) {
      if (op.kind !== "write") continue;
      const list = inFlightWrites.get(op.inode) ?? [];
      list.push({ kind: "write", opId: op.opId, seq: 0, offset: op.offset, bytes: op.bytes });
      inFlightWrites.set(op.inode, list);
    }
    this.inFlight = [];
    for (const inode of this.inodesById()) {
      const candidates = [...inode.pending, ...(inFlightWrites.get(inode) ?? [])].sort((a, b) => a.opId - b.opId);
      const landing = landAtCrash(model, inode, candidates, this.crashPrng);
      this.event("crash-file", [inode.id, landing.candidates, landing.landed, landing.partial, landing.garbage]);
    }
    const keptChanges = this.namespace.crash(this.crashPrng, model === "drop-unsynced");
    this.event("crash-names", [keptChanges]);
    const survivors = this.namespace.durableInodes();
    for (const inode of this.inodesById()) {
      if (!survivors.has(inode.id)) this.inodes.delete(inode.id);
      else this.faultAtCrash(inode);
    }
    for (const inode of this.inodes.values()) inode.resetAfterCrash();
    this.handles.clear();
    this.crashes++;
    this.checkQuiet();
  }

  /**
   * Flips one random bit of the stored bytes of the file at `path` (latent corruption). Reads see
   * it at once unless the byte is under a pending write. Null if the file holds no durable byte.
   */
  flipRandomBit(path: string): { offset: number; bit: number } | null {
    const inode = this.liveInode(path);
    if (inode.durable.size === 0) return null;
    const offset = this.faultPrng.below(inode.durable.size);
    const bit = this.faultPrng.below(8);
    this.flipBit(inode, offset, bit);
    return { offset, bit };
  }

  /** The sector holding `offset` in the file at `path` reads EIO until a write touches it. */
  injectReadError(path: string, offset: number): void {
    const inode = this.liveInode(path);
    inode.badSectors.add(Math.floor(offset / SECTOR_SIZE));
    this.event("bad-sector", [inode.id, Math.floor(offset / SECTOR_SIZE)]);
  }

  // --- inspection, for tests and checkers: no faults, no trace, no time ---

  /** What a crash now would leave under `path` (by its durable name): stored bytes, or pristine ones. */
  durableBytes(path: string, options: { readonly pristine?: boolean } = {}): Uint8Array | undefined {
    const entry = this.namespace.lookupDurable(normalizePath(path));
    if (entry?.kind !== "file") return undefined;
    const inode = this.inode(entry.inode);
    const bytes = inode.durable.toBytes();
    if (options.pristine !== true) for (const [offset, value] of inode.damage) bytes[offset] = value;
    return bytes;
  }

  /** What the running process reads under `path` (by its live name). */
  liveBytes(path: string): Uint8Array | undefined {
    const entry = this.namespace.lookup(normalizePath(path));
    return entry?.kind === "file" ? this.inode(entry.inode).live.toBytes() : undefined;
  }

  /** Offsets where the medium differs from the pristine bytes (torn sectors, flipped bits), sorted. */
  damagedOffsets(path: string): number[] {
    return [...this.liveInode(path).damage.keys()].sort((a, b) => a - b);
  }

  /** Completed, unsynced writes and size changes of the file at `path`. */
  pendingCount(path: string): number {
    return this.liveInode(path).pending.length;
  }

  /** Directory changes not yet made durable by a syncDirectory. */
  pendingDirectoryChanges(): number {
    return this.namespace.pendingCount();
  }

  traceHash(): bigint {
    return this.trace.value();
  }

  traceLines(): string[] {
    return this.trace.recentLines();
  }

  protected override checkIdle(handle: SimHandle): void {
    for (const op of this.inFlight) assert(op.handle !== handle, `handle ${handle} closed with op ${op.opId} in flight`);
  }

  protected override checkNotBeingWritten(inode: SimInode, offset: number, length: number): void {
    for (const op of this.inFlight) {
      if (op.kind !== "write" || op.inode !== inode) continue;
      const overlaps = offset < op.offset + op.bytes.byteLength && op.offset < offset + length;
      assert(!overlaps, `[${offset}, ${offset + length}) of inode ${inode.id} overlaps in-flight write ${op.opId} at [${op.offset}, ${op.offset + op.bytes.byteLength})`);
    }
  }

  private enqueue(op: InFlightOp): void {
    assert(this.inFlight.length < SIM_IN_FLIGHT_MAX, `more than ${SIM_IN_FLIGHT_MAX} ops in flight`);
    this.inFlight.push(op);
  }

  private readyAt(min: number, max: number): number {
    return this.clock.nowMs() + this.latencyPrng.between(min, max);
  }

  /** Index of the in-flight op with the smallest readyAtMs, ties to the smallest op id. */
  private earliest(): number | null {
    let best: number | null = null;
    for (let i = 0; i < this.inFlight.length; i++) {
      const op = this.inFlight[i] as InFlightOp;
      const current = best === null ? null : (this.inFlight[best] as InFlightOp);
      if (current === null || op.readyAtMs < current.readyAtMs || (op.readyAtMs === current.readyAtMs && op.opId < current.opId)) best = i;
    }
    return best;
  }

  private complete(index: number): void {
    const op = this.inFlight[index] as InFlightOp;
    this.inFlight.splice(index, 1);
    let outcome: { result: number; errno: string };
    if (op.kind === "write") {
      if (op.views !== null) checkViewsUnchanged(op);
      outcome = this.landInCache(op.inode, op.opId, op.offset, op.bytes, op.fault);
    } else {
      const failed = this.syncCovered(op.inode, op.coversSeq, op.fault !== null);
      outcome = failed ? { result: -5, errno: "EIO" } : { result: 0, errno: "" };
    }
    this.event("complete", [op.opId, outcome.result, outcome.errno]);
    op.onDone(outcome.result, outcome.errno); // last: the callback may submit more
  }

  private faultAtCrash(inode: SimInode): void {
    const flip = this.crashPrng.chance(this.faults.bitFlipAtCrashProbability ?? 0);
    const badSector = this.crashPrng.chance(this.faults.readErrorAtCrashProbability ?? 0);
    if (inode.durable.size === 0) return;
    if (flip) this.flipBit(inode, this.crashPrng.below(inode.durable.size), this.crashPrng.below(8));
    if (badSector) {
      const sector = this.crashPrng.below(Math.ceil(inode.durable.size / SECTOR_SIZE));
      inode.badSectors.add(sector);
      this.event("bad-sector", [inode.id, sector]);
    }
  }

  private flipBit(inode: SimInode, offset: number, bit: number): void {
    const mask = 1 << bit;
    inode.damageByte(offset, inode.storedByte(offset) ^ mask);
    // The page is clean, so the process rereads the medium; a dirty page hides the flip until it lands.
    if (!inode.isDirty(offset) && offset < inode.live.size) inode.live.setByte(offset, inode.live.byteAt(offset) ^ mask);
    this.event("flip", [inode.id, offset, bit]);
  }

  private liveInode(path: string): SimInode {
    const p = normalizePath(path);
    const entry = this.namespace.lookup(p);
    assert(entry?.kind === "file", `${p} is not a file on the simulated disk`);
    return this.inode(entry.inode);
  }

  private inodesById(): SimInode[] {
    return [...this.inodes.values()].sort((a, b) => a.id - b.id);
  }

  /** After a crash nothing is in flight, pending, unsynced or open (TigerBeetle's reset() asserts the same). */
  private checkQuiet(): void {
    assert(this.inFlight.length === 0, "a crash leaves no op in flight");
    assert(this.handles.size === 0, "a crash leaves no handle open");
    assert(this.namespace.pendingCount() === 0, "a crash leaves no directory change pending");
    for (const inode of this.inodes.values()) {
      assert(inode.pending.length === 0, `a crash leaves no write pending (inode ${inode.id})`);
      assert(inode.handles === 0, `a crash leaves no handle open (inode ${inode.id})`);
    }
  }
}

function checkViewsUnchanged(op: InFlightWrite): void {
  let at = 0;
  for (const view of op.views ?? []) {
    for (let i = 0; i < view.byteLength; i++) {
      assert(view[i] === op.bytes[at + i], `write op ${op.opId}: its buffer changed while the write was in flight`);
    }
    at += view.byteLength;
  }
}
