// The process that holds a log directory's LOCK, as the LOCK sees it (docs/FORMAT.md, "LOCK").
//
// A LOCK record names its holder by an identity string. Whether that holder still runs is a
// question only the process's own world can answer: the operating system for a real process
// (host/io/process-lock-owner.ts: pid + start time + boot id), the simulated disk's crash count
// for the simulator (host/sim/sim-io.ts: a crash kills the simulated process). A StorageIo that is
// not the real process supplies its own owner (StorageIo.lockOwner); the rest get the real one.
//
// The owner also brings the one write the LOCK needs that StorageIo's cold path lacks: an
// overwrite in place. A released LOCK is never deleted, and taking it again rewrites the block it
// already has, so a log opens on a 100% full disk. It stays here, not in StorageIo.overwriteAt:
// a LOCK record is also cut after its bytes (an older, longer record must not survive past it).

/** What became of the process a LOCK record names. */
export type LockOwnerStatus =
  /** This very process (any of its threads): the directory is open in this process already. */
  | "self"
  /** Another process that still runs. */
  | "running"
  /** No process with that identity runs: it died (killed, crashed, or the machine rebooted). */
  | "gone"
  /** This process cannot tell (it may not read /proc or signal the pid): treated as running. */
  | "unknown";

export interface LockOwner {
  /**
   * This process's identity as its LOCK records carry it: `key=value` tokens of [0-9a-z-] joined
   * by single spaces (FORMAT.md "LOCK"), at most LOCK_IDENTITY_SIZE_MAX bytes.
   */
  readonly identity: string;
  /** What the holder named by `identity` (read from a LOCK record) is now. */
  statusOf(identity: string): LockOwnerStatus;
  /** A few words on what `statusOf` could not check, for the message of an "unknown" LOCK. */
  readonly limits: string;
  /**
   * Makes the existing file at `path` hold exactly `record`: written over its first bytes in place
   * (a block the file has already is reused, so nothing is allocated), cut after them, synced.
   * Throws IoError (DiskFullError for ENOSPC), like the cold path.
   */
  overwrite(path: string, record: Uint8Array): void;
  /** The kernel's advisory lock where the runtime offers one (Deno's flock); null elsewhere. */
  readonly advisoryLock: AdvisoryLock | null;
}

/**
 * A real advisory lock (flock(2): per open file, dropped by the kernel when the holder dies, in
 * any pid namespace). Node has no binding for it; Deno has (FsFile.tryLockSync), and the native
 * shim will. With one, pid reuse cannot matter: the kernel, not the identity, says who holds it.
 */
export interface AdvisoryLock {
  /**
   * Opens the file at `path` (creating it empty if missing: no data block is needed) and takes an
   * exclusive lock without waiting. Null if another open file holds it, in this process or another.
   */
  tryLock(path: string): AdvisoryLockHandle | null;
}

export interface AdvisoryLockHandle {
  /** Drops the lock and closes the file. */
  unlock(): void;
}

/** An identity's longest form: fits the fixed-size LOCK record (host/wal/lock-record.ts asserts it). */
export const LOCK_IDENTITY_SIZE_MAX = 96;

const IDENTITY_PATTERN = /^[a-z]+=[0-9a-z-]+( [a-z]+=[0-9a-z-]+)*$/;

/** Whether `identity` follows the grammar: `key=value` tokens joined by single spaces. */
export function isLockIdentity(identity: string): boolean {
  return identity.length <= LOCK_IDENTITY_SIZE_MAX && IDENTITY_PATTERN.test(identity);
}

/** The identity's tokens as a map (`pid=7 start=9` -> pid: "7", start: "9"); null if it breaks the grammar. */
export function identityFields(identity: string): Map<string, string> | null {
  if (!isLockIdentity(identity)) return null;
  const fields = new Map<string, string>();
  for (const token of identity.split(" ")) {
    const at = token.indexOf("=");
    const key = token.slice(0, at);
    if (fields.has(key)) return null;
    fields.set(key, token.slice(at + 1));
  }
  return fields;
}
