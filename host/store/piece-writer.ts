// Framing on the writers' thread: store records become frames inside ring pieces
// (ring-pieces.ts), placed at the ring's head and published for the store's I/O loop. Nothing here
// waits or does I/O; a ring without room is `false`, and the caller retries once the loop has
// written more (backpressure).
//
// A piece's frames are encoded by the core in one call (CRC of each frame with its stream's seed),
// after their payloads were written in place: no copy between the record and the ring.
import { assert } from "../assert.js";
import { type Core, type Ptr, type Region, FRAME_HEADER_SIZE, asPtr } from "../core/index.js";
import { type CommitRing } from "../wal/commit-ring.js";
import { type EntryPayload } from "../wal/log-entry.js";
import { PIECE_HEADER_SIZE, PieceKind, pieceSpan, writePieceHeader } from "./ring-pieces.js";

/** Frames one core call encodes at most: the lengths region holds one u32 per frame. */
export const FRAMES_PER_PIECE_MAX = 16384;
export const LENGTHS_REGION_SIZE = FRAMES_PER_PIECE_MAX * 4;

export class PieceWriter {
  /** The ring offset past the last placed piece (the next piece's start), as a number. */
  position: number;
  private writtenSeen: number;
  private readonly ringSize: number;
  private readonly ringBytes: Uint8Array;
  private readonly ringView: DataView;
  private readonly lengths: Uint32Array;
  private readonly lengthsPtr: Ptr;

  constructor(private readonly core: Core, private readonly ring: CommitRing, lengths: Region) {
    assert(lengths.sizeBytes >= LENGTHS_REGION_SIZE, "the lengths region holds a piece's frame lengths");
    this.position = Number(ring.published);
    this.writtenSeen = Number(ring.written);
    this.ringSize = ring.address.ringSizeBytes;
    this.ringBytes = new Uint8Array(core.memory.buffer, ring.dataPtr, this.ringSize);
    this.ringView = new DataView(core.memory.buffer, ring.dataPtr, this.ringSize);
    this.lengths = new Uint32Array(core.memory.buffer, lengths.ptr, FRAMES_PER_PIECE_MAX);
    this.lengthsPtr = lengths.ptr;
  }

  /** The largest piece body: half the ring, so a piece always fits an empty ring, pad included. */
  get pieceBodyMax(): number {
    return this.ringSize / 2 - PIECE_HEADER_SIZE;
  }

  /**
   * Places one data piece holding `payloads` as frames sealed with `seed`, for `stream`. The
   * caller keeps the body at most pieceBodyMax and the count at most FRAMES_PER_PIECE_MAX.
   * Returns false (placing nothing) if the ring has no room now.
   */
  tryPlaceFrames(stream: number, seed: number, payloads: readonly EntryPayload[]): boolean {
    assert(payloads.length >= 1 && payloads.length <= FRAMES_PER_PIECE_MAX, "a piece holds 1..FRAMES_PER_PIECE_MAX frames");
    let length = 0;
    for (const payload of payloads) length += FRAME_HEADER_SIZE + payload.size;
    assert(length <= this.pieceBodyMax, "a piece body is at most half the ring");
    const index = this.makeRoom(length);
    if (index === null) return false;
    writePieceHeader(this.ringView, index, { kind: PieceKind.Data, target: stream, length });
    let at = index + PIECE_HEADER_SIZE;
    payloads.forEach((payload, i) => {
      payload.writeTo(this.ringBytes, at + FRAME_HEADER_SIZE);
      this.lengths[i] = payload.size;
      at += FRAME_HEADER_SIZE + payload.size;
    });
    this.core.encodeFramesAt(asPtr(this.ring.dataPtr + index + PIECE_HEADER_SIZE), this.lengthsPtr, payloads.length, seed);
    this.position += pieceSpan(length);
    return true;
  }

  /** Places a control piece with `body` (an encoded control op); false if the ring has no room now. */
  tryPlaceControl(sequence: number, body: Uint8Array): boolean {
    assert(body.byteLength <= this.pieceBodyMax, "a control op fits a piece");
    const index = this.makeRoom(body.byteLength);
    if (index === null) return false;
    writePieceHeader(this.ringView, index, { kind: PieceKind.Control, target: sequence, length: body.byteLength });
    this.ringBytes.set(body, index + PIECE_HEADER_SIZE);
    this.position += pieceSpan(body.byteLength);
    return true;
  }

  /** Makes everything placed so far visible to the loop. */
  publish(): void {
    if (BigInt(this.position) !== this.ring.published) this.ring.publish(BigInt(this.position));
  }

  /**
   * The ring index a piece with `length` body bytes goes to, placing a Pad piece first if it would
   * run past the ring's end; null if the ring lacks room for both.
   */
  private makeRoom(length: number): number | null {
    const span = pieceSpan(length);
    const index = (this.position - Number(this.ring.origin)) % this.ringSize;
    const pad = span > this.ringSize - index ? this.ringSize - index : 0;
    if (!this.hasRoom(pad + span)) return null;
    if (pad > 0) {
      writePieceHeader(this.ringView, index, { kind: PieceKind.Pad, target: 0, length: pad - PIECE_HEADER_SIZE });
      this.position += pad;
      return 0;
    }
    return index;
  }

  private hasRoom(bytes: number): boolean {
    if (this.ringSize - (this.position - this.writtenSeen) >= bytes) return true;
    this.writtenSeen = Number(this.ring.written);
    return this.ringSize - (this.position - this.writtenSeen) >= bytes;
  }
}
