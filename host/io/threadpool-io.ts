// The threadpool backend: Node's asynchronous fs (libuv's thread pool). Submissions start at once;
// completions arrive on the event loop and wait in a queue for the next poll.
//
// Order: libuv runs pool requests concurrently, so nothing orders a datasync after a write by
// itself. The log never relies on it: it submits a datasync only after the writes it must cover
// have been polled as complete (the completion table records the boundary at submission).
import * as fs from "node:fs";
import { type CompletionTable } from "../core/index.js";
import { RealFiles } from "./real-files.js";
import { CompletionQueue } from "./completion-queue.js";
import { type IoCompletion, type IoFile, type StorageIo } from "./storage-io.js";

export class ThreadpoolIo extends RealFiles implements StorageIo {
  readonly kind = "threadpool" as const;
  private readonly ready: CompletionQueue;
  private inFlight = 0;
  private wake: (() => void) | null = null;

  constructor(completions: CompletionTable, filesMax: number) {
    super(completions, filesMax);
    this.ready = new CompletionQueue(completions.opsMax);
  }

  submitWrite(file: IoFile, buffers: readonly Uint8Array[], position: number): bigint | null {
    const length = buffers.reduce((sum, b) => sum + b.byteLength, 0);
    const token = this.completions.registerWrite(file, BigInt(position), BigInt(position + length));
    if (token === null) return null;
    this.inFlight++;
    fs.writev(this.fd(file), buffers as Uint8Array[], position, (error, written) => {
      this.finish(token, error, written);
    });
    return token;
  }

  submitDatasync(file: IoFile): bigint | null {
    const token = this.completions.registerDatasync(file);
    if (token === null) return null;
    this.inFlight++;
    fs.fdatasync(this.fd(file), (error) => this.finish(token, error, 0));
    return token;
  }

  flush(): number {
    return 0;
  }

  pollCompletions(out: IoCompletion[]): number {
    return this.ready.drainInto(out);
  }

  pendingCount(): number {
    return this.inFlight + this.ready.size;
  }

  awaitCompletion(): Promise<void> {
    if (this.ready.size > 0 || this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  dispose(): void {
    this.disposeFiles();
  }

  private finish(token: bigint, error: NodeJS.ErrnoException | null, written: number): void {
    this.inFlight--;
    if (error) this.ready.failed(token, error);
    else this.ready.succeeded(token, written);
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
