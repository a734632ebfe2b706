// One space as the open store holds it: its definition, its sealed blocks, its live tail, and
// where its next record goes (direct to its hot segment, or staged while it is being sealed).
import { type LiveTail } from "./live-tail.js";
import { type RecoveredBlock } from "./store-recovery.js";
import { type QueuedRecord } from "./queued-record.js";
import { type WriterStream } from "./write-queue.js";

export interface SpaceInfo {
  readonly name: string;
  readonly dims: number;
  readonly bits: number;
}

export interface SpaceState {
  readonly spaceId: number;
  readonly name: string;
  readonly dims: number;
  readonly bits: number;
  /** The revision of its definition record (0n when only the manifest holds it). */
  readonly definedAt: bigint;
  /** Listed in the installed manifest. */
  listed: boolean;
  sealedRevision: bigint;
  blocks: RecoveredBlock[];
  readonly tail: LiveTail;
  /** The hot segment its direct records go to. */
  hot: WriterStream;
  hotGeneration: bigint;
  /** Every hot segment file of the space (the current one last): a seal removes them all. */
  hotFiles: string[];
  /** False while a seal runs: its records go to staging. */
  direct: boolean;
  /** Records of this space in staging and in no hot segment, in revision order: promoted after the seal. */
  staged: QueuedRecord[];
  /** Records and bytes written since its last seal started (the seal thresholds). */
  unsealedRecords: number;
  unsealedBytes: number;
  /** The seal in flight, if any. */
  sealing: Promise<SealResult> | null;
}

export interface SealResult {
  /** The revision sealed through (every record of the space at or below it is in a block). */
  readonly revision: bigint;
  readonly blocks: number;
  readonly records: number;
}

export function spaceInfoOf(space: SpaceState): SpaceInfo {
  return { name: space.name, dims: space.dims, bits: space.bits };
}
