// The log state file, LOGSTATE (docs/FORMAT.md "Log state"): what the log knows durably about its
// own extent, outside the segments, so that a segment missing at the end, or bytes missing or
// damaged below a point the log once proved durable, is corruption and never a torn tail.
//
// Two slots, one per 512-byte sector, so that rewriting one never touches the other (a disk
// persists a sector whole or not at all, and a torn write can only damage the slot being written):
//
//   file:  [slot 0: 64-byte record][448 zero bytes][slot 1: 64-byte record][448 zero bytes]
//
//   record:
//   0       4     6     8             16               24               32             56       64
//   +-------+-----+-----+-------------+----------------+----------------+--------------+--------+
//   | magic | ver | 0   | generation  | lastSegmentId  | durableOffset  | reserved (0) | xxh64  |
//   | u32   | u16 | u16 | u64         | u64            | u64            | 24 bytes     | 0..56  |
//   +-------+-----+-----+-------------+----------------+----------------+--------------+--------+
//
// Generation g lives in slot (g - 1) % 2. A new log's LOGSTATE is created whole (LOGSTATE.tmp,
// fdatasynced, renamed, directory fsynced) with generation 1 in slot 0 and slot 1 all zero. Every
// later state g + 1 overwrites the other slot in place and is fdatasynced: no block is allocated,
// so the state can be rewritten on a full disk. A reader takes the valid slot with the highest
// generation; a slot that does not verify is a write a crash tore (its fdatasync never returned,
// so nothing relied on it) and the other slot still holds the state before it.
import { assert } from "../assert.js";
import { type Core } from "../core/index.js";
import { type StorageIo } from "../io/storage-io.js";

export const LOG_STATE_FILE_NAME = "LOGSTATE";
export const LOG_STATE_TEMP_NAME = "LOGSTATE.tmp";
export const LOG_STATE_MAGIC = 0x534c5053; // "SPLS" read as a little-endian u32
export const LOG_STATE_FORMAT_VERSION = 1;
export const LOG_STATE_RECORD_SIZE = 64;
/** Each slot starts a 512-byte sector: a torn write of one slot never reaches the other. */
export const LOG_STATE_SLOT_STRIDE = 512;
export const LOG_STATE_SLOTS = 2;
export const LOG_STATE_FILE_SIZE = LOG_STATE_SLOTS * LOG_STATE_SLOT_STRIDE;
const LOG_STATE_CHECKSUM_OFFSET = 56;

assert(LOG_STATE_CHECKSUM_OFFSET + 8 === LOG_STATE_RECORD_SIZE, "the checksum is a record's last 8 bytes");
assert(LOG_STATE_RECORD_SIZE <= LOG_STATE_SLOT_STRIDE, "a record fits its sector");

export interface LogState {
  /**
   * The newest segment whose header was durable (R1 done) when this state was written. Frames go
   * into a segment only after a state naming it is durable, so a segment with a higher id holds
   * no frame, and this segment missing is corruption.
   */
  readonly lastSegmentId: bigint;
  /** A stream offset below which every byte was fdatasynced: a stop below it is corruption. */
  readonly durableOffset: bigint;
}

/** A state as read from a slot: with its generation, which says which slot the next one takes. */
export interface StoredLogState extends LogState {
  readonly generation: bigint;
}

/**
 * Why a record or the file does not decode. "segment": lastSegmentId 0 (ids start at 1);
 * "slot": a generation in the wrong slot (a record copied to the other sector); "empty": no slot
 * holds a record; "padding": a byte between or after the records that is not zero.
 */
export type LogStateProblem = "short" | "magic" | "checksum" | "version" | "reserved" | "segment" | "slot" | "empty" | "padding";

/** The slot generation `generation` is written to. */
export function logStateSlotOf(generation: bigint): number {
  return Number((generation - 1n) % BigInt(LOG_STATE_SLOTS));
}

/** One slot's 64-byte record. */
export function encodeLogStateRecord(core: Core, state: LogState, generation: bigint): Uint8Array {
  assert(generation >= 1n && generation < 1n << 64n, "a LOGSTATE generation is a u64 from 1");
  assert(state.lastSegmentId >= 1n && state.lastSegmentId < 1n << 64n, "LOGSTATE names a segment id (u64, from 1)");
  assert(state.durableOffset >= 0n && state.durableOffset < 1n << 64n, "LOGSTATE's durable offset is a u64");
  const bytes = new Uint8Array(LOG_STATE_RECORD_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, LOG_STATE_MAGIC, true);
  view.setUint16(4, LOG_STATE_FORMAT_VERSION, true);
  view.setBigUint64(8, generation, true);
  view.setBigUint64(16, state.lastSegmentId, true);
  view.setBigUint64(24, state.durableOffset, true);
  view.setBigUint64(LOG_STATE_CHECKSUM_OFFSET, core.xxh64(bytes.subarray(0, LOG_STATE_CHECKSUM_OFFSET)), true);
  return bytes;
}

/** A whole new LOGSTATE file: generation 1 in slot 0, slot 1 empty. */
export function encodeLogState(core: Core, state: LogState): Uint8Array {
  const bytes = new Uint8Array(LOG_STATE_FILE_SIZE);
  bytes.set(encodeLogStateRecord(core, state, 1n), 0);
  return bytes;
}

/** Decodes one slot's record, or names what is wrong with it; null for an all-zero slot. */
export function decodeLogStateRecord(core: Core, bytes: Uint8Array, slot: number): StoredLogState | LogStateProblem | null {
  if (bytes.byteLength !== LOG_STATE_RECORD_SIZE) return "short";
  if (bytes.every((b) => b === 0)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, LOG_STATE_RECORD_SIZE);
  if (view.getUint32(0, true) !== LOG_STATE_MAGIC) return "magic";
  if (view.getBigUint64(LOG_STATE_CHECKSUM_OFFSET, true) !== core.xxh64(bytes.subarray(0, LOG_STATE_CHECKSUM_OFFSET))) return "checksum";
  if (view.getUint16(4, true) !== LOG_STATE_FORMAT_VERSION) return "version";
  if (view.getUint16(6, true) !== 0) return "reserved";
  for (let i = 32; i < LOG_STATE_CHECKSUM_OFFSET; i++) if (bytes[i] !== 0) return "reserved";
  const generation = view.getBigUint64(8, true);
  if (generation === 0n || logStateSlotOf(generation) !== slot) return "slot";
  const lastSegmentId = view.getBigUint64(16, true);
  if (lastSegmentId === 0n) return "segment";
  return { generation, lastSegmentId, durableOffset: view.getBigUint64(24, true) };
}

/**
 * Decodes a state file: the valid slot with the highest generation. A slot that does not verify
 * is passed over (a torn in-place write); the file is a problem only if no slot verifies, or if
 * its size or padding is wrong (never written by a writer: the padding is never rewritten).
 */
export function decodeLogState(core: Core, bytes: Uint8Array): StoredLogState | LogStateProblem {
  if (bytes.byteLength !== LOG_STATE_FILE_SIZE) return "short";
  let best: StoredLogState | null = null;
  let firstProblem: LogStateProblem | null = null;
  for (let slot = 0; slot < LOG_STATE_SLOTS; slot++) {
    const start = slot * LOG_STATE_SLOT_STRIDE;
    const padding = bytes.subarray(start + LOG_STATE_RECORD_SIZE, start + LOG_STATE_SLOT_STRIDE);
    if (padding.some((b) => b !== 0)) return "padding";
    const record = decodeLogStateRecord(core, bytes.subarray(start, start + LOG_STATE_RECORD_SIZE), slot);
    if (typeof record === "string") firstProblem ??= record;
    else if (record !== null && (best === null || record.generation > best.generation)) best = record;
  }
  return best ?? firstProblem ?? "empty";
}

/** The state file as found at open: decoded, absent, or what is wrong with it. */
export function readLogState(core: Core, io: StorageIo, dir: string): StoredLogState | LogStateProblem | "missing" {
  const bytes = io.readSmallFile(`${dir}/${LOG_STATE_FILE_NAME}`);
  return bytes === undefined ? "missing" : decodeLogState(core, bytes);
}

/**
 * Installs `state` as a new LOGSTATE file (generation 1): LOGSTATE.tmp (created, written,
 * fdatasynced), renamed over LOGSTATE, directory fsynced. For a log without a usable LOGSTATE;
 * the caller has made durable everything the state claims (the segment it names, header and
 * directory entry, and every byte below its durable offset). Returns what it installed.
 */
export function installLogState(core: Core, io: StorageIo, dir: string, state: LogState): StoredLogState {
  const temp = `${dir}/${LOG_STATE_TEMP_NAME}`;
  if (io.exists(temp)) io.removeFile(temp);
  assert(io.createSmallFile(temp, encodeLogState(core, state)), "LOGSTATE.tmp was just removed");
  io.renameFile(temp, `${dir}/${LOG_STATE_FILE_NAME}`);
  io.syncDirectory(dir);
  return { ...state, generation: 1n };
}

/**
 * Writes `state` as the generation after `previous`, over the other slot in place, and
 * fdatasyncs it: nothing is allocated and no name changes. Returns what it wrote.
 */
export function advanceLogState(core: Core, io: StorageIo, dir: string, previous: StoredLogState, state: LogState): StoredLogState {
  const generation = previous.generation + 1n;
  io.overwriteAt(`${dir}/${LOG_STATE_FILE_NAME}`, encodeLogStateRecord(core, state, generation), logStateSlotOf(generation) * LOG_STATE_SLOT_STRIDE);
  return { ...state, generation };
}
