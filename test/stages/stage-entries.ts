// The entries the root stages (power loss, disk full) append: deterministic bytes from a round
// and a counter, checkable on their own. A parent that knows (round, counter) for an LSN compares
// the bytes exactly; one that does not (an entry written but never acknowledged) can still tell
// an entry the writer made from anything else.
//
// Layout (little-endian):
//
//   offset 0  u32  round
//   offset 4  u32  counter
//   offset 8  u32  CRC-32 of bytes 0..7 and 12..end
//   offset 12 ...  padding: byte i is (counter * 31 + i) & 0xff
import * as zlib from "node:zlib";

export const STAGE_ENTRY_HEADER_SIZE = 12;

export function stageEntryBytes(round: number, counter: number, sizeBytes: number): Uint8Array {
  if (!(Number.isSafeInteger(sizeBytes) && sizeBytes >= STAGE_ENTRY_HEADER_SIZE)) throw new Error(`an entry holds at least its header; got ${sizeBytes}`);
  const bytes = new Uint8Array(sizeBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, round, true);
  view.setUint32(4, counter, true);
  for (let i = STAGE_ENTRY_HEADER_SIZE; i < sizeBytes; i++) bytes[i] = (counter * 31 + i) & 0xff;
  view.setUint32(8, stageEntryCrc(bytes), true);
  return bytes;
}

function stageEntryCrc(bytes: Uint8Array): number {
  return zlib.crc32(bytes.subarray(STAGE_ENTRY_HEADER_SIZE), zlib.crc32(bytes.subarray(0, 8)));
}

export interface StageEntryId {
  readonly round: number;
  readonly counter: number;
}

/** The entry's (round, counter) if it is one stageEntryBytes made, else null. */
export function decodeStageEntry(bytes: Uint8Array): StageEntryId | null {
  if (bytes.byteLength < STAGE_ENTRY_HEADER_SIZE) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8, true) !== stageEntryCrc(bytes)) return null;
  const round = view.getUint32(0, true);
  const counter = view.getUint32(4, true);
  const again = stageEntryBytes(round, counter, bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i++) if (again[i] !== bytes[i]) return null;
  return { round, counter };
}

/** Whether `bytes` equal what stageEntryBytes(round, counter, size) made, for some size. */
export function isStageEntry(bytes: Uint8Array, round: number, counter: number): boolean {
  const id = decodeStageEntry(bytes);
  return id !== null && id.round === round && id.counter === counter;
}

/** A small seeded PRNG (xorshift32) for the stages' timing and sizes: one seed, one schedule. */
export function stagePrng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
