// Log directories built byte by byte for recovery tests (after LevelDB's log_test: real bytes under
// the real reader). A test says which segments hold which payloads; this writes SPACELOG, the
// chained segment files (headers and frames exactly as docs/FORMAT.md gives them) and, if asked,
// LOGSTATE. Byte helpers damage them afterwards.
import * as fs from "node:fs";
import * as path from "node:path";
import { type Core } from "../../host/core/index.js";
import { createRealIo } from "../../host/io/create-io.js";
import { EntryType } from "../../host/wal/log-entry.js";
import { encodeSyncMark } from "../../host/wal/sync-mark.js";
import { type RecoveredLog, recoverLog } from "../../host/wal/log-recovery.js";
import { LOG_STATE_FILE_NAME, type LogState, encodeLogState } from "../../host/wal/log-state.js";
import { SEGMENT_HEADER_SIZE, SegmentKind, encodeSegmentHeader, frameSeedOf, segmentFileName } from "../../host/wal/segment-format.js";

export interface SegmentSpec {
  /** Defaults to the previous id + 1 (1 for the first). */
  readonly id?: bigint;
  /** Payloads, type byte first; sync marks (type 8) take no LSN. */
  readonly payloads: readonly Uint8Array[];
  /** Defaults chain on from the previous segment (LSN 1, offset 0 for the first). */
  readonly baseLsn?: bigint;
  readonly baseOffset?: bigint;
  /** Bytes written after the frames (zeros, a torn frame, garbage). */
  readonly tail?: Uint8Array;
}

export interface BuiltSegment {
  readonly id: bigint;
  readonly name: string;
  readonly path: string;
  readonly baseLsn: bigint;
  readonly baseOffset: bigint;
  /** File offset of each frame. */
  readonly frameOffsets: number[];
  /** File offset just past the last frame (before any tail). */
  readonly dataEnd: number;
  readonly entryCount: number;
}

export const IDENTITY = "spacelog log 1\n";

export function raw(text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const payload = new Uint8Array(1 + body.byteLength);
  payload[0] = EntryType.Raw;
  payload.set(body, 1);
  return payload;
}

export function syncMark(durable: bigint): Uint8Array {
  return encodeSyncMark(durable);
}

/** Writes SPACELOG and the segments, chained; returns where everything went. */
export function writeLog(core: Core, dir: string, specs: readonly SegmentSpec[]): BuiltSegment[] {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "SPACELOG"), IDENTITY);
  const built: BuiltSegment[] = [];
  for (const spec of specs) {
    const previous = built[built.length - 1];
    const id = spec.id ?? (previous === undefined ? 1n : previous.id + 1n);
    const baseLsn = spec.baseLsn ?? (previous === undefined ? 1n : previous.baseLsn + BigInt(previous.entryCount));
    const baseOffset = spec.baseOffset ?? (previous === undefined ? 0n : previous.baseOffset + BigInt(previous.dataEnd));
    built.push(writeSegment(core, dir, { ...spec, id, baseLsn, baseOffset }));
  }
  return built;
}

export function writeSegment(core: Core, dir: string, spec: SegmentSpec & { id: bigint; baseLsn: bigint; baseOffset: bigint }): BuiltSegment {
  const header = encodeSegmentHeader(core, { kind: SegmentKind.Log, segmentId: spec.id, generation: 1n, baseLsn: spec.baseLsn, baseOffset: spec.baseOffset });
  const frames = spec.payloads.length === 0 ? new Uint8Array(0) : core.encodeFrames(spec.payloads, frameSeedOf(core, spec.id, 1n));
  const frameOffsets: number[] = [];
  let at = SEGMENT_HEADER_SIZE;
  for (const payload of spec.payloads) {
    frameOffsets.push(at);
    at += 8 + payload.byteLength;
  }
  const tail = spec.tail ?? new Uint8Array(0);
  const bytes = new Uint8Array(SEGMENT_HEADER_SIZE + frames.byteLength + tail.byteLength);
  bytes.set(header, 0);
  bytes.set(frames, SEGMENT_HEADER_SIZE);
  bytes.set(tail, SEGMENT_HEADER_SIZE + frames.byteLength);
  const name = segmentFileName(spec.id);
  fs.writeFileSync(path.join(dir, name), bytes);
  const entryCount = spec.payloads.filter((p) => p[0] !== EntryType.SyncMark).length;
  return { id: spec.id, name, path: path.join(dir, name), baseLsn: spec.baseLsn, baseOffset: spec.baseOffset, frameOffsets, dataEnd: at, entryCount };
}

export function writeLogState(core: Core, dir: string, state: LogState): void {
  fs.writeFileSync(path.join(dir, LOG_STATE_FILE_NAME), encodeLogState(core, state));
}

/** The state a clean close leaves: the last segment, and everything durable. */
export function closedState(segments: readonly BuiltSegment[]): LogState {
  const last = segments[segments.length - 1];
  if (last === undefined) throw new Error("closedState of no segment");
  return { lastSegmentId: last.id, durableOffset: last.baseOffset + BigInt(last.dataEnd) };
}

/** The state a writer that died right after creating the last segment leaves: only its header is proven. */
export function crashedState(segments: readonly BuiltSegment[]): LogState {
  const last = segments[segments.length - 1];
  if (last === undefined) throw new Error("crashedState of no segment");
  return { lastSegmentId: last.id, durableOffset: last.baseOffset + BigInt(SEGMENT_HEADER_SIZE) };
}

/** Runs recovery alone (no I/O loop) on a real directory, the strict LOGSTATE rule on unless told. */
export function recover(core: Core, dir: string, options: { salvage?: boolean; strict?: boolean } = {}): RecoveredLog {
  const io = createRealIo(core, "sync");
  try {
    return recoverLog(core, io, dir, options.salvage ?? false, options.strict ?? true);
  } finally {
    io.dispose();
  }
}

/** The error recovery throws (or null): with its name, file, offset and reason. */
export function recoveryError(core: Core, dir: string, options: { salvage?: boolean; strict?: boolean } = {}): unknown {
  try {
    recover(core, dir, options);
    return null;
  } catch (error) {
    return error;
  }
}

export function flipByte(file: string, offset: number, mask = 0x01): void {
  const bytes = fs.readFileSync(file);
  if (offset >= bytes.byteLength) throw new RangeError(`offset ${offset} is outside ${file} (${bytes.byteLength} bytes)`);
  bytes[offset] = (bytes[offset] as number) ^ mask;
  fs.writeFileSync(file, bytes);
}

export function segmentNames(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith(".seg")).sort();
}

/** Every file's bytes, to check that a refused open changed nothing. */
export function snapshot(dir: string): Map<string, string> {
  return new Map(fs.readdirSync(dir).sort().map((name) => [name, fs.readFileSync(path.join(dir, name)).toString("hex")]));
}
