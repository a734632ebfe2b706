// The sync-mark policy (docs/FORMAT.md "Sync marks"). A sync mark is a frame without an LSN that
// says "every stream byte below `durable` was fdatasynced when this frame was written". Recovery
// uses it to prove that a bad frame below it is damage to synced bytes (corruption), not an
// unsynced torn tail.
//
// Two kinds of placement, one frame format:
// - leading: in front of the next entry, whenever the durable offset moved since the last mark.
//   Costs 17 bytes per group commit and no extra sync: it rides with the next turn.
// - trailing: after a sync that left entries unproven with nothing framed behind them (an explicit
//   sync(), in every durability mode). It needs one more fdatasync to become proof itself, which
//   sync() waits for. A mark is never sealed in the same turn as the bytes it proves: a crash can
//   persist a later sector of a turn and not an earlier one, so a mark written beside its bytes
//   could "prove" bytes that never reached the disk.
import { FRAME_HEADER_SIZE } from "../core/index.js";
import { assert } from "../assert.js";
import { InvalidArgumentError } from "../errors.js";
import { type EntryMalformed, EntryType } from "./log-entry.js";

/** A sync mark's payload: the type byte and the durable offset (u64). */
export const SYNC_MARK_PAYLOAD_SIZE = 1 + 8;
export const SYNC_MARK_FRAME_SIZE = FRAME_HEADER_SIZE + SYNC_MARK_PAYLOAD_SIZE;

assert(SYNC_MARK_FRAME_SIZE === 17, "docs/FORMAT.md gives a sync mark frame as 17 bytes");

/** A sync mark's payload: type 8, then `durable` (u64 LE), the stream offset synced below it. */
export function encodeSyncMark(durable: bigint): Uint8Array {
  if (typeof durable !== "bigint" || durable < 0n || durable >= 1n << 64n) throw new InvalidArgumentError(`a durable offset is a u64 bigint; got ${String(durable)}`);
  const payload = new Uint8Array(SYNC_MARK_PAYLOAD_SIZE);
  payload[0] = EntryType.SyncMark;
  new DataView(payload.buffer).setBigUint64(1, durable, true);
  return payload;
}

/** The durable offset a sync mark payload (type byte first) carries, or the rule it breaks. */
export function decodeSyncMark(payload: Uint8Array): bigint | EntryMalformed {
  if (payload[0] !== EntryType.SyncMark) return { malformed: `a payload of type ${payload[0] ?? "none"} read as a sync mark` };
  const bodySize = SYNC_MARK_PAYLOAD_SIZE - 1;
  if (payload.byteLength !== SYNC_MARK_PAYLOAD_SIZE) return { malformed: `a sync mark body of ${payload.byteLength - 1} bytes, not ${bodySize}` };
  return new DataView(payload.buffer, payload.byteOffset + 1, bodySize).getBigUint64(0, true);
}

export class SyncMarkPolicy {
  /** The ring's durable-turn counter when the last mark was placed (-1: none yet). */
  private markedTurns = -1;
  /** The `durable` value of the last mark placed: stream bytes below it are proven. */
  private provenOffset = 0;
  /** The stream offset just past the last byte that is not a mark (an entry or a header). */
  private unmarkedEnd = 0;

  constructor(startOffset: number) {
    this.provenOffset = startOffset;
    this.unmarkedEnd = startOffset;
  }

  /** Whether the next entry needs a leading mark: the durable offset moved since the last one. */
  leadingMarkDue(durableTurns: number): boolean {
    return durableTurns !== this.markedTurns;
  }

  /**
   * Whether a trailing mark would prove something: every entry is durable, some are not yet
   * proven, and nothing has been framed after them.
   */
  trailingMarkDue(durable: number, position: number): boolean {
    return position === this.unmarkedEnd && durable >= this.unmarkedEnd && this.unmarkedEnd > this.provenOffset;
  }

  /** Records a mark placed with the durable offset it states, at that durable-turn count. */
  marked(durableTurns: number, durable: number): void {
    this.markedTurns = durableTurns;
    if (durable > this.provenOffset) this.provenOffset = durable;
  }

  /** Records entry or header bytes framed up to `end`. */
  framed(end: number): void {
    this.unmarkedEnd = end;
  }
}
