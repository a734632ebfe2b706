// What replay() yields: an entry with its LSN and where it sits.
import { type LogEntry } from "./log-entry.js";

export interface LogRecord {
  /** Log sequence number: 1 for the log's first entry, +1 per entry, never reused. */
  readonly lsn: bigint;
  readonly segmentId: bigint;
  /** Byte offset of the entry's frame in its segment file. */
  readonly offsetInSegment: number;
  /** Stream offset just past the entry: compare with position / syncedPosition. */
  readonly end: bigint;
  readonly entry: LogEntry;
}
