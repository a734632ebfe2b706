// The log state file, LOGSTATE (docs/FORMAT.md "Log state"): what the log knows durably about its
// own extent, outside the segments, so that a segment missing at the end, or bytes missing or
// damaged below a point the log once proved durable, is corruption and never a torn tail.
//
//   0       4     6    8                16               24               56
//   +-------+-----+----+----------------+----------------+----------------+--------+
//   | magic | ver | 0  | lastSegmentId  | durableOffset  | reserved (0)   | xxh64  |
//   | u32   | u16 | u16| u64            | u64            | 32 bytes       | 0..56  |
//   +-------+-----+----+----------------+----------------+----------------+--------+
//
// It is written whole: to LOGSTATE.tmp, fdatasynced, renamed over LOGSTATE, directory fsynced
// (installLogState). The I/O loop writes it at creation, rotation, open and close; recovery writes
// it only after salvage changed the log. Since it is only ever installed by a rename, it is never
// torn: a LOGSTATE that does not decode is corruption, and a LOGSTATE.tmp is a crash mid-write,
// removed at open.
import { assert } from "../assert.js";
import { type Core } from "../core/index.js";
import { type StorageIo } from "../io/storage-io.js";

export const LOG_STATE_FILE_NAME = "LOGSTATE";
export const LOG_STATE_TEMP_NAME = "LOGSTATE.tmp";
export const LOG_STATE_MAGIC = 0x534c5053; // "SPLS" read as a little-endian u32
export const LOG_STATE_FORMAT_VERSION = 1;
export const LOG_STATE_SIZE = 64;
const LOG_STATE_CHECKSUM_OFFSET = 56;

assert(LOG_STATE_CHECKSUM_OFFSET + 8 === LOG_STATE_SIZE, "the checksum is the state's last 8 bytes");

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

/** Why a LOGSTATE does not decode; "segment": lastSegmentId 0 (segment ids start at 1). */
export type LogStateProblem = "short" | "magic" | "checksum" | "version" | "reserved" | "segment";

export function encodeLogState(core: Core, state: LogState): Uint8Array {
  assert(state.lastSegmentId >= 1n && state.lastSegmentId < 1n << 64n, "LOGSTATE names a segment id (u64, from 1)");
  assert(state.durableOffset >= 0n && state.durableOffset < 1n << 64n, "LOGSTATE's durable offset is a u64");
  const bytes = new Uint8Array(LOG_STATE_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, LOG_STATE_MAGIC, true);
  view.setUint16(4, LOG_STATE_FORMAT_VERSION, true);
  view.setBigUint64(8, state.lastSegmentId, true);
  view.setBigUint64(16, state.durableOffset, true);
  view.setBigUint64(LOG_STATE_CHECKSUM_OFFSET, core.xxh64(bytes.subarray(0, LOG_STATE_CHECKSUM_OFFSET)), true);
  return bytes;
}

/** Decodes a state file's bytes, or names what is wrong with them. Nothing throws. */
export function decodeLogState(core: Core, bytes: Uint8Array): LogState | LogStateProblem {
  if (bytes.byteLength !== LOG_STATE_SIZE) return "short";
  const view = new DataView(bytes.buffer, bytes.byteOffset, LOG_STATE_SIZE);
  if (view.getUint32(0, true) !== LOG_STATE_MAGIC) return "magic";
  if (view.getBigUint64(LOG_STATE_CHECKSUM_OFFSET, true) !== core.xxh64(bytes.subarray(0, LOG_STATE_CHECKSUM_OFFSET))) return "checksum";
  if (view.getUint16(4, true) !== LOG_STATE_FORMAT_VERSION) return "version";
  if (view.getUint16(6, true) !== 0) return "reserved";
  for (let i = 24; i < LOG_STATE_CHECKSUM_OFFSET; i++) if (bytes[i] !== 0) return "reserved";
  const lastSegmentId = view.getBigUint64(8, true);
  if (lastSegmentId === 0n) return "segment";
  return { lastSegmentId, durableOffset: view.getBigUint64(16, true) };
}

/** The state file as found at open: decoded, absent, or what is wrong with it. */
export function readLogState(core: Core, io: StorageIo, dir: string): LogState | LogStateProblem | "missing" {
  const bytes = io.readSmallFile(`${dir}/${LOG_STATE_FILE_NAME}`);
  return bytes === undefined ? "missing" : decodeLogState(core, bytes);
}

/**
 * Installs `state` whole: LOGSTATE.tmp (created, written, fdatasynced), renamed over LOGSTATE,
 * directory fsynced. The caller has made durable everything the state claims: the segment it
 * names (header and directory entry) and every byte below its durable offset.
 */
export function installLogState(core: Core, io: StorageIo, dir: string, state: LogState): void {
  const temp = `${dir}/${LOG_STATE_TEMP_NAME}`;
  if (io.exists(temp)) io.removeFile(temp);
  assert(io.createSmallFile(temp, encodeLogState(core, state)), "LOGSTATE.tmp was just removed");
  io.renameFile(temp, `${dir}/${LOG_STATE_FILE_NAME}`);
  io.syncDirectory(dir);
}
