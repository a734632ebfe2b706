// Crash models: what a power loss does to one file's writes that were not synced. The candidates
// are the file's pending writes and size changes plus its writes still in flight, in submission
// order (op id). Synced bytes are durable already and no model touches them.
//
// | model           | each candidate                                                               |
// |-----------------|------------------------------------------------------------------------------|
// | "drop-unsynced" | dropped. Directory changes never synced are dropped too: the disk is exactly  |
// |                 | its durable state.                                                            |
// | "random-prefix" | a prefix (k of n, k uniform in 0..n) lands; with probability 1/2 the next    |
// |                 | write lands cut at a uniform byte (0..length-1). A later write never lands    |
// |                 | without every earlier one of the same file.                                   |
// | "sectors"       | each 512-byte sector of each write (split at file offsets that are multiples  |
// |                 | of 512) independently lands, is dropped, or is filled with PRNG garbage, 1/3  |
// |                 | each; a size change lands with probability 1/2. Garbage is damage beside the  |
// |                 | pristine durable bytes (SimInode.damage).                                     |
//
// In "random-prefix" and "sectors", each directory change never synced survives with probability
// 1/2, if the changes it depends on survived (sim-namespace.ts).
import { assert } from "../assert.js";
import { type Prng } from "./prng.js";
import { type PendingEntry, SECTOR_SIZE, type SimInode } from "./sim-inode.js";

export const CRASH_MODELS = ["drop-unsynced", "random-prefix", "sectors"] as const;
export type CrashModel = (typeof CRASH_MODELS)[number];

export function isCrashModel(model: string): model is CrashModel {
  return (CRASH_MODELS as readonly string[]).includes(model);
}

/** What a crash did to one file, for the trace: candidates, landed whole, landed in part, garbage sectors. */
export interface CrashLanding {
  readonly candidates: number;
  readonly landed: number;
  readonly partial: number;
  readonly garbage: number;
}

/** Applies `model` to `candidates` (sorted by op id) of `inode`. */
export function landAtCrash(model: CrashModel, inode: SimInode, candidates: readonly PendingEntry[], prng: Prng): CrashLanding {
  for (let i = 1; i < candidates.length; i++) {
    assert((candidates[i - 1] as PendingEntry).opId < (candidates[i] as PendingEntry).opId, "crash candidates are in submission order");
  }
  switch (model) {
    case "drop-unsynced":
      return { candidates: candidates.length, landed: 0, partial: 0, garbage: 0 };
    case "random-prefix":
      return landPrefix(inode, candidates, prng);
    case "sectors":
      return landSectors(inode, candidates, prng);
  }
}

function landPrefix(inode: SimInode, candidates: readonly PendingEntry[], prng: Prng): CrashLanding {
  const count = prng.below(candidates.length + 1);
  for (let i = 0; i < count; i++) inode.land(candidates[i] as PendingEntry);
  let partial = 0;
  const next = candidates[count];
  if (prng.chance(0.5) && next !== undefined && next.kind === "write") {
    inode.land(next, prng.below(next.bytes.byteLength));
    partial = 1;
  }
  return { candidates: candidates.length, landed: count, partial, garbage: 0 };
}

function landSectors(inode: SimInode, candidates: readonly PendingEntry[], prng: Prng): CrashLanding {
  let landed = 0;
  let partial = 0;
  let garbage = 0;
  for (const entry of candidates) {
    if (entry.kind === "size") {
      if (prng.chance(0.5)) inode.land(entry);
      continue;
    }
    const end = entry.offset + entry.bytes.byteLength;
    let kept = 0;
    let pieces = 0;
    for (let at = entry.offset; at < end; ) {
      const pieceEnd = Math.min(end, (Math.floor(at / SECTOR_SIZE) + 1) * SECTOR_SIZE);
      const fate = prng.below(3);
      if (fate === 0) {
        inode.landBytes(at, entry.bytes.subarray(at - entry.offset, pieceEnd - entry.offset));
        kept++;
      } else if (fate === 2) {
        fillWithGarbage(inode, at, pieceEnd - at, prng);
        garbage++;
      }
      pieces++;
      at = pieceEnd;
    }
    if (kept === pieces) landed++;
    else if (kept > 0) partial++;
  }
  return { candidates: candidates.length, landed, partial, garbage };
}

/** The sector holds random bytes: the medium grows to cover it, and each byte is damage. */
function fillWithGarbage(inode: SimInode, offset: number, length: number, prng: Prng): void {
  if (offset + length > inode.durable.size) inode.durable.resize(offset + length);
  const noise = new Uint8Array(length);
  prng.fill(noise);
  for (let i = 0; i < length; i++) inode.damageByte(offset + i, noise[i] ?? 0);
}
