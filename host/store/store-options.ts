// open()'s options, checked once at the door: bad options are an InvalidArgumentError and nothing
// on disk is touched.
import { type Core } from "../core/index.js";
import { InvalidArgumentError } from "../errors.js";
import { type Clock } from "../io/clock.js";
import { type StorageIo } from "../io/storage-io.js";
import { type Durability, type DurabilityOption, parseDurability } from "../wal/durability.js";
import { type TimerSource } from "../wal/loop-waker.js";
import { STORE_PREALLOCATE_BYTES } from "./store-loop.js";
import { PUT_FIXED_SIZE, PUT_VALUE_SIZE_MAX } from "./store-record.js";

export interface StoreOptions {
  /** "sync" (default), { intervalMs }, or "none": as the log's (host/wal/durability.ts). */
  readonly durability?: DurabilityOption;
  /**
   * A space is sealed once this many records were written to it since its last seal. Default
   * 256 Ki: it bounds the live tail (memory, and its largest merge: tail-runs.ts) and recovery's replay.
   */
  readonly sealRecords?: number;
  /** ... or once their keys and values pass this many bytes. Default 64 MiB. */
  readonly sealBytes?: number;
  /** Run the I/O loop in a worker thread (default true) or on the calling thread. */
  readonly ioThread?: boolean;
  /** In-process backend when ioThread is false: "threadpool" (default) or "sync". */
  readonly io?: "sync" | "threadpool";
  /**
   * Write zeros ahead of each hot segment's and staging's data (1 MiB steps, while turns are
   * small) so that fdatasync overwrites allocated blocks instead of growing the file. Default true.
   */
  readonly preallocate?: boolean;
  /**
   * Bytes of sealed blocks' chunks kept decoded and verified in memory, counted as their size on
   * disk (chunk-cache.ts), least recently used out first. Default 16 MiB; 0 keeps none.
   */
  readonly cacheBytes?: number;
  /** Share a loaded core (its memory hosts the ring). Default: a new one per store. */
  readonly core?: Core;
  /** For the simulator and tests: the StorageIo to use (implies ioThread: false). */
  readonly storage?: (core: Core) => StorageIo;
  readonly clock?: Clock;
  readonly timers?: TimerSource;
}

export interface ResolvedStoreOptions {
  readonly durability: Durability;
  readonly sealRecords: number;
  readonly sealBytes: number;
  readonly ioThread: boolean;
  readonly io: "sync" | "threadpool";
  /** Bytes of zeros per preallocation step; 0 when off. */
  readonly preallocateBytes: number;
  readonly cacheBytes: number;
  /** A StorageIo was given (the simulator, tests): the loop runs in-process on it. */
  readonly customStorage: boolean;
}

const MIB = 1 << 20;
/** The chunk cache's default budget: on-disk bytes; the decoded records take a few times that in the heap. */
export const STORE_CACHE_BYTES_DEFAULT = 16 * MIB;
/**
 * The commit ring: 32 MiB + 64 KiB, so that half of it (the largest piece, piece-writer.ts) holds
 * a put of the largest value, PUT_VALUE_SIZE_MAX, with its frame and piece headers.
 */
export const STORE_RING_SIZE = 32 * MIB + 64 * 1024;
// Frame header 8 + the put + piece header 16 + padding 15.
if (8 + PUT_FIXED_SIZE + PUT_VALUE_SIZE_MAX + 16 + 15 > STORE_RING_SIZE / 2 - 16) throw new Error("the ring holds the largest put");

const STORE_OPTION_KEYS: ReadonlySet<string> = new Set([
  "durability", "sealRecords", "sealBytes", "ioThread", "io", "preallocate", "cacheBytes", "core", "storage", "clock", "timers",
]);

function integerIn(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}; got ${String(value)}`);
  }
  return value;
}

function checkObject(options: StoreOptions, name: "core" | "clock" | "timers", method: string): void {
  const value: unknown = options[name];
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || typeof (value as Record<string, unknown>)[method] !== "function") {
    throw new InvalidArgumentError(`${name} must be an object with a ${method}() method; got ${String(value)}`);
  }
}

export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw new InvalidArgumentError(`open options must be an object; got ${String(options)}`);
  const unknown = Object.keys(options).filter((key) => !STORE_OPTION_KEYS.has(key));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown open option${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; the options are ${[...STORE_OPTION_KEYS].join(", ")}`);
  const ioThread: unknown = options.ioThread;
  if (ioThread !== undefined && typeof ioThread !== "boolean") throw new InvalidArgumentError(`ioThread must be a boolean; got ${JSON.stringify(ioThread) ?? String(ioThread)}`);
  const preallocate: unknown = options.preallocate;
  if (preallocate !== undefined && typeof preallocate !== "boolean") throw new InvalidArgumentError(`preallocate must be a boolean; got ${JSON.stringify(preallocate) ?? String(preallocate)}`);
  if (options.io !== undefined && options.io !== "sync" && options.io !== "threadpool") throw new InvalidArgumentError(`io must be "sync" or "threadpool"; got ${String(options.io)}`);
  checkObject(options, "core", "crc32c");
  checkObject(options, "clock", "nowMs");
  checkObject(options, "timers", "setTimer");
  if (options.storage !== undefined && typeof options.storage !== "function") throw new InvalidArgumentError(`storage must be a function; got ${String(options.storage)}`);
  if (options.storage !== undefined && ioThread === true) throw new InvalidArgumentError("storage runs the I/O loop in-process: it cannot be combined with ioThread: true");
  return {
    durability: parseDurability(options.durability),
    sealRecords: integerIn("sealRecords", options.sealRecords, 1 << 18, 1, 1 << 22),
    sealBytes: integerIn("sealBytes", options.sealBytes, 64 * MIB, 1024, 1024 * MIB),
    ioThread: options.storage === undefined && ioThread !== false,
    io: options.io ?? "threadpool",
    preallocateBytes: preallocate === false ? 0 : STORE_PREALLOCATE_BYTES,
    cacheBytes: integerIn("cacheBytes", options.cacheBytes, STORE_CACHE_BYTES_DEFAULT, 0, 2 ** 40),
    customStorage: options.storage !== undefined,
  };
}
