// The sync backend: each submission runs inline (pwritev, fdatasync) and its completion is staged
// for the next poll. It blocks the calling thread for the length of the call, which is exactly
// what the I/O worker thread wants: it has nothing else to do while the disk works.
import * as fs from "node:fs";
import { type CompletionTable } from "../core/index.js";
import { RealFiles } from "./real-files.js";
import { type IoCompletion, type IoFile, type StorageIo, errnoNumber, errnoOf } from "./storage-io.js";

export class SyncIo extends RealFiles implements StorageIo {
  readonly kind = "sync" as const;
  private staged: IoCompletion[] = [];

  constructor(completions: CompletionTable, filesMax: number) {
    super(completions, filesMax);
  }

  submitWrite(file: IoFile, buffers: readonly Uint8Array[], position: number): bigint | null {
    const length = buffers.reduce((sum, b) => sum + b.byteLength, 0);
    const token = this.completions.registerWrite(file, BigInt(position), BigInt(position + length));
    if (token === null) return null;
    try {
      const written = fs.writevSync(this.fd(file), buffers as Uint8Array[], position);
      this.staged.push({ token, result: written, errno: "" });
    } catch (error) {
      const errno = errnoOf(error);
      this.staged.push({ token, result: errnoNumber(errno), errno });
    }
    return token;
  }

  submitDatasync(file: IoFile): bigint | null {
    const token = this.completions.registerDatasync(file);
    if (token === null) return null;
    try {
      fs.fdatasyncSync(this.fd(file));
      this.staged.push({ token, result: 0, errno: "" });
    } catch (error) {
      const errno = errnoOf(error);
      this.staged.push({ token, result: errnoNumber(errno), errno });
    }
    return token;
  }

  flush(): number {
    return 0;
  }

  pollCompletions(out: IoCompletion[]): number {
    const count = this.staged.length;
    for (const completion of this.staged) out.push(completion);
    this.staged = [];
    return count;
  }

  pendingCount(): number {
    return this.staged.length;
  }

  awaitCompletion(): Promise<void> {
    return Promise.resolve();
  }

  dispose(): void {
    this.disposeFiles();
  }
}
