// One process per log directory: the LOCK file (docs/FORMAT.md "LOCK"; the record is
// host/wal/lock-record.ts, the owner host/io/lock-owner.ts).
//
// The decision is a table (STYLE habit 9). Its facts:
//   kernel  none (no advisory lock: Node, Bun, the simulator) | taken (we got the flock) | refused
//   record  absent | unreadable (any bytes but a whole record: a write torn at a crash) | free
//           | held | held-flock (the holder also took the flock)
//   owner   what the owner says of the identity in a held record: self | running | gone | unknown
//
//   @A kernel refused, record names self             -> DirectoryInUseError: open in this process already
//   @B kernel refused, otherwise                     -> DirectoryLockedError: another process holds the flock
//   @C record absent                                 -> take: create LOCK exclusively (one new block, once per directory)
//   @D record unreadable or free                     -> take: overwrite it in place
//   @E record held-flock, kernel taken               -> take: the kernel dropped the holder's flock, so it died
//   @F record held or held-flock, owner self         -> DirectoryInUseError (a worker thread of this process counts)
//   @G record held or held-flock, owner running      -> DirectoryLockedError
//   @H record held or held-flock, owner gone         -> take: overwrite in place
//   @I record held or held-flock, owner unknown      -> DirectoryLockedError, saying what could not be checked
// (@E comes before @F..@I; @A/@B before all.)
//
// Taking writes this process's record (held, or held-flock with the kernel lock), syncs it and
// reads it back. Releasing overwrites it with the free record and never deletes the file: a LOCK
// keeps its one block for good, so reopening on a 100% full disk writes nothing new (deleting it
// at close, as this file once did, made the next open need a block and fail with ENOSPC).
//
// What the identity file cannot decide: two processes that both read the same free or stale
// record before either writes can both take it (the read-back catches one that writes while the
// other is still reading back, not every interleaving). create-exclusive closes that window for a
// new directory; only the advisory lock closes it everywhere.
import { assert } from "../assert.js";
import { DirectoryInUseError, DirectoryLockedError } from "../errors.js";
import { type AdvisoryLockHandle, type LockOwner, type LockOwnerStatus } from "../io/lock-owner.js";
import { processLockOwner } from "../io/process-lock-owner.js";
import { type StorageIo } from "../io/storage-io.js";
import { type LockRead, type LockRecord, decodeLockRecord, encodeLockRecord } from "./lock-record.js";
// A cycle (log-directory.ts names LOCK_FILE_NAME): both names are read only inside functions.
import { IDENTITY_FILE_NAME } from "./log-directory.js";

export const LOCK_FILE_NAME = "LOCK";

export type LockKernel = "none" | "taken" | "refused";

export type LockDecision =
  | { readonly row: "A" | "F"; readonly action: "in-use" }
  | { readonly row: "B" | "G" | "I"; readonly action: "locked" }
  | { readonly row: "C"; readonly action: "create" }
  | { readonly row: "D" | "E" | "H"; readonly action: "overwrite" };

/** The table above, as a pure function of its facts. `status` is asked only of a held record. */
export function decideLock(kernel: LockKernel, record: LockRead | "absent", status: (identity: string) => LockOwnerStatus): LockDecision {
  const held = record !== "absent" && (record.state === "held" || record.state === "held-flock") ? record : null;
  if (kernel === "refused") return held !== null && status(held.identity) === "self" ? { row: "A", action: "in-use" } : { row: "B", action: "locked" };
  if (record === "absent") return { row: "C", action: "create" };
  if (held === null) return { row: "D", action: "overwrite" };
  if (held.state === "held-flock" && kernel === "taken") return { row: "E", action: "overwrite" };
  switch (status(held.identity)) {
    case "self": return { row: "F", action: "in-use" };
    case "running": return { row: "G", action: "locked" };
    case "gone": return { row: "H", action: "overwrite" };
    case "unknown": return { row: "I", action: "locked" };
  }
}

/**
 * @deprecated Whether the process that wrote a LOCK still runs, by the old pid-only record.
 * LOCK records name owners by identity now; a StorageIo supplies its own owner (lockOwner).
 */
export type LockOwnerAlive = (content: string) => boolean;

/** @deprecated Kept for callers of the old acquire(io, dir, ownerAlive, ownerContent); it is ignored there. */
export const processOwnerAlive: LockOwnerAlive = (content) => processLockOwner().statusOf(content.trim()) !== "gone";

export interface DirectoryLockOptions {
  /** Who takes the LOCK. Default: the StorageIo's lockOwner, else this OS process. */
  readonly owner?: LockOwner;
}

export class DirectoryLock {
  private released = false;

  private constructor(
    private readonly io: StorageIo,
    private readonly owner: LockOwner,
    private readonly dir: string,
    private readonly kernel: AdvisoryLockHandle | null,
    /** This acquire made the LOCK file: the directory had none. */
    private readonly created: boolean,
  ) {}

  private get path(): string {
    return `${this.dir}/${LOCK_FILE_NAME}`;
  }

  /**
   * Takes `dir`'s LOCK, or throws DirectoryLockedError (another process has it) or
   * DirectoryInUseError (this process has it open already). The old form, with an ownerAlive
   * function and the owner's content as third and fourth arguments, still compiles; both are ignored.
   */
  static acquire(io: StorageIo, dir: string, options: DirectoryLockOptions | LockOwnerAlive = {}, legacyOwnerContent?: string): DirectoryLock {
    assert(legacyOwnerContent === undefined || typeof options === "function", "the owner's content comes only with the old ownerAlive form");
    const owner = (typeof options === "function" ? undefined : options.owner) ?? io.lockOwner ?? realProcessOwner(io);
    const path = `${dir}/${LOCK_FILE_NAME}`;
    const existed = owner.advisoryLock !== null && io.exists(path);
    const kernel = owner.advisoryLock?.tryLock(path) ?? null;
    try {
      const state: LockKernel = owner.advisoryLock === null ? "none" : kernel === null ? "refused" : "taken";
      const row = DirectoryLock.take(io, owner, dir, path, state);
      return new DirectoryLock(io, owner, dir, kernel, row === "C" || (state === "taken" && !existed));
    } catch (error) {
      kernel?.unlock();
      throw error;
    }
  }

  /** Decides (the table) and takes the LOCK; returns the row that took it. */
  private static take(io: StorageIo, owner: LockOwner, dir: string, path: string, kernel: LockKernel): LockDecision["row"] {
    const mine: LockRecord = { state: kernel === "taken" ? "held-flock" : "held", identity: owner.identity };
    const bytes = encodeLockRecord(mine);
    // Two rounds: a create that loses the race to another process's create decides again.
    for (let round = 0; round < 2; round++) {
      const found = io.readSmallFile(path);
      const record = found === undefined ? "absent" : decodeLockRecord(found);
      const decision = decideLock(kernel, record, (identity) => owner.statusOf(identity));
      const shown = found === undefined ? "none" : new TextDecoder().decode(found).trim() || "empty";
      if (decision.action === "in-use") {
        throw new DirectoryInUseError(`${dir} is already open in this process (LOCK: ${shown}); close that log first, or share it`);
      }
      if (decision.action === "locked") throw lockedError(dir, path, shown, decision.row, owner);
      if (decision.action === "create" && !io.createSmallFile(path, bytes)) continue;
      if (decision.action === "overwrite") owner.overwrite(path, bytes);
      checkReadBack(io, dir, path, bytes);
      return decision.row;
    }
    throw new DirectoryLockedError(`${dir}: another process created the LOCK while this one was taking it`);
  }

  /**
   * Marks the LOCK free (overwritten in place, never deleted), then drops the kernel lock. A LOCK
   * this lock created in a directory that never became a log (no SPACELOG: the open failed, say
   * with NotALogError) is removed instead, so the folder is left as it was found. A process that
   * died since it took the LOCK (a simulated crash) holds nothing and does no I/O.
   */
  release(): void {
    assert(!this.released, "a directory lock is released once");
    this.released = true;
    if (this.owner.statusOf(this.owner.identity) !== "self") return;
    try {
      if (this.created && !this.io.exists(`${this.dir}/${IDENTITY_FILE_NAME}`)) this.io.removeFile(this.path);
      else this.owner.overwrite(this.path, encodeLockRecord({ state: "free" }));
    } finally {
      this.kernel?.unlock();
    }
  }
}

function realProcessOwner(io: StorageIo): LockOwner {
  // A simulated backend that names no owner would take the LOCK as this OS process, on paths that
  // exist only on the simulated disk.
  assert(io.kind !== "sim", "a simulated StorageIo supplies its lockOwner");
  return processLockOwner();
}

function lockedError(dir: string, path: string, shown: string, row: LockDecision["row"], owner: LockOwner): DirectoryLockedError {
  if (row === "B") return new DirectoryLockedError(`${dir} is locked by another process (it holds the flock on ${path}; LOCK: ${shown})`);
  if (row === "I") {
    return new DirectoryLockedError(
      `${dir} is locked (LOCK: ${shown}), and this process cannot tell whether its holder still runs: ${owner.limits}. ` +
      `If no process uses the directory, delete ${path}`,
    );
  }
  return new DirectoryLockedError(`${dir} is locked by another process (LOCK: ${shown}); close it there first`);
}

/** Pairs the write with a read (STYLE habit 1): another process that wrote meanwhile wins, and this one stops. */
function checkReadBack(io: StorageIo, dir: string, path: string, bytes: Uint8Array): void {
  const back = io.readSmallFile(path);
  const same = back !== undefined && back.byteLength === bytes.byteLength && back.every((byte, i) => byte === bytes[i]);
  if (!same) {
    const shown = back === undefined ? "none" : new TextDecoder().decode(back).trim();
    throw new DirectoryLockedError(`${dir}: another process took the LOCK at the same moment (LOCK: ${shown})`);
  }
}
