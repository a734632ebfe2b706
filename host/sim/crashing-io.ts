// A StorageIo that dies at a chosen step: it counts every call, and at step `crashAt` it crashes
// the disk with the chosen model and from then on throws SimulatedCrash from every call, as if
// the process had been killed mid-call. Used by simulateLog to crash at a random I/O step,
// including in the middle of recovery.
import { type LockOwner } from "../io/lock-owner.js";
import { type CompletionTable } from "../core/index.js";
import { type IoCompletion, type IoFile, type OpenFileOptions, type StorageIo } from "../io/storage-io.js";
import { type CrashModel } from "./sim-crash.js";
import { type SimIo } from "./sim-io.js";

export class SimulatedCrash extends Error {
  override readonly name = "SimulatedCrash";
}

export class CrashingIo implements StorageIo {
  readonly kind = "sim" as const;
  private steps = 0;
  private crashed = false;
  private disposed = false;

  constructor(private readonly inner: SimIo, private readonly crashAt: number, private readonly model: CrashModel) {}

  get completions(): CompletionTable {
    return this.inner.completions;
  }

  /** The simulated process's lock owner: a crash kills it, so its LOCKs read as a dead holder's. */
  get lockOwner(): LockOwner {
    return this.inner.lockOwner;
  }

  get hasCrashed(): boolean {
    return this.crashed;
  }

  /** Crashes the disk now (the process is killed between two I/O calls). */
  crashNow(): void {
    if (this.crashed) return;
    this.crashed = true;
    this.inner.disk.crash(this.model);
  }

  /** Counts a call; crashes the disk when the count reaches crashAt. */
  private step(): void {
    if (this.crashed) throw new SimulatedCrash("the process has crashed");
    this.steps++;
    if (this.steps >= this.crashAt) {
      this.crashed = true;
      this.inner.disk.crash(this.model);
      throw new SimulatedCrash(`crashed at I/O step ${this.steps} (${this.model})`);
    }
  }

  openFile(path: string, options: OpenFileOptions): IoFile { this.step(); return this.inner.openFile(path, options); }
  closeFile(file: IoFile): void { this.step(); this.inner.closeFile(file); }
  fileSize(file: IoFile): number { this.step(); return this.inner.fileSize(file); }
  readAt(file: IoFile, buffer: Uint8Array, position: number): number { this.step(); return this.inner.readAt(file, buffer, position); }
  truncate(file: IoFile, size: number): void { this.step(); this.inner.truncate(file, size); }
  syncFile(file: IoFile): void { this.step(); this.inner.syncFile(file); }
  listDirectory(dir: string): string[] { this.step(); return this.inner.listDirectory(dir); }
  makeDirectory(dir: string): void { this.step(); this.inner.makeDirectory(dir); }
  removeFile(path: string): void { this.step(); this.inner.removeFile(path); }
  renameFile(from: string, to: string): void { this.step(); this.inner.renameFile(from, to); }
  syncDirectory(dir: string): void { this.step(); this.inner.syncDirectory(dir); }
  exists(path: string): boolean { this.step(); return this.inner.exists(path); }
  readSmallFile(path: string): Uint8Array | undefined { this.step(); return this.inner.readSmallFile(path); }
  createSmallFile(path: string, bytes: Uint8Array): boolean { this.step(); return this.inner.createSmallFile(path, bytes); }
  overwriteAt(path: string, bytes: Uint8Array, position: number): void { this.step(); this.inner.overwriteAt(path, bytes, position); }
  submitWrite(file: IoFile, buffers: readonly Uint8Array[], position: number): bigint | null {
    this.step();
    return this.inner.submitWrite(file, buffers, position);
  }
  submitDatasync(file: IoFile): bigint | null { this.step(); return this.inner.submitDatasync(file); }
  flush(): number { this.step(); return this.inner.flush(); }
  pollCompletions(out: IoCompletion[]): number { this.step(); return this.inner.pollCompletions(out); }
  pendingCount(): number { return this.inner.pendingCount(); }
  awaitCompletion(): Promise<void> { this.step(); return this.inner.awaitCompletion(); }
  /** Releases the completion table, once; allowed after the crash (the process's memory is gone). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.inner.dispose();
  }
}
