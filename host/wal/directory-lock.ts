// One process per log directory. The LOCK file is created exclusively and holds the owner's pid;
// a LOCK whose owner is gone (the process was killed) is stale and is taken over. Deciding
// "gone" is a parameter so the simulator, where a crash kills the simulated process, can say so.
import { DirectoryLockedError } from "../errors.js";
import { type StorageIo } from "../io/storage-io.js";

export const LOCK_FILE_NAME = "LOCK";

/** Whether the process that wrote this LOCK content still runs. */
export type LockOwnerAlive = (content: string) => boolean;

export const processOwnerAlive: LockOwnerAlive = (content) => {
  const pid = Number.parseInt(content.trim().split(/\s+/)[0] ?? "", 10);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else: alive. ESRCH: gone.
    return typeof error === "object" && error !== null && "code" in error && error.code === "EPERM";
  }
};

export class DirectoryLock {
  private constructor(private readonly io: StorageIo, private readonly path: string) {}

  static acquire(io: StorageIo, dir: string, ownerAlive: LockOwnerAlive, ownerContent: string): DirectoryLock {
    const path = `${dir}/${LOCK_FILE_NAME}`;
    const bytes = new TextEncoder().encode(ownerContent);
    for (let attempt = 0; attempt < 2; attempt++) {
      if (io.createSmallFile(path, bytes)) return new DirectoryLock(io, path);
      const held = new TextDecoder().decode(io.readSmallFile(path) ?? new Uint8Array(0));
      if (ownerAlive(held)) {
        throw new DirectoryLockedError(`${dir} is locked by another process (LOCK: ${held.trim() || "empty"}); close it there first`);
      }
      io.removeFile(path); // stale: its owner died without closing
    }
    throw new DirectoryLockedError(`${dir}: another process took the LOCK while this one replaced a stale one`);
  }

  release(): void {
    this.io.removeFile(this.path);
  }
}
