// The simulated file system's synchronous half: names, handles and the cold-path calls (open,
// read, truncate, a blocking sync, directory changes), with the faults that hit them. SimDisk
// (sim-disk.ts) adds the asynchronous writes and datasyncs, virtual latency and the crash.
//
// Failures a real kernel reports are thrown as IoError (DiskFullError for ENOSPC) with the POSIX
// errno, like host/io/real-files.ts. What no real disk allows (a handle from before a crash, a read
// of bytes a write is still writing) is a caller bug and fails an assert.
import { assert } from "../assert.js";
import { DiskFullError, InvalidArgumentError, IoError } from "../errors.js";
import { type Prng } from "./prng.js";
import { FaultSchedule, type SimFaultKind, type SimFaultOp, type SimFaults, checkFaults } from "./sim-faults.js";
import { type PendingEntry, SimInode } from "./sim-inode.js";
import { SimNamespace } from "./sim-namespace.js";
import { ROOT, ancestorsOf, normalizePath, parentOf } from "./sim-paths.js";
import { SimTrace } from "./trace-hash.js";
import { VirtualClock } from "./virtual-clock.js";

/** An open file of the simulated process. Invalid after close() and after a crash. */
export type SimHandle = number & { readonly __simHandle: unique symbol };

export interface SimOpenOptions {
  readonly create: boolean;
  readonly exclusive?: boolean;
}

export interface SimDiskOptions {
  /** Decides everything: latencies, faults, crash outcomes (each from its own fork). */
  readonly prng: Prng;
  readonly clock?: VirtualClock;
  readonly faults?: SimFaults;
  readonly latency?: SimLatency;
  /** Trace lines kept as text for debugging a seed (the hash covers every event regardless). */
  readonly traceLinesMax?: number;
}

/** Virtual latency of hot-path ops, drawn uniformly from [min, max] whole milliseconds. */
export interface SimLatency {
  readonly writeMsMin: number;
  readonly writeMsMax: number;
  readonly datasyncMsMin: number;
  readonly datasyncMsMax: number;
}

export const SIM_LATENCY_DEFAULT: SimLatency = { writeMsMin: 1, writeMsMax: 4, datasyncMsMin: 2, datasyncMsMax: 12 };

interface OpenHandle {
  readonly inode: SimInode;
  /** The path it was opened by (normalised), for messages and path-scoped fault rules. */
  readonly path: string;
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory", EEXIST: "file already exists", EISDIR: "illegal operation on a directory",
  ENOTDIR: "not a directory", EIO: "i/o error", ENOSPC: "no space left on device",
};

/** The error a real call would have thrown, as host/io/real-files.ts's ioErrorOf builds it. */
export function simIoError(what: string, errno: string): IoError {
  const message = `${what}: ${errno} (simulated: ${ERRNO_TEXT[errno] ?? "error"})`;
  return errno === "ENOSPC" ? new DiskFullError(message, errno) : new IoError(message, errno);
}

export class SimFileSystem {
  readonly clock: VirtualClock;
  protected readonly faultPrng: Prng;
  protected readonly latencyPrng: Prng;
  protected readonly crashPrng: Prng;
  protected readonly trace: SimTrace;
  protected readonly latency: SimLatency;
  protected namespace = new SimNamespace();
  protected readonly inodes = new Map<number, SimInode>();
  protected readonly handles = new Map<number, OpenHandle>();
  private readonly schedule = new FaultSchedule();
  private currentFaults: SimFaults;
  protected nextOpId = 1;
  /** Completion order of pending entries across all files; a datasync covers seq <= its mark. */
  protected nextSeq = 1;
  private nextInode = 1;
  private nextHandle = 1;

  constructor(options: SimDiskOptions) {
    this.clock = options.clock ?? new VirtualClock();
    this.latencyPrng = options.prng.fork("latency");
    this.faultPrng = options.prng.fork("faults");
    this.crashPrng = options.prng.fork("crash");
    this.currentFaults = checkFaults(options.faults ?? {});
    this.latency = checkLatency(options.latency ?? SIM_LATENCY_DEFAULT);
    this.trace = new SimTrace(options.traceLinesMax ?? 0);
  }

  get faults(): SimFaults {
    return this.currentFaults;
  }

  /** Replaces the fault knobs (a harness turns faults off to let recovery finish, say). */
  setFaults(faults: SimFaults): void {
    this.currentFaults = checkFaults(faults);
    this.event("faults", [JSON.stringify(faults)]);
  }

  open(path: string, options: SimOpenOptions): SimHandle {
    const p = normalizePath(path);
    const entry = this.namespace.lookup(p);
    if (entry !== undefined && options.create && options.exclusive === true) throw this.fail(`open ${p}`, "EEXIST");
    if (entry?.kind === "dir") throw this.fail(`open ${p}`, "EISDIR");
    let inode: SimInode;
    if (entry !== undefined) {
      inode = this.inode(entry.inode);
    } else {
      if (!options.create) throw this.fail(`open ${p}`, "ENOENT");
      this.checkParentDirectory(`open ${p}`, p);
      inode = new SimInode(this.nextInode++);
      this.inodes.set(inode.id, inode);
      this.namespace.createFile(p, inode.id);
    }
    const handle = this.nextHandle++ as SimHandle;
    this.handles.set(handle, { inode, path: p });
    inode.handles++;
    this.event("open", [p, handle, inode.id, inode.live.size]);
    return handle;
  }

  close(handle: SimHandle): void {
    const open = this.handleOf(handle);
    this.checkIdle(handle);
    open.inode.handles--;
    this.handles.delete(handle);
    this.event("close", [handle]);
  }

  size(handle: SimHandle): number {
    return this.handleOf(handle).inode.live.size;
  }

  /** Reads up to buffer.byteLength bytes at `position`; returns the count (short at the end of file). */
  readAt(handle: SimHandle, buffer: Uint8Array, position: number): number {
    const open = this.handleOf(handle);
    checkOffset(position);
    const fault = this.drawFault("read", open.path);
    this.checkNotBeingWritten(open.inode, position, buffer.byteLength);
    const count = Math.max(0, Math.min(buffer.byteLength, open.inode.live.size - position));
    if (fault !== null || open.inode.readFails(position, count)) {
      this.event("read", [handle, position, buffer.byteLength, "EIO"]);
      throw this.fail(`read ${open.path}`, "EIO");
    }
    open.inode.live.read(position, buffer);
    this.event("read", [handle, position, buffer.byteLength, count]);
    return count;
  }

  /** A blocking pwrite (the cold path's small files). Returns the count; faults throw or cut it short. */
  writeNow(handle: SimHandle, bytes: Uint8Array, position: number): number {
    const open = this.handleOf(handle);
    checkOffset(position);
    assert(bytes.byteLength > 0, "a write has at least one byte");
    this.checkNotBeingWritten(open.inode, position, bytes.byteLength);
    const { result, errno } = this.landInCache(open.inode, this.nextOpId++, position, bytes, this.drawWriteFault(open.path));
    this.event("write-now", [handle, position, bytes.byteLength, result]);
    if (errno !== "") throw this.fail(`write ${open.path}`, errno);
    return result;
  }

  /** Sets the size now; durable only after a sync (as ftruncate: the size is dirty metadata). */
  truncate(handle: SimHandle, size: number): void {
    const open = this.handleOf(handle);
    checkOffset(size);
    // A truncate racing a write of the same file leaves a size no caller can predict.
    this.checkNotBeingWritten(open.inode, 0, Number.MAX_SAFE_INTEGER);
    open.inode.addSize({ kind: "size", opId: this.nextOpId++, seq: this.nextSeq++, size });
    this.event("truncate", [handle, size]);
  }

  /** A blocking fdatasync: every write of the file that completed so far becomes durable. */
  sync(handle: SimHandle): void {
    const open = this.handleOf(handle);
    const failed = this.syncCovered(open.inode, this.nextSeq - 1, this.drawFault("datasync", open.path) !== null);
    this.event("sync", [handle, failed ? "EIO" : "ok"]);
    if (failed) throw this.fail(`fdatasync ${open.path}`, "EIO");
  }

  list(dir: string): string[] {
    const p = normalizePath(dir);
    this.checkDirectory(`list ${p}`, p);
    return this.namespace.list(p);
  }

  /** mkdir -p: makes every missing directory on the path; an existing directory is fine. */
  mkdir(dir: string): void {
    const p = normalizePath(dir);
    for (const at of [...ancestorsOf(p), p]) {
      if (at === ROOT) continue;
      const entry = this.namespace.lookup(at);
      if (entry === undefined) this.namespace.makeDirectory(at);
      else if (entry.kind === "file") throw this.fail(`mkdir ${p}`, at === p ? "EEXIST" : "ENOTDIR");
    }
    this.event("mkdir", [p]);
  }

  unlink(path: string): void {
    const p = normalizePath(path);
    const entry = this.namespace.lookup(p);
    if (entry === undefined) throw this.fail(`unlink ${p}`, "ENOENT");
    if (entry.kind === "dir") throw this.fail(`unlink ${p}`, "EISDIR");
    this.namespace.unlink(p);
    this.event("unlink", [p]);
  }

  /** Renames a file, replacing a file at `to`. Renaming directories is not simulated. */
  rename(from: string, to: string): void {
    const f = normalizePath(from);
    const t = normalizePath(to);
    const entry = this.namespace.lookup(f);
    if (entry === undefined) throw this.fail(`rename ${f}`, "ENOENT");
    if (entry.kind === "dir") throw new InvalidArgumentError(`the simulator renames files only; ${f} is a directory`);
    if (t === ROOT) throw this.fail(`rename ${f}`, "EISDIR");
    this.checkParentDirectory(`rename ${f}`, t);
    if (this.namespace.lookup(t)?.kind === "dir") throw this.fail(`rename ${f}`, "EISDIR");
    if (f !== t) this.namespace.rename(f, t);
    this.event("rename", [f, t]);
  }

  /** fsync of a directory: its created, renamed and removed entries become durable. */
  syncDirectory(dir: string): void {
    const p = normalizePath(dir);
    this.checkDirectory(`fsync ${p}`, p);
    const landed = this.namespace.syncDirectory(p);
    this.event("sync-directory", [p, landed]);
  }

  exists(path: string): boolean {
    return this.namespace.lookup(normalizePath(path)) !== undefined;
  }

  /**
   * Lands the pending entries of `inode` with seq <= `coversSeq`. A failed sync lands a prefix of
   * them (writeback got that far), then drops or keeps each later one at random, as Linux may mark
   * a failed dirty page clean: dropped bytes stay readable until the crash but never reach the disk.
   * Returns `failed`.
   */
  protected syncCovered(inode: SimInode, coversSeq: number, failed: boolean): boolean {
    const covered = inode.pending.filter((entry) => entry.seq <= coversSeq);
    const rest = inode.pending.filter((entry) => entry.seq > coversSeq);
    const landedCount = failed ? this.faultPrng.below(covered.length + 1) : covered.length;
    const kept: PendingEntry[] = [];
    for (let i = 0; i < covered.length; i++) {
      const entry = covered[i] as PendingEntry;
      if (i < landedCount) inode.land(entry);
      else if (!this.faultPrng.chance(0.5)) kept.push(entry);
    }
    inode.pending = [...kept, ...rest];
    this.event("land", [inode.id, covered.length, landedCount, kept.length]);
    return failed;
  }

  /**
   * A write reaches the page cache, within the disk's capacity and its fault. ENOSPC writes
   * nothing; EIO writes a random prefix (possibly none); "short" a random shorter prefix.
   */
  protected landInCache(inode: SimInode, opId: number, offset: number, bytes: Uint8Array, fault: SimFaultKind | null): { result: number; errno: string } {
    const length = bytes.byteLength;
    if (fault === "ENOSPC") return { result: -28, errno: "ENOSPC" };
    const fit = this.bytesThatFit(inode, offset, length);
    let count = Math.min(length, fit);
    if (fault === "EIO") count = Math.min(count, this.faultPrng.below(length + 1));
    else if (fault === "short") count = Math.min(count, this.faultPrng.below(length));
    if (count > 0) {
      inode.addWrite({ kind: "write", opId, seq: this.nextSeq++, offset, bytes: bytes.slice(0, count) });
    }
    if (fault === "EIO") return { result: -5, errno: "EIO" };
    if (count === 0 && fit === 0) return { result: -28, errno: "ENOSPC" };
    return { result: count, errno: "" };
  }

  /** The fault of the next write to `path`: the schedule's, else one drawn (EIO, ENOSPC, short, in that order). */
  protected drawWriteFault(path: string): SimFaultKind | null {
    const scheduled = this.schedule.next(this.currentFaults, "write", path, normalizePath);
    const eio = this.faultPrng.chance(this.currentFaults.writeEioProbability ?? 0);
    const enospc = this.faultPrng.chance(this.currentFaults.writeEnospcProbability ?? 0);
    const short = this.faultPrng.chance(this.currentFaults.writeShortProbability ?? 0);
    if (scheduled !== null) return scheduled;
    return eio ? "EIO" : enospc ? "ENOSPC" : short ? "short" : null;
  }

  /** The fault of the next read or datasync of `path`: EIO or none. */
  protected drawFault(op: Exclude<SimFaultOp, "write">, path: string): SimFaultKind | null {
    const scheduled = this.schedule.next(this.currentFaults, op, path, normalizePath);
    const p = op === "read" ? this.currentFaults.readEioProbability : this.currentFaults.datasyncEioProbability;
    const drawn = this.faultPrng.chance(p ?? 0);
    return scheduled ?? (drawn ? "EIO" : null);
  }

  protected handleOf(handle: SimHandle): OpenHandle {
    const open = this.handles.get(handle);
    assert(open !== undefined, `sim handle ${handle} is not open (closed, or opened before a crash)`);
    return open;
  }

  protected inode(id: number): SimInode {
    const inode = this.inodes.get(id);
    assert(inode !== undefined, `inode ${id} has a name but no contents`);
    return inode;
  }

  protected event(name: string, values: ReadonlyArray<number | string>): void {
    this.trace.add(this.clock.nowMs(), name, values);
  }

  protected fail(what: string, errno: string): IoError {
    this.event("error", [what, errno]);
    return simIoError(what, errno);
  }

  /** Overridden by SimDisk: asserts no op submitted through `handle` is in flight. */
  protected checkIdle(_handle: SimHandle): void {}

  /** Overridden by SimDisk: asserts no in-flight write to `inode` overlaps the range. */
  protected checkNotBeingWritten(_inode: SimInode, _offset: number, _length: number): void {}

  /** The bytes of [offset, offset + length) that fit the capacity: overwrites always fit; growth must. */
  private bytesThatFit(inode: SimInode, offset: number, length: number): number {
    const capacity = this.currentFaults.capacityBytes;
    if (capacity === undefined) return length;
    const room = Math.max(0, capacity - this.usedBytes());
    return Math.max(0, Math.min(length, inode.live.size + room - offset));
  }

  /** The sum of the sizes of files that have a name or an open handle. */
  private usedBytes(): number {
    const inUse = this.namespace.liveInodes();
    let used = 0;
    for (const inode of this.inodes.values()) {
      if (inUse.has(inode.id) || inode.handles > 0) used += inode.live.size;
    }
    return used;
  }

  private checkParentDirectory(what: string, path: string): void {
    const parent = this.namespace.lookup(parentOf(path));
    if (parent === undefined) throw this.fail(what, "ENOENT");
    if (parent.kind !== "dir") throw this.fail(what, "ENOTDIR");
  }

  private checkDirectory(what: string, path: string): void {
    const entry = this.namespace.lookup(path);
    if (entry === undefined) throw this.fail(what, "ENOENT");
    if (entry.kind !== "dir") throw this.fail(what, "ENOTDIR");
  }
}

function checkOffset(offset: number): void {
  assert(Number.isSafeInteger(offset) && offset >= 0, `a file offset is a non-negative safe integer; got ${offset}`);
}

function checkLatency(latency: SimLatency): SimLatency {
  const { writeMsMin, writeMsMax, datasyncMsMin, datasyncMsMax } = latency;
  for (const [min, max] of [[writeMsMin, writeMsMax], [datasyncMsMin, datasyncMsMax]] as const) {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) {
      throw new InvalidArgumentError(`a latency range is whole milliseconds, 0 <= min <= max; got [${min}, ${max}]`);
    }
  }
  return latency;
}
