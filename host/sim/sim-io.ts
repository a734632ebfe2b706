// SimIo: StorageIo over a SimDisk, method for method (STYLE habit 8), so the log and the store run
// on the simulated disk unchanged. It behaves as host/io/sync-io.ts and threadpool-io.ts do wherever
// a caller can tell: the same file slots in the same CompletionTable, the same tokens, the same
// completion results and errno names, IoError/DiskFullError from the cold path.
//
// The cold path answers synchronously from the disk. The hot path registers each op with the
// completion table (exactly as SyncIo does), then submits it to the disk; the disk completes it
// after a virtual latency. pollCompletions() first completes what is due by the clock;
// awaitCompletion() steps the disk (advancing virtual time) until one of this backend's ops is
// done, and returns a resolved promise: no real time passes.
//
// A crash kills the process this SimIo stood for: every later call fails an assert except
// dispose(), which releases the completion table. Make a new SimIo over the same disk to "restart".
//
// The simulated process takes LOCKs as itself (lockOwner): its identity is `sim=<crash count>`,
// the disk's epoch when it started, so its LOCK records do not depend on the real pid (one seed,
// one trace hash on every runtime) and a LOCK from before a crash reads as gone.
import { CompletionQueue } from "../io/completion-queue.js";
import { assert } from "../assert.js";
import { type Core, type CompletionTable } from "../core/index.js";
import { CapacityError } from "../errors.js";
import { IO_LIMITS_DEFAULT, type IoLimits } from "../io/create-io.js";
import { type LockOwner, type LockOwnerStatus, identityFields } from "../io/lock-owner.js";
import { type IoCompletion, type IoFile, type OpenFileOptions, type StorageIo } from "../io/storage-io.js";
import { type SimDisk } from "./sim-disk.js";
import { type SimHandle } from "./sim-file-system.js";

export class SimIo implements StorageIo {
  readonly kind = "sim" as const;
  private readonly handles: Array<SimHandle | undefined> = [];
  private readonly ready: CompletionQueue;
  private inFlight = 0;
  private readonly epoch: number;
  readonly lockOwner: LockOwner;

  constructor(readonly disk: SimDisk, readonly completions: CompletionTable, private readonly filesMax = completions.filesMax) {
    this.ready = new CompletionQueue(completions.opsMax);
    assert(filesMax >= 1 && filesMax <= completions.filesMax, "SimIo's files fit the completion table's file slots");
    this.epoch = disk.epoch;
    this.lockOwner = {
      identity: `sim=${this.epoch}`,
      limits: "",
      advisoryLock: null,
      // One simulated process runs at a time: a LOCK of this epoch is its own, any other died at a crash.
      statusOf: (identity: string): LockOwnerStatus => {
        const epoch = Number(identityFields(identity)?.get("sim") ?? "");
        return Number.isSafeInteger(epoch) && epoch === this.disk.epoch ? "self" : "gone";
      },
      overwrite: (path: string, record: Uint8Array) => this.overwriteSmallFile(path, record),
    };
  }

  openFile(path: string, options: OpenFileOptions): IoFile {
    this.checkAlive();
    const slot = this.freeSlot();
    const handle = this.disk.open(path, { create: options.create, exclusive: options.exclusive === true });
    const size = this.disk.size(handle);
    this.handles[slot] = handle;
    this.completions.openFile(slot, BigInt(options.position ?? size));
    return slot as IoFile;
  }

  closeFile(file: IoFile): void {
    const handle = this.handle(file);
    const token = this.completions.registerClose(file);
    assert(token !== null, "the completion table has no slot for a close");
    this.disk.close(handle);
    this.completions.complete(token, 0);
    this.handles[file] = undefined;
  }

  fileSize(file: IoFile): number {
    return this.disk.size(this.handle(file));
  }

  readAt(file: IoFile, buffer: Uint8Array, position: number): number {
    return this.disk.readAt(this.handle(file), buffer, position);
  }

  truncate(file: IoFile, size: number): void {
    const handle = this.handle(file);
    this.disk.truncate(handle, size);
    this.disk.sync(handle);
  }

  syncFile(file: IoFile): void {
    this.disk.sync(this.handle(file));
  }

  listDirectory(dir: string): string[] {
    this.checkAlive();
    return this.disk.list(dir);
  }

  makeDirectory(dir: string): void {
    this.checkAlive();
    this.disk.mkdir(dir);
  }

  removeFile(path: string): void {
    this.checkAlive();
    this.disk.unlink(path);
  }

  renameFile(from: string, to: string): void {
    this.checkAlive();
    this.disk.rename(from, to);
  }

  syncDirectory(dir: string): void {
    this.checkAlive();
    this.disk.syncDirectory(dir);
  }

  exists(path: string): boolean {
    this.checkAlive();
    return this.disk.exists(path);
  }

  readSmallFile(path: string): Uint8Array | undefined {
    this.checkAlive();
    if (!this.disk.exists(path)) return undefined;
    const handle = this.disk.open(path, { create: false });
    try {
      const bytes = new Uint8Array(this.disk.size(handle));
      const count = this.disk.readAt(handle, bytes, 0);
      assert(count === bytes.byteLength, "a whole-file read returns the file's size");
      return bytes;
    } finally {
      this.disk.close(handle);
    }
  }

  /**
   * As RealFiles.createSmallFile: create-exclusive, write all of it (a short write continues with
   * the rest), fsync, close. A failure removes the partial file and throws, so the file exists
   * only whole.
   */
  createSmallFile(path: string, bytes: Uint8Array): boolean {
    this.checkAlive();
    if (this.disk.exists(path)) return false;
    const handle = this.disk.open(path, { create: true, exclusive: true });
    try {
      for (let done = 0; done < bytes.byteLength;) done += this.disk.writeNow(handle, bytes.subarray(done), done);
      this.disk.sync(handle);
    } catch (error) {
      this.disk.close(handle);
      this.disk.unlink(path);
      throw error;
    }
    this.disk.close(handle);
    return true;
  }

  /**
   * The LOCK's in-place write (host/io/lock-owner.ts): the existing file at `path` comes to hold
   * exactly `bytes`, written over its first bytes (a short write continues), cut after them, synced.
   */
  overwriteAt(path: string, bytes: Uint8Array, position: number): void {
    this.checkAlive();
    const handle = this.disk.open(path, { create: false });
    try {
      for (let done = 0; done < bytes.byteLength;) done += this.disk.writeNow(handle, bytes.subarray(done), position + done);
      this.disk.sync(handle);
    } finally {
      this.disk.close(handle);
    }
  }

  overwriteSmallFile(path: string, bytes: Uint8Array): void {
    this.checkAlive();
    const handle = this.disk.open(path, { create: false });
    try {
      for (let done = 0; done < bytes.byteLength;) done += this.disk.writeNow(handle, bytes.subarray(done), done);
      if (this.disk.size(handle) > bytes.byteLength) this.disk.truncate(handle, bytes.byteLength);
      this.disk.sync(handle);
    } finally {
      this.disk.close(handle);
    }
  }

  submitWrite(file: IoFile, buffers: readonly Uint8Array[], position: number): bigint | null {
    const handle = this.handle(file);
    const length = buffers.reduce((sum, b) => sum + b.byteLength, 0);
    const token = this.completions.registerWrite(file, BigInt(position), BigInt(position + length));
    if (token === null) return null;
    this.inFlight++;
    this.disk.submitWrite(handle, buffers, position, (result, errno) => this.finish(token, result, errno));
    return token;
  }

  submitDatasync(file: IoFile): bigint | null {
    const handle = this.handle(file);
    const token = this.completions.registerDatasync(file);
    if (token === null) return null;
    this.inFlight++;
    this.disk.submitDatasync(handle, (result, errno) => this.finish(token, result, errno));
    return token;
  }

  flush(): number {
    this.checkAlive();
    return 0;
  }

  pollCompletions(out: IoCompletion[]): number {
    this.checkAlive();
    this.disk.completeDue();
    return this.ready.drainInto(out);
  }

  pendingCount(): number {
    this.checkAlive();
    return this.inFlight + this.ready.size;
  }

  awaitCompletion(): Promise<void> {
    this.checkAlive();
    if (this.ready.size === 0) this.disk.completeDue();
    // Each step completes one op of the disk (perhaps another SimIo's), so the disk's in-flight
    // count bounds the steps until one of ours is done.
    for (let budget = this.disk.inFlightCount(); this.ready.size === 0 && this.inFlight > 0 && budget > 0; budget--) {
      this.disk.step();
    }
    assert(this.ready.size > 0 || this.inFlight === 0, "every op of this SimIo is in the disk's queue");
    return Promise.resolve();
  }

  /** Releases the completion table. Every file must be closed, unless the disk crashed since (the process died). */
  dispose(): void {
    if (this.disk.epoch === this.epoch) {
      for (const handle of this.handles) assert(handle === undefined, "dispose() with files still open");
    }
    this.completions.release();
  }

  private finish(token: bigint, result: number, errno: string): void {
    this.inFlight--;
    if (errno === "") this.ready.succeeded(token, result);
    else this.ready.failedWith(token, errno);
  }

  private handle(file: IoFile): SimHandle {
    this.checkAlive();
    const handle = this.handles[file];
    assert(handle !== undefined, `file slot ${file} is not open`);
    return handle;
  }

  private freeSlot(): number {
    for (let slot = 0; slot < this.filesMax; slot++) {
      if (this.handles[slot] === undefined && this.completions.fileState(slot) !== "open") return slot;
    }
    throw new CapacityError(`all ${this.filesMax} file slots are in use`);
  }

  private checkAlive(): void {
    assert(this.disk.epoch === this.epoch, "the simulated process died at a crash: make a new SimIo over the disk");
  }
}

/** A SimIo over `disk` with a fresh completion table, as createRealIo makes the real backends. */
export function createSimIo(core: Core, disk: SimDisk, limits: IoLimits = IO_LIMITS_DEFAULT): SimIo {
  return new SimIo(disk, core.createCompletionTable(limits), limits.filesMax);
}
