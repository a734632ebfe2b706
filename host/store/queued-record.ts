// One put or delete on its way through the store, as one object: the frame payload the writer
// places in the ring (EntryPayload), the revision whose acknowledgement the call waits for, and
// the version its space's live tail then holds (OrderedVersion). A write makes this object and a
// promise, nothing else per record (the hot path; store-record.ts is the format's reference).
import { type EntryPayload } from "../wal/log-entry.js";
import { PUT_FIXED_SIZE, DELETE_SIZE, R_BATCH_END, R_KEY, R_REVISION, R_SPACE_ID, R_TYPE, R_VALUE, StoreRecordType } from "./store-record.js";
import { type OrderedVersion } from "./version-record.js";
import { type WriterStream } from "./write-queue.js";

/** How a call learns its outcome: settled by the store once the last record of the call is acknowledged. */
export interface Settle {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly value: unknown;
}

/** A space as a queued record knows it: the tail it joins (null for a copy that joins none). */
export interface TailOwner {
  readonly tail: { publish(batch: readonly OrderedVersion[]): void };
}


let cachedBuffer: ArrayBufferLike | null = null;
let cachedView: DataView = new DataView(new ArrayBuffer(8));

/** A DataView over `target`'s whole buffer, made once per buffer (the ring's never changes). */
function viewOf(target: Uint8Array): DataView {
  if (target.buffer !== cachedBuffer) {
    cachedBuffer = target.buffer;
    cachedView = new DataView(target.buffer);
  }
  return cachedView;
}

export class QueuedRecord implements EntryPayload, OrderedVersion {
  readonly size: number;
  /** The ring offset the call's flush drained at (0 until then). */
  end = 0;
  settle: Settle | null = null;

  constructor(
    readonly key: bigint,
    readonly ord: number,
    readonly revision: bigint,
    readonly batchEnd: bigint,
    readonly spaceId: number,
    /** The value, or null for a delete (a tombstone). */
    readonly value: Uint8Array | null,
    readonly stream: WriterStream,
    /** The space whose tail it joins once acknowledged; null for a promoted copy. */
    readonly space: TailOwner | null,
  ) {
    this.size = value === null ? DELETE_SIZE : PUT_FIXED_SIZE + value.byteLength;
  }

  /** A copy for another stream (a promotion): same revision, batch end, key and value; no tail. */
  copyTo(stream: WriterStream): QueuedRecord {
    return new QueuedRecord(this.key, this.ord, this.revision, this.batchEnd, this.spaceId, this.value, stream, null);
  }

  /** Writes the payload (FORMAT.md "Store records": put 16 or delete 17) at target[at]. */
  writeTo(target: Uint8Array, at: number): void {
    const view = viewOf(target);
    const base = target.byteOffset + at;
    view.setUint8(base + R_TYPE, this.value === null ? StoreRecordType.Delete : StoreRecordType.Put);
    view.setBigUint64(base + R_REVISION, this.revision, true);
    view.setBigUint64(base + R_BATCH_END, this.batchEnd, true);
    view.setUint32(base + R_SPACE_ID, this.spaceId, true);
    view.setBigUint64(base + R_KEY, this.key, true);
    if (this.value !== null) target.set(this.value, at + R_VALUE);
  }
}
