// Recovery on open: read every segment, decide per segment with the recovery table, apply the
// decision (cut a torn tail, remove a torn creation, or stop at corruption), and check that the
// segments join up (no hole in stream offsets or LSNs). Runs on the opening thread, on the cold
// half of StorageIo, before the I/O loop starts.
import { type Core } from "../core/index.js";
import { CorruptLogError } from "../errors.js";
import { type StorageIo } from "../io/storage-io.js";
import { EntryType, decodeEntry } from "./log-entry.js";
import { type HeaderState, type RecoveryAction, decideRecovery } from "./recovery-table.js";
import { SEGMENT_HEADER_SIZE, type SegmentHeader, decodeSegmentHeader, segmentFileName, segmentIdOfName } from "./segment-format.js";
import { durableProofAfter, scanSegmentFrames } from "./segment-scan.js";

export interface RecoveredSegment {
  readonly header: SegmentHeader;
  /** Bytes in the file after recovery (header included). */
  readonly size: number;
  readonly entryCount: number;
}

export interface RecoveryReport {
  /** The last segment's torn tail, cut: where, and how many bytes went. */
  readonly tornTail: { readonly file: string; readonly offset: number; readonly droppedBytes: number; readonly reason: string } | null;
  /** Segments whose creation was cut short, removed. */
  readonly removedTornSegments: string[];
  /** With salvage: where corruption was found and what was dropped from there on. */
  readonly salvaged: { readonly file: string; readonly offset: number; readonly reason: string; readonly droppedBytes: number; readonly droppedSegments: string[] } | null;
  /** Segments wholly before the last durable truncate marker, removed. */
  readonly retiredRemoved: string[];
}

export interface RecoveredLog {
  readonly segments: RecoveredSegment[];
  /** The stream offset where the next byte goes. */
  readonly position: bigint;
  readonly nextLsn: bigint;
  readonly epoch: bigint;
  /** Entries with an LSN below this were retired by truncateBefore. */
  readonly retiredBefore: bigint;
  readonly nextSegmentId: bigint;
  readonly report: RecoveryReport;
}

interface SegmentFile {
  readonly name: string;
  readonly path: string;
  readonly id: bigint;
}

function headerState(core: Core, bytes: Uint8Array): HeaderState | SegmentHeader {
  if (bytes.byteLength < SEGMENT_HEADER_SIZE) return bytes.every((b) => b === 0) ? "empty" : "torn";
  const header = decodeSegmentHeader(core, bytes);
  return typeof header === "string" ? "invalid" : header;
}

class Recovery {
  private readonly segments: RecoveredSegment[] = [];
  private epoch = 0n;
  private retiredBefore = 0n;
  private tornTail: RecoveryReport["tornTail"] = null;
  private readonly removedTornSegments: string[] = [];
  private salvaged: RecoveryReport["salvaged"] = null;

  constructor(private readonly core: Core, private readonly io: StorageIo, private readonly dir: string, private readonly salvage: boolean) {}

  run(files: readonly SegmentFile[]): RecoveredLog {
    for (let i = 0; i < files.length; i++) {
      const file = files[i] as SegmentFile;
      if (!this.recoverSegment(file, i === files.length - 1)) {
        this.dropFrom(files.slice(i + 1));
        break;
      }
    }
    const retiredRemoved = this.removeRetired();
    const last = this.segments[this.segments.length - 1];
    const lastId = files.length === 0 ? 0n : (files[files.length - 1] as SegmentFile).id;
    return {
      segments: this.segments,
      position: last === undefined ? 0n : last.header.baseOffset + BigInt(last.size),
      nextLsn: last === undefined ? 1n : last.header.baseLsn + BigInt(last.entryCount),
      epoch: this.epoch,
      retiredBefore: this.retiredBefore,
      nextSegmentId: lastId + 1n,
      report: { tornTail: this.tornTail, removedTornSegments: this.removedTornSegments, salvaged: this.salvaged, retiredRemoved },
    };
  }

  /** Recovers one segment; false if recovery stops here (salvaged corruption). */
  private recoverSegment(file: SegmentFile, last: boolean): boolean {
    const bytes = this.io.readSmallFile(file.path) ?? new Uint8Array(0);
    const header = headerState(this.core, bytes);
    const rest = bytes.subarray(Math.min(bytes.byteLength, SEGMENT_HEADER_SIZE));
    if (typeof header === "string") {
      const row = decideRecovery({ header, stop: "clean", provenDurable: false, restNonZero: rest.some((b) => b !== 0), last });
      return this.apply(row.action, file, 0, `segment header ${header} (${row.label}: ${row.why})`, bytes.byteLength);
    }
    const scan = scanSegmentFrames(this.core, rest, header.frameSeed);
    const clean = scan.stop === "End" || scan.stop === "ZeroTail";
    const stopInFile = SEGMENT_HEADER_SIZE + scan.stopOffset;
    const stopStream = header.baseOffset + BigInt(stopInFile);
    const provenDurable = !clean && durableProofAfter(this.core, rest, scan.stopOffset + 1, header.frameSeed, stopStream);
    const row = decideRecovery({ header: "valid", stop: clean ? "clean" : "bad", provenDurable, restNonZero: true, last });
    const previous = this.segments[this.segments.length - 1];
    if (previous !== undefined && !this.joins(previous, header)) {
      return this.apply("corrupt", file, 0, `segment does not continue the previous one (stream ${header.baseOffset}, LSN ${header.baseLsn})`, bytes.byteLength);
    }
    let goOn = true;
    if (row.action === "corrupt") {
      goOn = this.apply("corrupt", file, stopInFile, `${scan.stop} at a frame (${row.label}: ${row.why})`, bytes.byteLength);
    } else if (stopInFile < bytes.byteLength && !last) {
      goOn = this.apply("corrupt", file, stopInFile, `zeros inside a segment that was synced whole (${scan.stop})`, bytes.byteLength);
    } else if (stopInFile < bytes.byteLength) {
      // Cut either way; only a bad stop is a torn tail. A zero tail is space the loop wrote ahead
      // (preallocation), or unsynced appends lost as a whole: nothing there was acknowledged.
      this.cut(file, stopInFile);
      if (scan.stop !== "ZeroTail") {
        this.tornTail = { file: file.name, offset: stopInFile, droppedBytes: bytes.byteLength - stopInFile, reason: `${scan.stop} (${row.label}: ${row.why})` };
      }
    }
    // Salvage keeps the frames before the stop: the segment stays, cut there.
    this.collectMarkers(rest, scan.frames);
    const entryCount = scan.frames.filter((frame) => frame.type !== EntryType.SyncMark).length;
    this.segments.push({ header, size: stopInFile, entryCount });
    return goOn;
  }

  private joins(previous: RecoveredSegment, header: SegmentHeader): boolean {
    return header.baseOffset === previous.header.baseOffset + BigInt(previous.size) &&
      header.baseLsn === previous.header.baseLsn + BigInt(previous.entryCount);
  }

  /** Epoch barriers and truncate markers steer the writer's state after recovery. */
  private collectMarkers(rest: Uint8Array, frames: ReadonlyArray<{ offset: number; payloadLength: number; type: number }>): void {
    for (const frame of frames) {
      if (frame.type !== EntryType.EpochBarrier && frame.type !== EntryType.Truncate) continue;
      const entry = decodeEntry(rest.subarray(frame.offset + 8, frame.offset + 8 + frame.payloadLength));
      if (entry === "malformed") continue;
      if (entry.type === "epoch-barrier" && entry.epoch > this.epoch) this.epoch = entry.epoch;
      if (entry.type === "truncate" && entry.beforeLsn > this.retiredBefore) this.retiredBefore = entry.beforeLsn;
    }
  }

  /** Applies a non-accept decision; returns whether recovery goes on with the next segment. */
  private apply(action: RecoveryAction, file: SegmentFile, offset: number, reason: string, size: number): boolean {
    if (action === "remove-torn-segment") {
      this.io.removeFile(file.path);
      this.io.syncDirectory(this.dir);
      this.removedTornSegments.push(file.name);
      return true;
    }
    if (!this.salvage) {
      throw new CorruptLogError(`corrupt log: ${file.name} at offset ${offset}: ${reason}. Open with { salvage: true } to cut the log there.`, file.path, offset, reason);
    }
    if (offset < SEGMENT_HEADER_SIZE) {
      this.io.removeFile(file.path);
      this.io.syncDirectory(this.dir);
    } else {
      this.cut(file, offset);
    }
    this.salvaged = { file: file.name, offset, reason, droppedBytes: size - (offset < SEGMENT_HEADER_SIZE ? 0 : offset), droppedSegments: [] };
    return false;
  }

  private dropFrom(files: readonly SegmentFile[]): void {
    for (const file of files) {
      this.io.removeFile(file.path);
      this.salvaged?.droppedSegments.push(file.name);
    }
    if (files.length > 0) this.io.syncDirectory(this.dir);
  }

  private cut(file: SegmentFile, size: number): void {
    const handle = this.io.openFile(file.path, { create: false });
    try {
      this.io.truncate(handle, size);
    } finally {
      this.io.closeFile(handle);
    }
  }

  /** Removes segments whose entries all lie before the durable truncate marker (never the last). */
  private removeRetired(): string[] {
    const removed: string[] = [];
    while (this.segments.length > 1) {
      const next = this.segments[1] as RecoveredSegment;
      if (next.header.baseLsn > this.retiredBefore) break;
      const oldest = this.segments.shift() as RecoveredSegment;
      const name = segmentFileName(oldest.header.segmentId);
      this.io.removeFile(`${this.dir}/${name}`);
      removed.push(name);
    }
    if (removed.length > 0) this.io.syncDirectory(this.dir);
    return removed;
  }
}

export function listSegmentFiles(io: StorageIo, dir: string): SegmentFile[] {
  const files: SegmentFile[] = [];
  for (const name of io.listDirectory(dir)) {
    const id = segmentIdOfName(name);
    if (id !== undefined) files.push({ name, path: `${dir}/${name}`, id });
  }
  return files.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function recoverLog(core: Core, io: StorageIo, dir: string, salvage: boolean): RecoveredLog {
  return new Recovery(core, io, dir, salvage).run(listSegmentFiles(io, dir));
}
