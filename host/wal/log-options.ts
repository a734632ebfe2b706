// openLog's options, checked once at the door: bad options are an InvalidArgumentError and
// nothing on disk is touched.
import { type Core } from "../core/index.js";
import { InvalidArgumentError } from "../errors.js";
import { type Clock } from "../io/clock.js";
import { type StorageIo } from "../io/storage-io.js";
import { type LockOwnerAlive } from "./directory-lock.js";
import { type Durability, type DurabilityOption, parseDurability } from "./durability.js";
import { type TimerSource } from "./loop-waker.js";

export interface LogOptions {
  /** "sync" (default), { intervalMs }, or "none": see host/wal/durability.ts. */
  readonly durability?: DurabilityOption;
  /** A segment is closed and a new one started when the next entry would pass this size. Default 64 MiB. */
  readonly segmentSizeMax?: number;
  /** The commit ring's size: how many bytes writers may run ahead of the disk. Default 8 MiB. */
  readonly ringSizeBytes?: number;
  /** The largest entry payload. Default 1 MiB; at most a quarter of the ring. */
  readonly entrySizeMax?: number;
  /** Run the I/O loop in a worker thread (default true) or on the calling thread. */
  readonly ioThread?: boolean;
  /** In-process backend when ioThread is false: "threadpool" (default) or "sync". */
  readonly io?: "sync" | "threadpool";
  /** On corruption, cut the log at the first bad frame instead of refusing to open. */
  readonly salvage?: boolean;
  /**
   * Write zeros ahead of the active segment's data (1 MiB steps, while turns are small) so that
   * fdatasync overwrites allocated blocks instead of growing the file. Default true.
   */
  readonly preallocate?: boolean;
  /** Share a loaded core (its memory hosts the ring). Default: a new one per log. */
  readonly core?: Core;
  /** For the simulator and tests: the StorageIo to use (implies ioThread: false). */
  readonly storage?: (core: Core) => StorageIo;
  readonly clock?: Clock;
  readonly timers?: TimerSource;
  /**
   * @deprecated Ignored. The StorageIo's lockOwner (host/io/lock-owner.ts) says whether a LOCK's
   * holder still runs: the simulator's, or this OS process's by pid + start time + boot id.
   */
  readonly lockOwnerAlive?: LockOwnerAlive;
  /** @deprecated Ignored. A LOCK names its holder by the lockOwner's identity (docs/FORMAT.md "LOCK"). */
  readonly lockOwnerContent?: string;
}

export interface ResolvedLogOptions {
  readonly durability: Durability;
  readonly segmentSizeMax: number;
  readonly ringSizeBytes: number;
  readonly entrySizeMax: number;
  readonly ioThread: boolean;
  readonly io: "sync" | "threadpool";
  readonly salvage: boolean;
  /** Bytes of zeros per preallocation step; 0 when off. */
  readonly preallocateBytes: number;
}

/** The preallocation step: large enough that its one journal commit is rare, small enough to hide. */
export const PREALLOCATE_STEP_BYTES = 1 << 20;

const MIB = 1 << 20;

function integerIn(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}; got ${String(value)}`);
  }
  return value;
}

export function resolveLogOptions(options: LogOptions): ResolvedLogOptions {
  if (typeof options !== "object" || options === null) throw new InvalidArgumentError("openLog options must be an object");
  const ringSizeBytes = integerIn("ringSizeBytes", options.ringSizeBytes, 8 * MIB, 64 * 1024, 256 * MIB);
  if (ringSizeBytes % 4096 !== 0) throw new InvalidArgumentError(`ringSizeBytes must be a multiple of 4096; got ${ringSizeBytes}`);
  const entrySizeMax = integerIn("entrySizeMax", options.entrySizeMax, Math.min(MIB, ringSizeBytes / 4), 1, ringSizeBytes / 4);
  const segmentSizeMax = integerIn("segmentSizeMax", options.segmentSizeMax, 64 * MIB, 4096, 1024 * MIB);
  if (options.preallocate !== undefined && typeof options.preallocate !== "boolean") {
    throw new InvalidArgumentError(`preallocate must be a boolean; got ${String(options.preallocate)}`);
  }
  if (options.lockOwnerContent !== undefined && (typeof options.lockOwnerContent !== "string" || options.lockOwnerContent.length === 0)) {
    throw new InvalidArgumentError(`lockOwnerContent must be a non-empty string; got ${String(options.lockOwnerContent)}`);
  }
  if (options.io !== undefined && options.io !== "sync" && options.io !== "threadpool") {
    throw new InvalidArgumentError(`io must be "sync" or "threadpool"; got ${String(options.io)}`);
  }
  return {
    durability: parseDurability(options.durability),
    segmentSizeMax,
    ringSizeBytes,
    entrySizeMax,
    ioThread: options.storage === undefined && options.ioThread !== false,
    io: options.io ?? "threadpool",
    salvage: options.salvage === true,
    preallocateBytes: options.preallocate === false ? 0 : PREALLOCATE_STEP_BYTES,
  };
}
