// Finished ops waiting for the next pollCompletions(), shared by every backend (sync, threadpool,
// sim): a completion is a success with its byte count, or a failure with its errno, in the order
// the ops finished. Bounded by the completion table: a backend never holds more completions than
// ops it registered, so `sizeMax` is the table's op count and a push past it is a bug.
import { assert } from "../assert.js";
import { type IoCompletion, errnoNumber, errnoOf } from "./storage-io.js";

export class CompletionQueue {
  private items: IoCompletion[] = [];

  constructor(private readonly sizeMax: number) {
    assert(Number.isSafeInteger(sizeMax) && sizeMax > 0, "a completion queue holds at least one completion");
  }

  get size(): number {
    return this.items.length;
  }

  /** An op that finished: `result` is bytes written (0 for a datasync). */
  succeeded(token: bigint, result: number): void {
    this.push({ token, result, errno: "" });
  }

  /** An op that failed with what the OS threw (its errno name, or EIO when it carries none). */
  failed(token: bigint, error: unknown): void {
    this.failedWith(token, errnoOf(error));
  }

  /** An op that failed with a known errno name. */
  failedWith(token: bigint, errno: string): void {
    this.push({ token, result: errnoNumber(errno), errno });
  }

  /** Moves every queued completion into `out` (appended); returns how many. */
  drainInto(out: IoCompletion[]): number {
    const count = this.items.length;
    for (const completion of this.items) out.push(completion);
    this.items = [];
    return count;
  }

  private push(completion: IoCompletion): void {
    assert(this.items.length < this.sizeMax, "a backend holds no more completions than the ops it registered");
    this.items.push(completion);
  }
}
