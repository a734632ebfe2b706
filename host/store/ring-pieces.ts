// The store's commit ring carries pieces, not one file's bytes (docs/store-design.md "The I/O
// loop, generalised"). The log's ring is one byte stream; the store's I/O loop writes many files,
// so each piece says where its bytes go:
//
//   +0  u32 kind     Data (frames for one stream's file), Control (an ordered file operation), Pad
//   +4  u32 target   Data: the stream id; Control: the operation's sequence number
//   +8  u32 length   bytes of body after this header
//   +12 u32 0
//   +16 body, padded to a multiple of 16
//
// Pieces are 16-byte aligned and never wrap: one that would run past the ring's end is placed at
// its start, and a Pad piece covers the rest. So every piece body is one contiguous view, and a
// turn's write of a stream is a gather of whole frames straight from the ring (no copy). The ring
// itself lives only in memory: nothing of this layout reaches a file.
import { assert } from "../assert.js";

export const PIECE_HEADER_SIZE = 16;
export const PIECE_ALIGN = 16;
export const PieceKind = { Data: 1, Control: 2, Pad: 3 } as const;
export type PieceKind = (typeof PieceKind)[keyof typeof PieceKind];

export interface PieceHeader {
  readonly kind: PieceKind;
  readonly target: number;
  readonly length: number;
}

export function alignPiece(length: number): number {
  return (length + PIECE_ALIGN - 1) & ~(PIECE_ALIGN - 1);
}

/** Bytes a piece with `length` body bytes takes in the ring. */
export function pieceSpan(length: number): number {
  return PIECE_HEADER_SIZE + alignPiece(length);
}

export function writePieceHeader(view: DataView, at: number, header: PieceHeader): void {
  assert(at % PIECE_ALIGN === 0, "a piece starts 16-byte aligned");
  view.setUint32(at, header.kind, true);
  view.setUint32(at + 4, header.target, true);
  view.setUint32(at + 8, header.length, true);
  view.setUint32(at + 12, 0, true);
}

export function readPieceHeader(view: DataView, at: number): PieceHeader {
  const kind = view.getUint32(at, true);
  assert(kind === PieceKind.Data || kind === PieceKind.Control || kind === PieceKind.Pad, `a piece kind at ring byte ${at}: ${kind}`);
  return { kind: kind as PieceKind, target: view.getUint32(at + 4, true), length: view.getUint32(at + 8, true) };
}
