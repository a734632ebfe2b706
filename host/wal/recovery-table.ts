// Recovery decisions as a table (STYLE habit 9, after TigerBeetle's recovery_cases). A segment's
// state is reduced to a few facts; each combination maps to exactly one labelled row. The rows
// rely on two write-ordering rules of the I/O loop:
//   R1 a new segment's header is written, fdatasynced and its directory entry synced before any
//      frame goes into it;
//   R2 a segment is fdatasynced completely before any byte goes into the next one.
// So damage that a crash can cause is confined to the tail of the LAST segment; anything else
// is corruption, and is reported as such (file + offset), never silently cut.
//
// Legend:
//   header  valid | empty (size 0, or < 64 bytes all zero) | torn (< 64 bytes, not all zero)
//           | invalid (>= 64 bytes that do not verify)
//   stop    clean (End, ZeroTail) | bad (Torn, Crc, Length)   — where the frame scan stopped
//   proven  a valid sync mark after the stop says the stop's offset was already durable when the
//           mark was written (so the bad frame is damage to synced bytes, not an unsynced tail)
//   rest    bytes after the 64-byte header are not all zero
//   last    this is the last segment
//
//   @A header valid, stop clean                      -> accept (a zero tail in the last segment is cut)
//   @B header valid, stop bad, !proven, last         -> torn tail: cut at the stop, report (valid-looking
//                                                      frames after it were never known durable: a torn
//                                                      sector in the unsynced tail lets later ones survive)
//   @C header valid, stop bad, proven                -> corrupt: a bad frame where the log was durable
//   @D header valid, stop bad, !proven, !last        -> corrupt: R2 made this segment whole before the next began
//   @E header empty|torn, last                       -> torn creation: remove the file, report
//   @F header empty|torn, !last                      -> corrupt: R1 made this header durable before the next segment
//   @G header invalid, last, !rest                   -> torn creation (a garbage sector in an unsynced header): remove, report
//   @H header invalid, (!last or rest)               -> corrupt: R1 made the header durable before any frame

import { assert } from "../assert.js";

export type HeaderState = "valid" | "empty" | "torn" | "invalid";
export type StopState = "clean" | "bad";

export interface SegmentFacts {
  readonly header: HeaderState;
  /** Meaningful only when header is "valid". */
  readonly stop: StopState;
  readonly provenDurable: boolean;
  readonly restNonZero: boolean;
  readonly last: boolean;
}

export type RecoveryAction = "accept" | "cut-torn-tail" | "remove-torn-segment" | "corrupt";

export interface RecoveryRow {
  readonly label: string;
  readonly action: RecoveryAction;
  readonly why: string;
  readonly matches: (facts: SegmentFacts) => boolean;
}

export const recoveryRows: readonly RecoveryRow[] = [
  { label: "@A", action: "accept", why: "clean end", matches: (f) => f.header === "valid" && f.stop === "clean" },
  { label: "@B", action: "cut-torn-tail", why: "the writer died mid-frame in the last segment's unsynced tail", matches: (f) => f.header === "valid" && f.stop === "bad" && !f.provenDurable && f.last },
  { label: "@C", action: "corrupt", why: "a bad frame where a later sync mark shows the log was durable", matches: (f) => f.header === "valid" && f.stop === "bad" && f.provenDurable },
  { label: "@D", action: "corrupt", why: "a bad frame in a segment that was synced whole before the next one began", matches: (f) => f.header === "valid" && f.stop === "bad" && !f.provenDurable && !f.last },
  { label: "@E", action: "remove-torn-segment", why: "the last segment's creation was cut short", matches: (f) => (f.header === "empty" || f.header === "torn") && f.last },
  { label: "@F", action: "corrupt", why: "a missing or cut header in a segment that was synced before the next one began", matches: (f) => (f.header === "empty" || f.header === "torn") && !f.last },
  { label: "@G", action: "remove-torn-segment", why: "an unverifiable header with nothing after it in the last segment", matches: (f) => f.header === "invalid" && f.last && !f.restNonZero },
  { label: "@H", action: "corrupt", why: "an unverifiable header in front of data, or before a later segment", matches: (f) => f.header === "invalid" && (!f.last || f.restNonZero) },
];

/** The one row that matches; a fact combination with zero or two rows is a bug in the table. */
export function decideRecovery(facts: SegmentFacts): RecoveryRow {
  const rows = recoveryRows.filter((row) => row.matches(facts));
  const row = rows[0];
  assert(rows.length === 1 && row !== undefined, `recovery table: ${rows.length} rows match ${JSON.stringify(facts)}`);
  return row;
}
