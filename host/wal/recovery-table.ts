// Recovery decisions as a table (STYLE habit 9, after TigerBeetle's recovery_cases). A segment's
// state is reduced to a few facts; each combination maps to exactly one labelled row. The rows
// rely on three write-ordering rules of the I/O loop (docs/FORMAT.md "Write ordering"):
//   R1 a new segment's header is written, fdatasynced and its directory entry synced before any
//      frame goes into it;
//   R2 a segment is fdatasynced completely before any byte goes into the next one;
//   R3 frames go into a segment only once a LOGSTATE naming it is durable, and LOGSTATE's
//      durableOffset only ever names bytes already fdatasynced.
// So damage that a crash can cause is confined to the unsynced tail of the LAST segment, above
// LOGSTATE's durable offset; anything else is corruption, and is reported as such (file +
// offset), never silently cut.
//
// Legend:
//   header  valid | empty (every byte of the file is 0, or it has none) | torn (< 64 bytes, not all 0)
//           | invalid (>= 64 bytes, not all 0, the checksum fails) | wrong (the checksum holds, but a
//           field breaks a rule: magic, version, kind other than 3, reserved bytes, frame seed,
//           baseLsn 0, or an id other than the file name's)
//   stop    clean (End, ZeroTail) | bad (Torn, Crc, Length) | entry (a frame that verifies but whose
//           payload breaks the format: does not decode, a sync mark claiming bytes after itself, a
//           truncate marker past its own LSN) — where the frame scan stopped
//   proven  a valid sync mark after the stop says the stop's offset was already durable when the
//           mark was written (so the bad frame is damage to synced bytes, not an unsynced tail)
//   floor   the stop's stream offset is below LOGSTATE's durableOffset (bytes proven durable)
//   rest    bytes after the 64-byte header are not all zero
//   last    this is the last segment file
//   state   named (id <= LOGSTATE's lastSegmentId: its header was durable before any frame went in)
//           | above (id > lastSegmentId: no frame went in yet; a missing LOGSTATE reads as
//           lastSegmentId 0, so every segment is above it) | none (no LOGSTATE is used: the interim
//           switch, or salvage accepted a missing or damaged one)
//
//   @A valid, state!=above, stop clean, !(last and floor)  -> accept (a zero tail in the last segment is cut)
//   @B valid, state!=above, stop bad, !proven, !floor, last -> torn tail: cut at the stop, report (valid-looking
//                                                            frames after it were never known durable: a torn
//                                                            sector in the unsynced tail lets later ones survive)
//   @C valid, state!=above, stop bad, proven or floor      -> corrupt: a bad frame where the log was durable
//   @D valid, state!=above, stop bad, !proven, !floor, !last -> corrupt: R2 made this segment whole before the next began
//   @E header empty|torn, state!=named, last               -> torn creation: remove the file, report
//   @F header empty|torn, state=named or !last             -> corrupt: R1 made this header durable (before LOGSTATE named it, or before the next segment)
//   @G header invalid, state!=named, last, !rest           -> torn creation (a garbage sector in an unsynced header): remove, report
//   @H header invalid, state=named or !last or rest        -> corrupt: R1 made the header durable before any frame
//   @I valid, state!=above, stop entry                     -> corrupt: its CRC matched, so a writer wrote it whole
//   @J valid, state!=above, stop clean, last, floor        -> corrupt: the log ends below bytes proven durable (a cut file)
//   @K valid, state=above, last, !rest                     -> accept: a creation or rotation caught between R1 and
//                                                            LOGSTATE; the open names it in LOGSTATE before any frame
//   @L valid, state=above, rest or !last                   -> corrupt: frames in a segment no LOGSTATE named (R3), or two
//                                                            segments above it (a rotation starts one at a time)
//   @M header wrong                                        -> corrupt: a header written whole, but not for this file

import { assert } from "../assert.js";

export type HeaderState = "valid" | "empty" | "torn" | "invalid" | "wrong";
export type StopState = "clean" | "bad" | "entry";
export type StateSays = "named" | "above" | "none";

export const HEADER_STATES: readonly HeaderState[] = ["valid", "empty", "torn", "invalid", "wrong"];
export const STOP_STATES: readonly StopState[] = ["clean", "bad", "entry"];
export const STATE_SAYS: readonly StateSays[] = ["named", "above", "none"];

export interface SegmentFacts {
  readonly header: HeaderState;
  /** Meaningful only when header is "valid". */
  readonly stop: StopState;
  readonly provenDurable: boolean;
  readonly belowDurableFloor: boolean;
  readonly restNonZero: boolean;
  readonly last: boolean;
  readonly logState: StateSays;
}

export type RecoveryAction = "accept" | "cut-torn-tail" | "remove-torn-segment" | "corrupt";

export interface RecoveryRow {
  readonly label: string;
  readonly action: RecoveryAction;
  readonly why: string;
  readonly matches: (facts: SegmentFacts) => boolean;
}

const framed = (f: SegmentFacts): boolean => f.header === "valid" && f.logState !== "above";
const creatable = (f: SegmentFacts): boolean => f.logState !== "named" && f.last;

export const recoveryRows: readonly RecoveryRow[] = [
  { label: "@A", action: "accept", why: "clean end", matches: (f) => framed(f) && f.stop === "clean" && !(f.last && f.belowDurableFloor) },
  { label: "@B", action: "cut-torn-tail", why: "the writer died mid-frame in the last segment's unsynced tail", matches: (f) => framed(f) && f.stop === "bad" && !f.provenDurable && !f.belowDurableFloor && f.last },
  { label: "@C", action: "corrupt", why: "a bad frame where a later sync mark or LOGSTATE shows the log was durable", matches: (f) => framed(f) && f.stop === "bad" && (f.provenDurable || f.belowDurableFloor) },
  { label: "@D", action: "corrupt", why: "a bad frame in a segment that was synced whole before the next one began", matches: (f) => framed(f) && f.stop === "bad" && !f.provenDurable && !f.belowDurableFloor && !f.last },
  { label: "@E", action: "remove-torn-segment", why: "the last segment's creation was cut short", matches: (f) => (f.header === "empty" || f.header === "torn") && creatable(f) },
  { label: "@F", action: "corrupt", why: "a missing or cut header that was durable (LOGSTATE names the segment, or a later segment exists)", matches: (f) => (f.header === "empty" || f.header === "torn") && !creatable(f) },
  { label: "@G", action: "remove-torn-segment", why: "an unverifiable header with nothing after it in the last segment", matches: (f) => f.header === "invalid" && creatable(f) && !f.restNonZero },
  { label: "@H", action: "corrupt", why: "an unverifiable header that was durable, or in front of data", matches: (f) => f.header === "invalid" && (!creatable(f) || f.restNonZero) },
  { label: "@I", action: "corrupt", why: "a frame that verifies but whose entry breaks the format", matches: (f) => framed(f) && f.stop === "entry" },
  { label: "@J", action: "corrupt", why: "the log ends below the offset LOGSTATE proved durable", matches: (f) => framed(f) && f.stop === "clean" && f.last && f.belowDurableFloor },
  { label: "@K", action: "accept", why: "a segment created just before LOGSTATE could name it, with no frame", matches: (f) => f.header === "valid" && f.logState === "above" && f.last && !f.restNonZero },
  { label: "@L", action: "corrupt", why: "bytes in a segment LOGSTATE does not name, or more than one such segment", matches: (f) => f.header === "valid" && f.logState === "above" && (f.restNonZero || !f.last) },
  { label: "@M", action: "corrupt", why: "a header that verifies but does not belong to this file in this log", matches: (f) => f.header === "wrong" },
];

/** The one row that matches; a fact combination with zero or two rows is a bug in the table. */
export function decideRecovery(facts: SegmentFacts): RecoveryRow {
  const rows = recoveryRows.filter((row) => row.matches(facts));
  const row = rows[0];
  assert(rows.length === 1 && row !== undefined, `recovery table: ${rows.length} rows match ${JSON.stringify(facts)}`);
  return row;
}

/** Every combination of facts, for the table's test and for documentation tools. */
export function everySegmentFacts(): SegmentFacts[] {
  const all: SegmentFacts[] = [];
  for (const header of HEADER_STATES) {
    for (const stop of STOP_STATES) {
      for (const logState of STATE_SAYS) {
        for (let bits = 0; bits < 16; bits++) {
          all.push({
            header, stop, logState,
            provenDurable: (bits & 1) !== 0, belowDurableFloor: (bits & 2) !== 0, restNonZero: (bits & 4) !== 0, last: (bits & 8) !== 0,
          });
        }
      }
    }
  }
  return all;
}
