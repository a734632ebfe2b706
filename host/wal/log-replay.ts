// Replay: the log's entries in LSN order, read back from the segment files up to the stream offset
// written when replay began. Replay yields exactly what recovery accepted plus what was appended
// since: every byte below that offset was either checked by recovery or written by this process,
// so a frame that fails its check on the way back (a bit flipped since, a file cut or replaced
// underneath the log) is a CorruptLogError with file and offset, never a silent end.
import { type Core, FRAME_HEADER_SIZE } from "../core/index.js";
import { CorruptLogError } from "../errors.js";
import { type StorageIo } from "../io/storage-io.js";
import { EntryType, decodeEntry, isMalformed } from "./log-entry.js";
import { type LogRecord } from "./log-record.js";
import { listSegmentFiles } from "./log-recovery.js";
import { SEGMENT_HEADER_SIZE, decodeSegmentHeader } from "./segment-format.js";
import { scanSegmentFrames } from "./segment-scan.js";

export interface ReplaySource {
  readonly core: Core;
  readonly io: StorageIo;
  readonly dir: string;
  /** Stream offset written when replay began: replay ends exactly there. */
  readonly upTo: bigint;
  /** Entries below this LSN were retired (truncateBefore) and are skipped. */
  readonly retiredBefore: bigint;
}

function corrupt(path: string, name: string, offset: number, reason: string): CorruptLogError {
  return new CorruptLogError(`corrupt log: ${name} at offset ${offset}: ${reason} (found by replay, below the offset the log had written)`, path, offset, reason);
}

export async function* replaySegments(source: ReplaySource, fromLsn: bigint): AsyncGenerator<LogRecord> {
  const { core, io, upTo } = source;
  /** The stream offset the next segment must start at (null before the first one read). */
  let expected: bigint | null = null;
  let last = { path: "", name: "", offsetInFile: 0, reason: "" };
  for (const file of listSegmentFiles(io, source.dir)) {
    const bytes = io.readSmallFile(file.path);
    if (bytes === undefined) {
      if (expected === null) continue; // retired by truncateBefore while replay listed it
      throw corrupt(file.path, file.name, 0, "the segment file vanished");
    }
    const header = decodeSegmentHeader(core, bytes);
    if (typeof header === "string") {
      if (expected !== null && expected >= upTo) break; // a segment started after replay began
      throw corrupt(file.path, file.name, 0, `segment header ${header}`);
    }
    if (header.baseOffset >= upTo) break;
    if (expected !== null && header.baseOffset !== expected) {
      throw corrupt(file.path, file.name, 0, `segment starts at stream offset ${header.baseOffset}, not ${expected}`);
    }
    const rest = bytes.subarray(SEGMENT_HEADER_SIZE);
    const scan = scanSegmentFrames(core, rest, header.frameSeed);
    let lsn = header.baseLsn - 1n;
    for (const frame of scan.frames) {
      const offsetInSegment = SEGMENT_HEADER_SIZE + frame.offset;
      const end = header.baseOffset + BigInt(offsetInSegment + FRAME_HEADER_SIZE + frame.payloadLength);
      if (end > upTo) return;
      if (frame.type === EntryType.SyncMark) continue; // not an entry: no LSN, never replayed
      lsn += 1n;
      if (lsn < fromLsn || lsn < source.retiredBefore) continue;
      const payloadAt = frame.offset + FRAME_HEADER_SIZE;
      const entry = decodeEntry(rest.subarray(payloadAt, payloadAt + frame.payloadLength));
      if (isMalformed(entry)) throw corrupt(file.path, file.name, offsetInSegment, `an entry passed its CRC but does not decode: ${entry.malformed}`);
      yield { lsn, segmentId: header.segmentId, offsetInSegment, end, entry };
    }
    expected = header.baseOffset + BigInt(SEGMENT_HEADER_SIZE + scan.stopOffset);
    const clean = scan.stop === "End" || scan.stop === "ZeroTail";
    if (!clean && expected < upTo) throw corrupt(file.path, file.name, SEGMENT_HEADER_SIZE + scan.stopOffset, `${scan.stop} at a frame`);
    last = { path: file.path, name: file.name, offsetInFile: SEGMENT_HEADER_SIZE + scan.stopOffset, reason: scan.stop };
  }
  if (expected === null && upTo > 0n) throw corrupt(source.dir, source.dir, 0, "no segment file holds the log's bytes");
  if (expected !== null && expected < upTo) {
    throw corrupt(last.path, last.name, last.offsetInFile, `the frames stop (${last.reason}) ${upTo - expected} bytes before the written end`);
  }
}
