// The writers' side of the store's ring: records and control ops queue here in call order (which
// is revision order), and flush() places them into the ring as pieces (piece-writer.ts), grouped
// per stream between control ops, then publishes.
//
// Acknowledgement points. Everything queued before a flush that drains the queue gets the ring
// offset that flush ended at: a write is acknowledged when the loop's watermark passes it. When
// the ring has no room, a flush places what fits and the rest waits for the next one; nobody gets
// an offset until the queue has drained. So a revision is never acknowledged before a lower one,
// whatever stream each went to (the prefix rule needs this: docs/FORMAT.md "Recovered history").
//
// Sync marks. Each stream remembers the file offset its last durable piece ended at; when that
// has moved since the stream's last mark, its next piece starts with a sync mark saying so
// (recovery then tells damage below it from a torn tail: store-file-scan.ts).
import { assert } from "../assert.js";
import { FRAME_HEADER_SIZE } from "../core/index.js";
import { Fifo } from "../wal/fifo.js";
import { type EntryPayload } from "../wal/log-entry.js";
import { SYNC_MARK_PAYLOAD_SIZE, encodeSyncMark } from "../wal/sync-mark.js";
import { type ControlOp, encodeControlOp } from "./control-op.js";
import { FRAMES_PER_PIECE_MAX, type PieceWriter } from "./piece-writer.js";
import { type StoreRecord, storeRecordPayload } from "./store-record.js";

/** One file the loop appends to, as the writers' thread tracks it. */
export interface WriterStream {
  readonly id: number;
  readonly name: string;
  readonly seed: number;
  /** File offset past the last frame placed in the ring for it. */
  fileEnd: number;
  /** File offset through which it is durable. */
  durableEnd: number;
  /** The `durableEnd` its last sync mark stated. */
  markedEnd: number;
}

/** A frame to place: its payload and the stream it goes to (a QueuedRecord is one). */
export interface Framed extends EntryPayload {
  readonly stream: WriterStream;
}

class ControlItem {
  constructor(readonly body: Uint8Array) {}
}

type QueueItem = Framed | ControlItem;

/** What a drained flush tells the store: every item queued before it is in the ring below `end`. */
export interface DrainPoint {
  readonly end: number;
}

export class WriteQueue {
  private items: QueueItem[] = [];
  private controlSequence = 0;
  /** [ring end, stream, file end] of placed pieces, oldest first, until the watermark passes them. */
  private readonly placed = new Fifo<{ readonly end: number; readonly stream: WriterStream; readonly fileEnd: number }>();

  constructor(private readonly writer: PieceWriter) {}

  get length(): number {
    return this.items.length;
  }

  /** The ring offset everything placed so far ends at. */
  get position(): number {
    return this.writer.position;
  }

  /** Queues a record given as a StoreRecord (definitions, recovery's promotions: not the hot path). */
  record(stream: WriterStream, record: StoreRecord): void {
    const payload = storeRecordPayload(record);
    this.items.push({ stream, size: payload.size, writeTo: (target, at) => payload.writeTo(target, at) });
  }

  /** Queues a frame as it is (the hot path: a QueuedRecord). */
  push(framed: Framed): void {
    this.items.push(framed);
  }

  control(op: ControlOp): void {
    this.items.push(new ControlItem(encodeControlOp(op)));
  }

  /** The loop's durable watermark moved to `durable`: streams learn how far their files are durable. */
  durableMoved(durable: number): void {
    for (let entry = this.placed.peek(); entry !== undefined && entry.end <= durable; entry = this.placed.peek()) {
      this.placed.shift();
      if (entry.fileEnd > entry.stream.durableEnd) entry.stream.durableEnd = entry.fileEnd;
    }
  }

  /**
   * Places queued items into the ring in order, and publishes. Returns the drain point when the
   * queue is empty afterwards, null when the ring ran out of room first (call again once the loop
   * has written more).
   */
  flush(): DrainPoint | null {
    let at = 0;
    while (at < this.items.length) {
      const item = this.items[at];
      assert(item !== undefined);
      if (item instanceof ControlItem) {
        if (!this.writer.tryPlaceControl(++this.controlSequence, item.body)) {
          this.controlSequence--;
          break;
        }
        at++;
        continue;
      }
      let to = at;
      while (to < this.items.length && !(this.items[to] instanceof ControlItem)) to++;
      const placedTo = this.placeRecords(at, to);
      at = placedTo;
      if (placedTo < to) break;
    }
    this.items = at === this.items.length ? [] : this.items.slice(at);
    this.writer.publish();
    return this.items.length === 0 ? { end: this.writer.position } : null;
  }

  /**
   * Places the records items[from, to) as pieces, one stream at a time in first-touch order.
   * Returns how far the queue is done: `to`, or less when the ring filled (the items not placed
   * are moved to the front of the range, in their order).
   */
  private placeRecords(from: number, to: number): number {
    const byStream = new Map<WriterStream, Framed[]>();
    for (let i = from; i < to; i++) {
      const item = this.items[i] as Framed;
      let list = byStream.get(item.stream);
      if (list === undefined) byStream.set(item.stream, (list = []));
      list.push(item);
    }
    const left: QueueItem[] = [];
    for (const [stream, payloads] of byStream) {
      let i = 0;
      while (i < payloads.length) {
        const piece = this.pieceOf(stream, payloads, i);
        if (!this.writer.tryPlaceFrames(stream.id, stream.seed, piece.payloads)) break;
        if (piece.mark !== null) stream.markedEnd = piece.mark;
        stream.fileEnd += piece.bytes;
        this.placed.push({ end: this.writer.position, stream, fileEnd: stream.fileEnd });
        i = piece.next;
      }
      for (; i < payloads.length; i++) left.push(payloads[i] as Framed);
    }
    if (left.length === 0) return to;
    // Unplaced records keep their order; placed ones leave the queue. Not splice(from, n, ...left):
    // spreading as arguments overflows the stack past ~100 k records (a seal's promotion queues
    // every staged record at once), which the bench hit as a RangeError.
    this.items = this.items.slice(0, from).concat(left, this.items.slice(to));
    return from;
  }

  /** The next piece for `stream` from payloads[start]: a leading sync mark if due, then as many frames as fit. */
  private pieceOf(stream: WriterStream, payloads: readonly EntryPayload[], start: number): { payloads: EntryPayload[]; next: number; mark: number | null; bytes: number } {
    const out: EntryPayload[] = [];
    let bytes = 0;
    let mark: number | null = null;
    if (stream.durableEnd > stream.markedEnd) {
      mark = stream.durableEnd;
      out.push(syncMarkPayload(BigInt(mark)));
      bytes += FRAME_HEADER_SIZE + SYNC_MARK_PAYLOAD_SIZE;
    }
    let next = start;
    const max = this.writer.pieceBodyMax;
    while (next < payloads.length && out.length < FRAMES_PER_PIECE_MAX) {
      const payload = payloads[next] as EntryPayload;
      const size = FRAME_HEADER_SIZE + payload.size;
      if (bytes + size > max && out.length > 0) break;
      out.push(payload);
      bytes += size;
      next++;
    }
    return { payloads: out, next, mark, bytes };
  }
}

function syncMarkPayload(durable: bigint): EntryPayload {
  const bytes = encodeSyncMark(durable);
  return { size: bytes.byteLength, writeTo: (target, at) => target.set(bytes, at) };
}
