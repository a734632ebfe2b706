// The sync backend: each submission runs inline (pwritev, fdatasync) and its completion is staged
// for the next poll. It blocks the calling thread for the length of the call, which is exactly
// what the I/O worker thread wants: it has nothing else to do while the disk works.
import * as fs from "node:fs";
import { type CompletionTable } from "../core/index.js";
import { RealFiles } from "./real-files.js";
import { CompletionQueue } from "./completion-queue.js";
import { type IoCompletion, type IoFile, type StorageIo } from "./storage-io.js";

export class SyncIo extends RealFiles implements StorageIo {
  readonly kind = "sync" as const;
  private readonly staged: CompletionQueue;

  constructor(completions: CompletionTable, filesMax: number) {
    super(completions, filesMax);
    this.staged = new CompletionQueue(completions.opsMax);
  }

  submitWrite(file: IoFile, buffers: readonly Uint8Array[], position: number): bigint | null {
    const length = buffers.reduce((sum, b) => sum + b.byteLength, 0);
    const token = this.completions.registerWrite(file, BigInt(position), BigInt(position + length));
    if (token === null) return null;
    try {
      this.staged.succeeded(token, fs.writevSync(this.fd(file), buffers as Uint8Array[], position));
    } catch (error) {
      this.staged.failed(token, error);
    }
    return token;
  }

  submitDatasync(file: IoFile): bigint | null {
    const token = this.completions.registerDatasync(file);
    if (token === null) return null;
    try {
      fs.fdatasyncSync(this.fd(file));
      this.staged.succeeded(token, 0);
    } catch (error) {
      this.staged.failed(token, error);
    }
    return token;
  }

  flush(): number {
    return 0;
  }

  pollCompletions(out: IoCompletion[]): number {
    return this.staged.drainInto(out);
  }

  pendingCount(): number {
    return this.staged.size;
  }

  awaitCompletion(): Promise<void> {
    return Promise.resolve();
  }

  dispose(): void {
    this.disposeFiles();
  }
}
