// Picks a backend by name. "auto" is the threadpool until the io_uring backend lands; the choice
// is reported by the caller's stats() so a user can see what runs.
import { type Core } from "../core/index.js";
import { InvalidArgumentError } from "../errors.js";
import { type StorageIo } from "./storage-io.js";
import { SyncIo } from "./sync-io.js";
import { ThreadpoolIo } from "./threadpool-io.js";

export type RealIoKind = "sync" | "threadpool" | "auto";

export interface IoLimits {
  /** Ops in flight at once (the completion table's slots). */
  readonly opsMax: number;
  /** Files open at once. */
  readonly filesMax: number;
}

export const IO_LIMITS_DEFAULT: IoLimits = { opsMax: 1024, filesMax: 64 };

export function createRealIo(core: Core, kind: RealIoKind, limits: IoLimits = IO_LIMITS_DEFAULT): StorageIo {
  const completions = core.createCompletionTable(limits);
  switch (kind) {
    case "sync":
      return new SyncIo(completions, limits.filesMax);
    case "threadpool":
    case "auto":
      return new ThreadpoolIo(completions, limits.filesMax);
    default:
      completions.release();
      throw new InvalidArgumentError(`unknown I/O backend ${String(kind)}: use "sync", "threadpool" or "auto"`);
  }
}
