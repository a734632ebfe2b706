// What openLog and the simulator do to a log that is not part of the public Log class: starting
// its I/O loop, and abandoning it after a simulated crash. The log registers both at
// construction; nothing outside host/wal and host/sim imports this file.
import { assert } from "../assert.js";
import { type LoopHandle } from "./io-thread.js";
import { type Log } from "./log.js";

/** Starts a log's loop through `host`; resolves once it runs (and, for a new log, its first segment is durable). */
export type LogStarter = (host: LoopHost) => Promise<void>;
export type LoopHost = (onFailure: (error: Error) => void, onProgress: () => void) => LoopHandle;

interface LogInternals {
  readonly start: LogStarter;
  readonly abandon: (error: Error) => void;
}

const internals = new WeakMap<Log, LogInternals>();

export function registerLogInternals(log: Log, parts: LogInternals): void {
  assert(!internals.has(log), "a log registers its internals once");
  internals.set(log, parts);
}

export function startLog(log: Log, host: LoopHost): Promise<void> {
  const parts = internals.get(log);
  assert(parts !== undefined, "a log registered its internals");
  return parts.start(host);
}

/**
 * For the simulator: the process this log lived in died (a simulated crash). Releases its
 * memory, rejects its waiters, and does no I/O at all, so the disk stays as the crash left it.
 */
export function abandonLogAfterCrash(log: Log, error: Error): void {
  internals.get(log)?.abandon(error);
}
