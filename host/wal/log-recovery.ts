// Recovery on open: read LOGSTATE and every segment, decide per segment with the recovery table
// (recovery-table.ts), apply the decision (cut a torn tail, remove a torn creation, or stop at
// corruption), and check what no single segment shows: that the segments join up (no hole in
// stream offsets or LSNs), that the segment LOGSTATE names is there, and that the first segment
// is where the retirement point says the log starts. Runs on the opening thread, on the cold half
// of StorageIo, before the I/O loop starts. docs/FORMAT.md "Recovery" is the same list in prose.
import { type Core } from "../core/index.js";
import { CorruptLogError } from "../errors.js";
import { type StorageIo } from "../io/storage-io.js";
import { LOG_STATE_FILE_NAME, LOG_STATE_TEMP_NAME, type LogState, installLogState, readLogState } from "./log-state.js";
import { type RecoveryRow, type StateSays, type StopState, decideRecovery } from "./recovery-table.js";
import { SEGMENT_HEADER_SIZE, type SegmentHeader, isMisnamedSegment, segmentFileName, segmentHeaderState, segmentIdOfName } from "./segment-format.js";
import { checkSegmentEntries, durableProofAfter, scanSegmentFrames } from "./segment-scan.js";

/**
 * The rule "a log with frames has a LOGSTATE" (every writer installs one before its first frame:
 * io-loop.ts, at creation, rotation, open and close). recoverLog's last parameter can turn it
 * off, for tests of the rules a log without a state would get.
 */
export const LOG_STATE_REQUIRED = true;

export interface RecoveredSegment {
  readonly header: SegmentHeader;
  /** Bytes in the file after recovery (header included). */
  readonly size: number;
  readonly entryCount: number;
}

/** Where recovery found something, and what. `file` is a name in the log directory. */
export interface RecoveryFinding {
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
}

export interface RecoveryReport {
  /** The last segment's torn tail, cut: where, and how many bytes went. */
  readonly tornTail: { readonly file: string; readonly offset: number; readonly droppedBytes: number; readonly reason: string } | null;
  /** Segments whose creation was cut short, removed. */
  readonly removedTornSegments: string[];
  /** With salvage: where corruption was found and what was dropped from there on. */
  readonly salvaged: { readonly file: string; readonly offset: number; readonly reason: string; readonly droppedBytes: number; readonly droppedSegments: string[] } | null;
  /**
   * With salvage: corruption accepted without cutting anything (a missing or damaged LOGSTATE, a
   * missing segment at either end, a file named like a segment but not one).
   */
  readonly acceptedDamage: RecoveryFinding[];
  /** Segments wholly before the last durable truncate marker, removed. */
  readonly retiredRemoved: string[];
}

export interface RecoveredLog {
  readonly segments: RecoveredSegment[];
  /** The stream offset where the next byte goes. */
  readonly position: bigint;
  readonly nextLsn: bigint;
  /** The highest epoch a kept barrier or truncate marker carries. */
  readonly epoch: bigint;
  /** Entries with an LSN below this were retired by truncateBefore. */
  readonly retiredBefore: bigint;
  /** Above every id on disk and the one LOGSTATE names: ids are never reused. */
  readonly nextSegmentId: bigint;
  readonly report: RecoveryReport;
}

interface SegmentFile {
  readonly name: string;
  readonly path: string;
  readonly id: bigint;
}

/** A missing LOGSTATE, under the strict rule: no segment is named, none is proven durable. */
const NO_LOG_STATE: LogState = { lastSegmentId: 0n, durableOffset: 0n };

class Recovery {
  private readonly segments: RecoveredSegment[] = [];
  private epoch = 0n;
  private retiredBefore = 0n;
  private tornTail: RecoveryReport["tornTail"] = null;
  private readonly removedTornSegments: string[] = [];
  private salvaged: RecoveryReport["salvaged"] = null;
  private readonly acceptedDamage: RecoveryFinding[] = [];
  /** The LOGSTATE the rules use; null: none (the interim switch, or salvage set a bad one aside). */
  private state: LogState | null = null;
  /** Whether `state` stands for a LOGSTATE file that is not there (NO_LOG_STATE). */
  private stateMissing = false;
  /** The id LOGSTATE named, kept even if salvage sets the state aside: ids are never reused. */
  private stateSegmentId = 0n;

  constructor(
    private readonly core: Core,
    private readonly io: StorageIo,
    private readonly dir: string,
    private readonly salvage: boolean,
    private readonly logStateRequired: boolean,
  ) {}

  run(): RecoveredLog {
    this.readState();
    const { files, misnamed } = listLogFiles(this.io, this.dir);
    for (const name of misnamed) this.damage(name, 0, "a file named like a segment, but not log-<16 lowercase hex digits>.seg with an id of at least 1 (a renamed segment?)");
    this.checkNamedSegmentPresent(files);
    for (let i = 0; i < files.length; i++) {
      if (!this.recoverSegment(files[i] as SegmentFile, i === files.length - 1)) {
        this.dropFrom(files.slice(i + 1));
        break;
      }
    }
    this.checkStart();
    const retiredRemoved = this.removeRetired();
    const last = this.segments[this.segments.length - 1];
    const position = last === undefined ? 0n : last.header.baseOffset + BigInt(last.size);
    const lastFileId = files.length === 0 ? 0n : (files[files.length - 1] as SegmentFile).id;
    this.installStateAfterSalvage(last, position);
    return {
      segments: this.segments,
      position,
      nextLsn: last === undefined ? 1n : last.header.baseLsn + BigInt(last.entryCount),
      epoch: this.epoch,
      retiredBefore: this.retiredBefore,
      nextSegmentId: (lastFileId > this.stateSegmentId ? lastFileId : this.stateSegmentId) + 1n,
      report: {
        tornTail: this.tornTail, removedTornSegments: this.removedTornSegments, salvaged: this.salvaged, acceptedDamage: this.acceptedDamage, retiredRemoved,
      },
    };
  }

  /** LOGSTATE.tmp is a crash mid-install: removed. A LOGSTATE that does not decode is corruption. */
  private readState(): void {
    const temp = `${this.dir}/${LOG_STATE_TEMP_NAME}`;
    if (this.io.exists(temp)) this.io.removeFile(temp);
    const found = readLogState(this.core, this.io, this.dir);
    if (found === "missing") {
      this.state = this.logStateRequired ? NO_LOG_STATE : null;
      this.stateMissing = this.logStateRequired;
    } else if (typeof found === "string") {
      // No slot verifies: a crash tears at most the slot being written, so this is damage.
      this.damage(LOG_STATE_FILE_NAME, 0, `LOGSTATE does not decode (${found})`);
    } else {
      this.state = found;
      this.stateSegmentId = found.lastSegmentId;
    }
  }

  private checkNamedSegmentPresent(files: readonly SegmentFile[]): void {
    const named = this.state?.lastSegmentId ?? 0n;
    if (named === 0n || files.some((file) => file.id === named)) return;
    this.damage(segmentFileName(named), 0, `segment ${segmentFileName(named)}, named by LOGSTATE as the last one with a durable header, is missing`);
  }

  private stateSays(id: bigint): StateSays {
    if (this.state === null) return "none";
    return id <= this.state.lastSegmentId ? "named" : "above";
  }

  /** Recovers one segment; false if recovery stops here (salvaged corruption). */
  private recoverSegment(file: SegmentFile, last: boolean): boolean {
    const bytes = this.io.readSmallFile(file.path) ?? new Uint8Array(0);
    const rest = bytes.subarray(Math.min(bytes.byteLength, SEGMENT_HEADER_SIZE));
    const restNonZero = rest.some((b) => b !== 0);
    const logState = this.stateSays(file.id);
    const header = segmentHeaderState(this.core, bytes, file.id);
    if (header.state !== "valid") {
      const row = decideRecovery({ header: header.state, stop: "clean", provenDurable: false, belowDurableFloor: false, restNonZero, last, logState });
      return this.apply(row, file, 0, `segment header ${header.problem} (${row.label}: ${row.why})`, bytes.byteLength);
    }
    const previous = this.segments[this.segments.length - 1];
    if (previous !== undefined && !joins(previous, header.header)) {
      const reason = `segment does not continue the previous one (stream ${header.header.baseOffset}, LSN ${header.header.baseLsn}; expected ${previous.header.baseOffset + BigInt(previous.size)}, ${previous.header.baseLsn + BigInt(previous.entryCount)})`;
      return this.corrupt(file, 0, reason, bytes.byteLength);
    }
    return this.recoverFrames(file, header.header, bytes, { last, restNonZero, logState });
  }

  private recoverFrames(file: SegmentFile, header: SegmentHeader, bytes: Uint8Array, facts: { last: boolean; restNonZero: boolean; logState: StateSays }): boolean {
    const rest = bytes.subarray(SEGMENT_HEADER_SIZE);
    const frameAreaStream = header.baseOffset + BigInt(SEGMENT_HEADER_SIZE);
    const scan = scanSegmentFrames(this.core, rest, header.frameSeed);
    const entries = checkSegmentEntries(rest, scan.frames, header.baseLsn, frameAreaStream);
    const stopOffset = entries.bad?.offset ?? scan.stopOffset;
    // A zero tail is a clean end only in the last segment: R2 cut every other one back to its data.
    const stop: StopState = entries.bad !== null ? "entry" : scan.stop === "End" || (scan.stop === "ZeroTail" && facts.last) ? "clean" : "bad";
    const stopStream = frameAreaStream + BigInt(stopOffset);
    const provenDurable = stop === "bad" && durableProofAfter(this.core, rest, stopOffset + 1, header.frameSeed, stopStream, frameAreaStream);
    const belowDurableFloor = this.state !== null && stopStream < this.state.durableOffset;
    const row = decideRecovery({ header: "valid", stop, provenDurable, belowDurableFloor, ...facts });
    const stopInFile = SEGMENT_HEADER_SIZE + stopOffset;
    if (row.label === "@L") return this.unnamedSegment(file, header, bytes, row, facts.last);
    let goOn = true;
    if (row.action === "corrupt") {
      const floor = this.state?.durableOffset ?? 0n;
      const proof = belowDurableFloor ? `below LOGSTATE's durable offset ${floor}` : provenDurable ? "and a later sync mark proves it was synced" : "";
      const what = entries.bad?.reason ?? (stop === "clean" ? `the data ends at stream offset ${stopStream}, below LOGSTATE's durable offset ${floor}` : `${scan.stop} at a frame at stream offset ${stopStream}${proof === "" ? "" : `, ${proof}`}`);
      goOn = this.corrupt(file, stopInFile, `${what} (${row.label}: ${row.why})`, bytes.byteLength);
    } else if (stopInFile < bytes.byteLength) {
      // Cut either way; only a bad stop is a torn tail. A zero tail is space the loop wrote ahead
      // (preallocation), or unsynced appends lost as a whole: nothing there was acknowledged.
      this.cut(file, stopInFile);
      if (row.action === "cut-torn-tail") {
        this.tornTail = { file: file.name, offset: stopInFile, droppedBytes: bytes.byteLength - stopInFile, reason: `${scan.stop} (${row.label}: ${row.why})` };
      }
    }
    // Markers count only from frames kept: a torn or salvaged tail's markers never retire anything.
    if (entries.retiredBefore > this.retiredBefore) this.retiredBefore = entries.retiredBefore;
    if (entries.epoch > this.epoch) this.epoch = entries.epoch;
    this.segments.push({ header, size: stopInFile, entryCount: entries.entryCount });
    return goOn;
  }

  /**
   * @L: bytes in a segment above LOGSTATE's last one. Without a LOGSTATE file that is the rule
   * "a log with frames has a LOGSTATE", and the error names LOGSTATE; salvage then goes on as if
   * there were no state. Otherwise salvage keeps the header and cuts the rest.
   */
  private unnamedSegment(file: SegmentFile, header: SegmentHeader, bytes: Uint8Array, row: RecoveryRow, last: boolean): boolean {
    if (this.stateMissing) {
      this.damage(LOG_STATE_FILE_NAME, 0, `LOGSTATE is missing, and ${file.name} holds frames${last ? "" : " or is not the last segment"} (${row.label})`);
      this.state = null;
      this.stateMissing = false;
      return this.recoverSegment(file, last);
    }
    const reason = `bytes after the header of a segment above LOGSTATE's last segment ${this.state?.lastSegmentId} (${row.label}: ${row.why})`;
    const goOn = this.corrupt(file, SEGMENT_HEADER_SIZE, reason, bytes.byteLength);
    this.segments.push({ header, size: SEGMENT_HEADER_SIZE, entryCount: 0 });
    return goOn;
  }

  /** Applies a decision on a segment whose header is not valid. */
  private apply(row: RecoveryRow, file: SegmentFile, offset: number, reason: string, size: number): boolean {
    if (row.action === "remove-torn-segment") {
      this.io.removeFile(file.path);
      this.io.syncDirectory(this.dir);
      this.removedTornSegments.push(file.name);
      return true;
    }
    return this.corrupt(file, offset, reason, size);
  }

  /** Corruption in a segment: an error, or with salvage a cut there; false: recovery stops. */
  private corrupt(file: SegmentFile, offset: number, reason: string, size: number): boolean {
    if (!this.salvage) throw corruptLogError(file.path, file.name, offset, reason);
    if (offset < SEGMENT_HEADER_SIZE) {
      this.io.removeFile(file.path);
      this.io.syncDirectory(this.dir);
    } else {
      this.cut(file, offset);
    }
    this.salvaged = { file: file.name, offset, reason, droppedBytes: size - (offset < SEGMENT_HEADER_SIZE ? 0 : offset), droppedSegments: [] };
    return false;
  }

  /** Corruption that nothing is cut for: an error, or with salvage a finding in the report. */
  private damage(name: string, offset: number, reason: string): void {
    if (!this.salvage) throw corruptLogError(`${this.dir}/${name}`, name, offset, reason);
    this.acceptedDamage.push({ file: name, offset, reason });
  }

  /**
   * Where the log starts: the first segment must begin at or before the retirement point (the
   * highest kept truncate marker's beforeLsn, or LSN 1), and a segment that begins at LSN 1 begins
   * the stream (offset 0). Anything else is a missing first segment.
   */
  private checkStart(): void {
    const first = this.segments[0];
    if (first === undefined) return;
    const { baseLsn, baseOffset, segmentId } = first.header;
    const start = this.retiredBefore > 1n ? this.retiredBefore : 1n;
    const name = segmentFileName(segmentId);
    if (baseLsn > start) {
      this.damage(name, 0, `the log's first segment is missing: ${name} starts at LSN ${baseLsn} (stream offset ${baseOffset}), but the log starts at LSN ${start} (no kept truncate marker retires the entries before it)`);
    } else if (baseLsn === 1n && baseOffset !== 0n) {
      this.damage(name, 0, `the log's first segment is missing: ${name} starts at LSN 1 but at stream offset ${baseOffset}, not 0`);
    }
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

  /**
   * Removes segments whose entries all lie before the retirement point (never the last), oldest
   * first, syncing the directory after each: the segments left are always a run without a hole.
   */
  private removeRetired(): string[] {
    const removed: string[] = [];
    while (this.segments.length > 1) {
      const next = this.segments[1] as RecoveredSegment;
      if (next.header.baseLsn > this.retiredBefore) break;
      const oldest = this.segments.shift() as RecoveredSegment;
      const name = segmentFileName(oldest.header.segmentId);
      this.io.removeFile(`${this.dir}/${name}`);
      this.io.syncDirectory(this.dir);
      removed.push(name);
    }
    return removed;
  }

  /**
   * After salvage changed or accepted anything, LOGSTATE is installed for the log as it is now
   * (its last segment synced first), so that a crash before the I/O loop installs its own does
   * not make the next open find the same damage again. Only under the strict rule: a writer that
   * does not keep LOGSTATE up to date would leave this one behind, and stale.
   */
  private installStateAfterSalvage(last: RecoveredSegment | undefined, position: bigint): void {
    if (!this.logStateRequired || last === undefined) return;
    if (this.salvaged === null && this.acceptedDamage.length === 0) return;
    const handle = this.io.openFile(`${this.dir}/${segmentFileName(last.header.segmentId)}`, { create: false });
    try {
      this.io.syncFile(handle);
    } finally {
      this.io.closeFile(handle);
    }
    this.io.syncDirectory(this.dir);
    installLogState(this.core, this.io, this.dir, { lastSegmentId: last.header.segmentId, durableOffset: position });
  }
}

function joins(previous: RecoveredSegment, header: SegmentHeader): boolean {
  return header.baseOffset === previous.header.baseOffset + BigInt(previous.size) &&
    header.baseLsn === previous.header.baseLsn + BigInt(previous.entryCount);
}

function corruptLogError(path: string, name: string, offset: number, reason: string): CorruptLogError {
  return new CorruptLogError(`corrupt log: ${name} at offset ${offset}: ${reason}. Open with { salvage: true } to cut the log there.`, path, offset, reason);
}

/** The segment files in id order, and the names that look like segments but are not. */
function listLogFiles(io: StorageIo, dir: string): { files: SegmentFile[]; misnamed: string[] } {
  const files: SegmentFile[] = [];
  const misnamed: string[] = [];
  for (const name of io.listDirectory(dir)) {
    const id = segmentIdOfName(name);
    if (id !== undefined) files.push({ name, path: `${dir}/${name}`, id });
    else if (isMisnamedSegment(name)) misnamed.push(name);
  }
  files.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { files, misnamed };
}

export function listSegmentFiles(io: StorageIo, dir: string): SegmentFile[] {
  return listLogFiles(io, dir).files;
}

export function recoverLog(core: Core, io: StorageIo, dir: string, salvage: boolean, logStateRequired = LOG_STATE_REQUIRED): RecoveredLog {
  return new Recovery(core, io, dir, salvage, logStateRequired).run();
}
