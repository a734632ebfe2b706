// The simulator's fault model: what may go wrong, how often, and the exact completion each fault
// produces. Faults are drawn from their own PRNG stream (SimDisk forks "faults"), so turning a knob
// does not shift latencies or crash decisions. Every probability is per op and defaults to 0.
//
// | knob                         | op        | what the caller sees                                      |
// |------------------------------|-----------|-----------------------------------------------------------|
// | writeEioProbability          | write     | result -5, errno "EIO"; a random prefix of the bytes      |
// |                              |           | (possibly none) still reached the page cache              |
// | writeEnospcProbability       | write     | result -28, errno "ENOSPC"; nothing written               |
// | capacityBytes                | write     | a write that would grow the files past it writes what     |
// |                              |           | fits and completes short; if nothing fits, "ENOSPC"       |
// | writeShortProbability        | write     | result k, 0 <= k < length; the first k bytes written      |
// | datasyncEioProbability       | datasync  | result -5, "EIO"; of the writes it covered, a prefix was   |
// |                              |           | made durable, each later one was dropped (never reaches    |
// |                              |           | the disk, as Linux marks failed dirty pages clean) or kept |
// |                              |           | pending, at random                                         |
// | readEioProbability           | read      | readAt throws IoError "EIO" (transient)                   |
// | bitFlipAtCrashProbability    | crash     | per surviving file: one stored bit flipped                |
// | readErrorAtCrashProbability  | crash     | per surviving file: one sector reads EIO until rewritten  |
// | schedule                     | any       | the listed fault on the nth op of a kind                  |
//
// Cold-path calls that fail throw IoError (DiskFullError for ENOSPC) with the same errno.
import { InvalidArgumentError } from "../errors.js";

export type SimFaultOp = "write" | "datasync" | "read";
export type SimFaultKind = "EIO" | "ENOSPC" | "short";

/** "Fail the nth op": the op counter counts every op of `op`'s kind (on `path` only, if given). */
export interface SimFaultRule {
  readonly op: SimFaultOp;
  /** 1-based: nth 1 is the first op of that kind since the disk was made. */
  readonly nth: number;
  /** "ENOSPC" and "short" apply to writes only. */
  readonly fault: SimFaultKind;
  /** Counts only ops on this path (as opened; normalised). */
  readonly path?: string;
}

export interface SimFaults {
  readonly writeEioProbability?: number;
  readonly writeEnospcProbability?: number;
  readonly writeShortProbability?: number;
  /** Total bytes all files may hold (the sum of their sizes); unlimited if omitted. */
  readonly capacityBytes?: number;
  readonly datasyncEioProbability?: number;
  readonly readEioProbability?: number;
  readonly bitFlipAtCrashProbability?: number;
  readonly readErrorAtCrashProbability?: number;
  readonly schedule?: readonly SimFaultRule[];
}

export const SIM_FAULTS_NONE: SimFaults = {};

const PROBABILITY_KNOBS = [
  "writeEioProbability", "writeEnospcProbability", "writeShortProbability", "datasyncEioProbability",
  "readEioProbability", "bitFlipAtCrashProbability", "readErrorAtCrashProbability",
] as const;

/** Throws InvalidArgumentError for a knob no disk could follow (a probability above 1, nth 0). */
export function checkFaults(faults: SimFaults): SimFaults {
  for (const knob of PROBABILITY_KNOBS) {
    const p = faults[knob];
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new InvalidArgumentError(`${knob} is in [0, 1]; got ${p}`);
  }
  const capacity = faults.capacityBytes;
  if (capacity !== undefined && !(Number.isSafeInteger(capacity) && capacity >= 0)) {
    throw new InvalidArgumentError(`capacityBytes is a non-negative integer; got ${capacity}`);
  }
  for (const rule of faults.schedule ?? []) {
    if (!Number.isSafeInteger(rule.nth) || rule.nth < 1) throw new InvalidArgumentError(`a fault rule's nth is 1-based; got ${rule.nth}`);
    if (rule.op !== "write" && rule.fault !== "EIO") {
      throw new InvalidArgumentError(`a ${rule.op} can only fail with EIO; got ${rule.fault}`);
    }
  }
  return faults;
}

/** Counts ops per kind (and per kind and path) and answers which scheduled fault, if any, hits an op. */
export class FaultSchedule {
  private readonly counts = new Map<string, number>();

  /** Counts this op and returns the fault the schedule gives it, or null. */
  next(faults: SimFaults, op: SimFaultOp, path: string, normalize: (path: string) => string): SimFaultKind | null {
    const total = this.bump(op);
    const onPath = this.bump(`${op} ${path}`);
    for (const rule of faults.schedule ?? []) {
      if (rule.op !== op) continue;
      const count = rule.path === undefined ? total : normalize(rule.path) === path ? onPath : -1;
      if (count === rule.nth) return rule.fault;
    }
    return null;
  }

  private bump(key: string): number {
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count;
  }
}
