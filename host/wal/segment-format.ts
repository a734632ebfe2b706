// Segment files: a 64-byte header, then frames (docs/FORMAT.md "Segments"). Pure encode/decode;
// the numbers here are the document's numbers.
//
//   0       4     6    7    8            16           24          32            40        44             56          64
//   +-------+-----+----+----+------------+------------+-----------+-------------+---------+--------------+-----------+
//   | magic | ver |kind| 0  | segmentId  | generation | baseLsn   | baseOffset  | frameSd | reserved (0) | xxh64     |
//   | u32   | u16 | u8 | u8 | u64        | u64        | u64       | u64         | u32     | 12 bytes     | of 0..56  |
//   +-------+-----+----+----+------------+------------+-----------+-------------+---------+--------------+-----------+
import { assert } from "../assert.js";
import { type Core } from "../core/index.js";
import { type HeaderState } from "./recovery-table.js";

export const SEGMENT_MAGIC = 0x474c5053; // "SPLG" read as a little-endian u32
export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_SIZE = 64;
export const SEGMENT_CHECKSUM_OFFSET = 56;
/** Seeds the frame seed's XXH64, so that frame seeds of spacelog files differ from other XXH64 uses. */
export const FRAME_SEED_SALT = 0x53504c47n;

export const SegmentKind = { Hot: 1, Staging: 2, Log: 3 } as const;
export type SegmentKind = (typeof SegmentKind)[keyof typeof SegmentKind];

export interface SegmentHeader {
  readonly kind: SegmentKind;
  readonly segmentId: bigint;
  readonly generation: bigint;
  /** LSN of the segment's first entry. */
  readonly baseLsn: bigint;
  /** Log stream offset of the segment's byte 0 (the stream is all segments' bytes in order). */
  readonly baseOffset: bigint;
  /** The seed every frame of this segment is sealed with; derived from id and generation. */
  readonly frameSeed: number;
}

assert(SEGMENT_CHECKSUM_OFFSET + 8 === SEGMENT_HEADER_SIZE, "the checksum is the header's last 8 bytes");

/** frameSeed = low 32 bits of XXH64(segmentId u64 LE ++ generation u64 LE, seed "SPLG"). */
export function frameSeedOf(core: Core, segmentId: bigint, generation: bigint): number {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, segmentId, true);
  view.setBigUint64(8, generation, true);
  return Number(core.xxh64(bytes, FRAME_SEED_SALT) & 0xffffffffn);
}

export function encodeSegmentHeader(core: Core, header: Omit<SegmentHeader, "frameSeed">): Uint8Array {
  const bytes = new Uint8Array(SEGMENT_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, SEGMENT_MAGIC, true);
  view.setUint16(4, SEGMENT_FORMAT_VERSION, true);
  view.setUint8(6, header.kind);
  view.setBigUint64(8, header.segmentId, true);
  view.setBigUint64(16, header.generation, true);
  view.setBigUint64(24, header.baseLsn, true);
  view.setBigUint64(32, header.baseOffset, true);
  view.setUint32(40, frameSeedOf(core, header.segmentId, header.generation), true);
  view.setBigUint64(SEGMENT_CHECKSUM_OFFSET, core.xxh64(bytes.subarray(0, SEGMENT_CHECKSUM_OFFSET)), true);
  return bytes;
}

/**
 * Why a header is refused. "short", "zero" and "checksum" are headers that do not verify (a torn
 * or garbage write can make them); the others verify by checksum but break a rule, so some
 * writer wrote them whole: a foreign file, a newer format, or a writer bug.
 */
export type HeaderProblem = "short" | "zero" | "checksum" | "magic" | "version" | "kind" | "reserved" | "seed" | "lsn";

/** Reserved header bytes, all zero: offset 7, and 44..56 (docs/FORMAT.md "Header"). */
const RESERVED_BYTE_OFFSET = 7;
const RESERVED_RANGE_START = 44;
assert(RESERVED_RANGE_START === 40 + 4, "the reserved range follows frameSeed (u32 at 40)");

/**
 * Decodes a header, or names what is wrong with it. Bytes from disk are values: nothing throws.
 * The checksum is checked first, so that "verifies" (any other result) means a writer wrote
 * these 64 bytes whole.
 */
export function decodeSegmentHeader(core: Core, bytes: Uint8Array): SegmentHeader | HeaderProblem {
  if (bytes.byteLength < SEGMENT_HEADER_SIZE) return bytes.every((b) => b === 0) ? "zero" : "short";
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_SIZE);
  if (bytes.subarray(0, SEGMENT_HEADER_SIZE).every((b) => b === 0)) return "zero";
  if (view.getBigUint64(SEGMENT_CHECKSUM_OFFSET, true) !== core.xxh64(bytes.subarray(0, SEGMENT_CHECKSUM_OFFSET))) return "checksum";
  if (view.getUint32(0, true) !== SEGMENT_MAGIC) return "magic";
  if (view.getUint16(4, true) !== SEGMENT_FORMAT_VERSION) return "version";
  const kind = view.getUint8(6);
  if (kind !== SegmentKind.Hot && kind !== SegmentKind.Staging && kind !== SegmentKind.Log) return "kind";
  if (bytes[RESERVED_BYTE_OFFSET] !== 0) return "reserved";
  for (let i = RESERVED_RANGE_START; i < SEGMENT_CHECKSUM_OFFSET; i++) if (bytes[i] !== 0) return "reserved";
  const segmentId = view.getBigUint64(8, true);
  const generation = view.getBigUint64(16, true);
  const frameSeed = view.getUint32(40, true);
  if (frameSeed !== frameSeedOf(core, segmentId, generation)) return "seed";
  const baseLsn = view.getBigUint64(24, true);
  if (baseLsn === 0n) return "lsn"; // LSNs start at 1
  return { kind, segmentId, generation, baseLsn, baseOffset: view.getBigUint64(32, true), frameSeed };
}

/** A log segment's header as recovery sees it (recovery-table.ts legend), with the problem in words. */
export type LogHeaderState =
  | { readonly state: "valid"; readonly header: SegmentHeader }
  | { readonly state: Exclude<HeaderState, "valid">; readonly problem: string };

/**
 * Classifies a log segment file's bytes: empty (every byte 0, or none), torn (under 64 bytes, not
 * all 0), invalid (the checksum fails), wrong (it verifies, but is not a log segment header for
 * the file named `fileId`: see HeaderProblem, a kind other than 3, or another id), or valid.
 */
export function segmentHeaderState(core: Core, bytes: Uint8Array, fileId: bigint): LogHeaderState {
  if (bytes.every((b) => b === 0)) return { state: "empty", problem: `empty (${bytes.byteLength} bytes, all zero)` };
  if (bytes.byteLength < SEGMENT_HEADER_SIZE) return { state: "torn", problem: `cut short (${bytes.byteLength} of ${SEGMENT_HEADER_SIZE} bytes)` };
  const header = decodeSegmentHeader(core, bytes);
  if (header === "checksum" || header === "zero") return { state: "invalid", problem: "does not verify (checksum)" };
  if (typeof header === "string") return { state: "wrong", problem: `verifies but breaks a rule (${header})` };
  if (header.kind !== SegmentKind.Log) return { state: "wrong", problem: `verifies but is of kind ${header.kind}, not ${SegmentKind.Log} (log)` };
  if (header.segmentId !== fileId) return { state: "wrong", problem: `verifies but holds id ${header.segmentId}, not the file name's ${fileId} (a renamed segment)` };
  return { state: "valid", header };
}

/**
 * Segment file names: "log-", exactly 16 lowercase hex digits (the id, at least 1), ".seg".
 * Ids only order the segments; they may have gaps (docs/FORMAT.md "Log directory").
 */
const SEGMENT_NAME = /^log-([0-9a-f]{16})\.seg$/;
/** A name a segment could have been renamed to: "log-" ... ".seg" in any letter case. */
const SEGMENT_LIKE_NAME = /^log-.*\.seg$/i;

export function segmentFileName(segmentId: bigint): string {
  assert(segmentId >= 1n && segmentId < 1n << 64n, "segment ids are u64 values from 1");
  return `log-${segmentId.toString(16).padStart(16, "0")}.seg`;
}

/** The segment id a file name stands for, or undefined if the name is not a segment's. */
export function segmentIdOfName(name: string): bigint | undefined {
  const match = SEGMENT_NAME.exec(name);
  if (match?.[1] === undefined) return undefined;
  const id = BigInt("0x" + match[1]);
  return id === 0n ? undefined : id;
}

/** A name that looks like a segment's but is not one (letter case, digit count, id 0). */
export function isMisnamedSegment(name: string): boolean {
  return SEGMENT_LIKE_NAME.test(name) && segmentIdOfName(name) === undefined;
}
