// The I/O loop's side of LOGSTATE (docs/FORMAT.md "Log state"): what the file holds now, and the
// decisions of when to write it. The loop calls it at open, after each new segment's R1, and at
// close; it does the cold-path I/O and throws IoError, which the loop turns into the log's failure.
import { type Core } from "../core/index.js";
import { type StorageIo } from "../io/storage-io.js";
import { LOG_STATE_FILE_NAME, type LogState, type StoredLogState, advanceLogState, installLogState, readLogState } from "./log-state.js";

export class LogStateKeeper {
  /** LOGSTATE as last read or written (null: there is none yet). */
  private onDisk: StoredLogState | null = null;

  constructor(private readonly core: Core, private readonly io: StorageIo, private readonly dir: string) {}

  /**
   * Reads the state recovery accepted (or, after salvage, installed), and fdatasyncs the file:
   * a process killed between a state's in-place write and its fdatasync leaves the new state in
   * the page cache only, and this open must not rely on it (staleAtOpen, then frames in the
   * segment it names) until it is durable. (The power-loss stage's rotation variant found it,
   * once in ~400 rounds: after a cut, frames in a segment above the LOGSTATE on disk.)
   */
  load(): void {
    const found = readLogState(this.core, this.io, this.dir);
    this.onDisk = typeof found === "string" ? null : found;
    if (this.onDisk === null) return;
    const file = this.io.openFile(`${this.dir}/${LOG_STATE_FILE_NAME}`, { create: false });
    try {
      this.io.syncFile(file);
    } finally {
      this.io.closeFile(file);
    }
  }

  /**
   * At open, for the segment the log continues (already fdatasynced by the caller): whether the
   * state must be rewritten before a frame goes in. A state naming this segment with a floor at
   * or below what recovery kept is still true (rotation and close raise the floor), and is left
   * as it is, so a log on a full disk still opens and reads. A missing state, one naming an older
   * segment (a crash inside a rotation), or a floor above the recovered end (after salvage) is not.
   */
  staleAtOpen(segmentId: bigint, recoveredEnd: bigint): boolean {
    const state = this.onDisk;
    return state === null || state.lastSegmentId !== segmentId || state.durableOffset > recoveredEnd;
  }

  /**
   * Whether a new state would name a segment the one on disk does not. Its creation may be only
   * in the page cache then (a process killed between R1's fdatasync and its directory fsync),
   * so the caller fsyncs the directory first, or a power cut could keep the state and lose the file.
   */
  namesNewSegment(segmentId: bigint): boolean {
    return this.onDisk === null || this.onDisk.lastSegmentId !== segmentId;
  }

  /**
   * Makes `state` the newest: over the other slot in place, fdatasynced (nothing allocated, so it
   * works on a full disk); or, for a log without one, a whole new file by rename and directory
   * fsync. A state that changes nothing is not written.
   */
  install(state: LogState): void {
    const onDisk = this.onDisk;
    if (onDisk !== null && onDisk.lastSegmentId === state.lastSegmentId && onDisk.durableOffset === state.durableOffset) return;
    this.onDisk = onDisk === null ? installLogState(this.core, this.io, this.dir, state) : advanceLogState(this.core, this.io, this.dir, onDisk, state);
  }
}
