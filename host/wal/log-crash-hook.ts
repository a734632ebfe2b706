// For the simulator only, and not part of the public Log class: a simulated crash kills the
// process a log lives in. The log registers how to abandon itself; simulate-log.ts calls it.
import { type Log } from "./log.js";

const abandoners = new WeakMap<Log, (error: Error) => void>();

export function registerCrashAbandon(log: Log, abandon: (error: Error) => void): void {
  abandoners.set(log, abandon);
}

/**
 * The process this log lived in died (a simulated crash): releases its memory, rejects its
 * waiters, and does no I/O at all, so the disk stays as the crash left it.
 */
export function abandonLogAfterCrash(log: Log, error: Error): void {
  abandoners.get(log)?.(error);
}
