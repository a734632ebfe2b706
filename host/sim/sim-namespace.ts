// Directory entries of the simulated file system, live and durable.
//
// `live` is what the running process sees. `durable` is what survives a crash. Each create, unlink,
// rename or mkdir changes `live` at once and is queued as a metadata op; it reaches `durable` only
// when a syncDirectory covers it (or, at a crash, by chance).
//
// An op is a unit: a rename changes two names and is applied whole or not at all, as journaling
// file systems do, so a crash never loses both the old and the new name of a file. Ops depend on
// earlier ops: B depends on A when they change the same path, or A made a directory that is an
// ancestor of a path B changes. Dependencies keep every durable state reachable: an unlink never
// lands without the create it undoes, a file never lands in a directory that did not.
//
// syncDirectory(dir) makes durable every pending op that changes an entry of `dir`, and, first,
// every earlier op those depend on (transitively); the rest stay pending. Syncing "/d" after
// "mkdir /d; create /d/x" therefore makes "/d" durable too, which is more than POSIX promises
// (it asks for an fsync of "/" as well) but never less than a real file system gives.
//
// At a crash each pending op is kept (with probability 1/2) only if every op it depends on was
// kept; under "drop-unsynced" none is kept.
import { assert } from "../assert.js";
import { type Prng } from "./prng.js";
import { ROOT, baseNameOf, isAncestor, parentOf } from "./sim-paths.js";

export type SimEntry = { readonly kind: "dir" } | { readonly kind: "file"; readonly inode: number };

const DIR: SimEntry = { kind: "dir" };

interface EntryChange {
  readonly path: string;
  /** The entry after the op; undefined removes the name. */
  readonly entry: SimEntry | undefined;
}

interface MetaOp {
  readonly changes: readonly EntryChange[];
  readonly mkdir: boolean;
}

/** Metadata ops waiting for a syncDirectory; more means the caller never syncs its directories. */
export const SIM_PENDING_META_OPS_MAX = 1 << 14;

export class SimNamespace {
  private live = new Map<string, SimEntry>([[ROOT, DIR]]);
  private durable = new Map<string, SimEntry>([[ROOT, DIR]]);
  private pending: MetaOp[] = [];

  lookup(path: string): SimEntry | undefined {
    return this.live.get(path);
  }

  lookupDurable(path: string): SimEntry | undefined {
    return this.durable.get(path);
  }

  /** Names in a live directory, sorted by UTF-16 code units (as Array.prototype.sort does). */
  list(dir: string): string[] {
    assert(this.live.get(dir)?.kind === "dir", `list(${dir}) of something that is not a directory`);
    const names: string[] = [];
    for (const path of this.live.keys()) {
      if (path !== ROOT && parentOf(path) === dir) names.push(baseNameOf(path));
    }
    return names.sort();
  }

  makeDirectory(path: string): void {
    this.checkParent(path);
    assert(!this.live.has(path), `mkdir of ${path}, which exists`);
    this.apply({ changes: [{ path, entry: DIR }], mkdir: true });
  }

  createFile(path: string, inode: number): void {
    this.checkParent(path);
    assert(!this.live.has(path), `create of ${path}, which exists`);
    this.apply({ changes: [{ path, entry: { kind: "file", inode } }], mkdir: false });
  }

  unlink(path: string): void {
    assert(this.live.get(path)?.kind === "file", `unlink of ${path}, which is not a file`);
    this.apply({ changes: [{ path, entry: undefined }], mkdir: false });
  }

  /** Moves a file's name; a file at `to` is replaced. */
  rename(from: string, to: string): void {
    const entry = this.live.get(from);
    assert(entry?.kind === "file", `rename of ${from}, which is not a file`);
    assert(this.live.get(to)?.kind !== "dir", `rename onto the directory ${to}`);
    assert(from !== to, "rename onto itself changes nothing and is not queued");
    this.checkParent(to);
    this.apply({ changes: [{ path: to, entry }, { path: from, entry: undefined }], mkdir: false });
  }

  /** Makes durable the pending ops that change entries of `dir`, with the ops they depend on. */
  syncDirectory(dir: string): number {
    assert(this.live.get(dir)?.kind === "dir", `syncDirectory(${dir}) of something that is not a directory`);
    const selected = new Array<boolean>(this.pending.length).fill(false);
    // Backwards: an op is selected if it changes an entry of `dir`, or a selected later op depends on it.
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const op = this.pending[i] as MetaOp;
      let chosen = op.changes.some((change) => parentOf(change.path) === dir);
      for (let j = i + 1; j < this.pending.length && !chosen; j++) {
        chosen = selected[j] === true && dependsOn(this.pending[j] as MetaOp, op);
      }
      selected[i] = chosen;
    }
    return this.landSelected(selected);
  }

  /**
   * The crash: keeps a dependency-closed random subset of the pending ops (none if `keepNone`),
   * then the live view becomes the durable one. Returns how many ops were kept.
   */
  crash(prng: Prng, keepNone: boolean): number {
    const kept = new Array<boolean>(this.pending.length).fill(false);
    for (let i = 0; i < this.pending.length; i++) {
      const op = this.pending[i] as MetaOp;
      let keep = prng.chance(0.5) && !keepNone;
      for (let j = 0; j < i && keep; j++) {
        if (!kept[j] && dependsOn(op, this.pending[j] as MetaOp)) keep = false;
      }
      kept[i] = keep;
    }
    const count = this.landSelected(kept);
    this.pending = [];
    this.live = new Map(this.durable);
    return count;
  }

  pendingCount(): number {
    return this.pending.length;
  }

  /** Inodes with a live name. */
  liveInodes(): Set<number> {
    return inodesOf(this.live);
  }

  /** Inodes with a durable name: the files a crash now would keep. */
  durableInodes(): Set<number> {
    return inodesOf(this.durable);
  }

  private checkParent(path: string): void {
    assert(path !== ROOT, "the root is always there");
    assert(this.live.get(parentOf(path))?.kind === "dir", `the parent of ${path} is not a directory`);
  }

  private apply(op: MetaOp): void {
    assert(this.pending.length < SIM_PENDING_META_OPS_MAX, `${SIM_PENDING_META_OPS_MAX} directory changes were never synced`);
    for (const change of op.changes) setOrDelete(this.live, change);
    this.pending.push(op);
  }

  /** Applies the selected pending ops to `durable`, in order, and drops them from the queue. */
  private landSelected(selected: readonly boolean[]): number {
    let count = 0;
    const rest: MetaOp[] = [];
    for (let i = 0; i < this.pending.length; i++) {
      const op = this.pending[i] as MetaOp;
      if (!selected[i]) {
        rest.push(op);
        continue;
      }
      for (const change of op.changes) {
        // Dependencies carry every ancestor directory along, so the parent is already durable.
        assert(this.durable.get(parentOf(change.path))?.kind === "dir", `durable ${change.path} without its directory`);
        setOrDelete(this.durable, change);
      }
      count++;
    }
    this.pending = rest;
    return count;
  }
}

function setOrDelete(entries: Map<string, SimEntry>, change: EntryChange): void {
  if (change.entry === undefined) entries.delete(change.path);
  else entries.set(change.path, change.entry);
}

/** True when `later` must not land without `earlier` (see the header). */
function dependsOn(later: MetaOp, earlier: MetaOp): boolean {
  for (const a of earlier.changes) {
    for (const b of later.changes) {
      if (a.path === b.path) return true;
      if (earlier.mkdir && isAncestor(a.path, b.path)) return true;
    }
  }
  return false;
}

function inodesOf(entries: Map<string, SimEntry>): Set<number> {
  const out = new Set<number>();
  for (const entry of entries.values()) if (entry.kind === "file") out.add(entry.inode);
  return out;
}
