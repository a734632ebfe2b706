// Appends that found the commit ring full wait here, in order, until the I/O loop has written
// enough to free ring space (backpressure: the ring never grows and never drops). The backlog is
// bounded like every queue (STYLE habit 4): past BACKLOG_ENTRIES_MAX waiting appends, or
// BACKLOG_BYTES_MAX waiting bytes, an append is refused with CapacityError and nothing of it is
// logged; the caller decides (wait for earlier appends, then retry).
import { assert } from "../assert.js";
import { CapacityError } from "../errors.js";
import { type EntryPayload } from "./log-entry.js";

export const BACKLOG_ENTRIES_MAX = 1 << 20;
export const BACKLOG_BYTES_MAX = 1 << 30;

export interface BackloggedAppend {
  readonly payload: EntryPayload;
  readonly resolve: (lsn: bigint) => void;
  readonly reject: (error: Error) => void;
}

export class AppendBacklog {
  private readonly items: BackloggedAppend[] = [];
  private head = 0;
  private bytes = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** The CapacityError that would refuse queueing `payload` now, or null if it fits. */
  refusalOf(payload: EntryPayload): CapacityError | null {
    if (this.size < BACKLOG_ENTRIES_MAX && this.bytes + payload.size <= BACKLOG_BYTES_MAX) return null;
    return new CapacityError(`${this.size} appends (${this.bytes} bytes) already wait for ring space; the backlog holds at most ${BACKLOG_ENTRIES_MAX} appends and ${BACKLOG_BYTES_MAX} bytes`);
  }

  /** Queues an append the caller checked with refusalOf(). */
  push(item: BackloggedAppend): void {
    assert(this.refusalOf(item.payload) === null, "an append is queued only if the backlog has room");
    this.items.push(item);
    this.bytes += item.payload.size;
  }

  peek(): BackloggedAppend | undefined {
    return this.items[this.head];
  }

  shift(): void {
    const item = this.items[this.head];
    if (item === undefined) return;
    this.bytes -= item.payload.size;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Rejects every waiting append with `error` and empties the backlog. */
  rejectAll(error: Error): void {
    const waiting = this.items.slice(this.head);
    this.items.length = 0;
    this.head = 0;
    this.bytes = 0;
    for (const item of waiting) item.reject(error);
  }
}
