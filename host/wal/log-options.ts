// openLog's options, checked once at the door: bad options are an InvalidArgumentError and
// nothing on disk is touched.
import { type Core, FRAME_PAYLOAD_MAX } from "../core/index.js";
import { InvalidArgumentError } from "../errors.js";
import { type Clock } from "../io/clock.js";
import { type StorageIo } from "../io/storage-io.js";
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

/** Every key LogOptions has: any other key is a mistake (a typo would otherwise be ignored). */
const LOG_OPTION_KEYS: ReadonlySet<string> = new Set([
  "durability", "segmentSizeMax", "ringSizeBytes", "entrySizeMax", "ioThread", "io", "salvage", "preallocate",
  "core", "storage", "clock", "timers",
]);

function booleanOption(options: LogOptions, name: "ioThread" | "salvage" | "preallocate"): boolean | undefined {
  const value: unknown = options[name];
  if (value !== undefined && typeof value !== "boolean") throw new InvalidArgumentError(`${name} must be a boolean; got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

function objectOption(options: LogOptions, name: "core" | "clock" | "timers", method: string): void {
  const value: unknown = options[name];
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || typeof (value as Record<string, unknown>)[method] !== "function") {
    throw new InvalidArgumentError(`${name} must be an object with a ${method}() method; got ${String(value)}`);
  }
}

function functionOption(options: LogOptions, name: "storage"): void {
  const value: unknown = options[name];
  if (value !== undefined && typeof value !== "function") throw new InvalidArgumentError(`${name} must be a function; got ${String(value)}`);
}

export function resolveLogOptions(options: LogOptions): ResolvedLogOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw new InvalidArgumentError(`openLog options must be an object; got ${String(options)}`);
  const unknown = Object.keys(options).filter((key) => !LOG_OPTION_KEYS.has(key));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown openLog option${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; the options are ${[...LOG_OPTION_KEYS].join(", ")}`);
  const ringSizeBytes = integerIn("ringSizeBytes", options.ringSizeBytes, 8 * MIB, 64 * 1024, 256 * MIB);
  if (ringSizeBytes % 4096 !== 0) throw new InvalidArgumentError(`ringSizeBytes must be a multiple of 4096; got ${ringSizeBytes}`);
  // An entry's payload is its type byte and the entry, and a frame's payload is at most
  // FRAME_PAYLOAD_MAX; a quarter of the ring keeps a large entry from starving the others.
  const entrySizeLimit = Math.min(ringSizeBytes / 4, FRAME_PAYLOAD_MAX - 1);
  const entrySizeMax = integerIn("entrySizeMax", options.entrySizeMax, Math.min(MIB, entrySizeLimit), 1, entrySizeLimit);
  const segmentSizeMax = integerIn("segmentSizeMax", options.segmentSizeMax, 64 * MIB, 4096, 1024 * MIB);
  const ioThread = booleanOption(options, "ioThread");
  const salvage = booleanOption(options, "salvage");
  const preallocate = booleanOption(options, "preallocate");
  objectOption(options, "core", "crc32c");
  objectOption(options, "clock", "nowMs");
  objectOption(options, "timers", "setTimer");
  functionOption(options, "storage");
  if (options.io !== undefined && options.io !== "sync" && options.io !== "threadpool") {
    throw new InvalidArgumentError(`io must be "sync" or "threadpool"; got ${String(options.io)}`);
  }
  if (options.storage !== undefined && ioThread === true) {
    throw new InvalidArgumentError("storage runs the I/O loop in-process: it cannot be combined with ioThread: true");
  }
  return {
    durability: parseDurability(options.durability),
    segmentSizeMax,
    ringSizeBytes,
    entrySizeMax,
    ioThread: options.storage === undefined && ioThread !== false,
    io: options.io ?? "threadpool",
    salvage: salvage === true,
    preallocateBytes: preallocate === false ? 0 : PREALLOCATE_STEP_BYTES,
  };
}
