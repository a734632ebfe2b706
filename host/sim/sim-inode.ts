// One simulated file (an inode): what the process sees, what survives a crash, and what sits
// between them.
//
//   live      the bytes reads return: durable + every completed write and truncate, in order.
//   durable   the bytes a crash leaves, as written by writes that were synced: kept pristine
//             (STYLE habit 8). Damage is held beside it, never in it.
//   pending   completed, unsynced writes and size changes, in completion order (`seq`). A datasync
//             lands (makes durable) the ones that completed before it was submitted.
//   damage    offset -> the byte the medium returns instead of the pristine one (a flipped bit, a
//             garbage sector from a torn write). Landing a write on those bytes heals them.
//   badSectors sectors whose reads fail with EIO (latent sector errors) until a write touches them.
import { assert } from "../assert.js";
import { FileBytes } from "./file-bytes.js";

/** The unit of a torn write and of a latent read error. */
export const SECTOR_SIZE = 512;

/** Completed writes waiting for a datasync; more means the caller never syncs. */
export const SIM_PENDING_ENTRIES_MAX = 1 << 16;

export type PendingEntry =
  | { readonly kind: "write"; readonly opId: number; readonly seq: number; readonly offset: number; readonly bytes: Uint8Array }
  | { readonly kind: "size"; readonly opId: number; readonly seq: number; readonly size: number };

export class SimInode {
  live = new FileBytes();
  readonly durable = new FileBytes();
  pending: PendingEntry[] = [];
  readonly damage = new Map<number, number>();
  readonly badSectors = new Set<number>();
  /** Open handles of the running process. */
  handles = 0;

  constructor(readonly id: number) {}

  /** A write completed into the page cache: visible to reads now, durable after a datasync. */
  addWrite(entry: PendingEntry & { kind: "write" }): void {
    assert(entry.bytes.byteLength > 0, "a pending write has bytes");
    this.checkPendingRoom();
    this.live.write(entry.offset, entry.bytes);
    this.clearBadSectors(entry.offset, entry.bytes.byteLength);
    this.pending.push(entry);
  }

  addSize(entry: PendingEntry & { kind: "size" }): void {
    this.checkPendingRoom();
    this.live.resize(entry.size);
    this.pending.push(entry);
  }

  /** Makes one entry (or, for a write, its first `length` bytes) durable. */
  land(entry: PendingEntry, length = entry.kind === "write" ? entry.bytes.byteLength : 0): void {
    if (entry.kind === "size") {
      this.durable.resize(entry.size);
      for (const offset of this.damage.keys()) if (offset >= entry.size) this.damage.delete(offset);
      return;
    }
    assert(length >= 0 && length <= entry.bytes.byteLength, "a landed prefix lies within its write");
    if (length === 0) return;
    this.landBytes(entry.offset, entry.bytes.subarray(0, length));
  }

  /** Bytes reach the medium: durable holds them and any damage under them is healed. */
  landBytes(offset: number, bytes: Uint8Array): void {
    this.durable.write(offset, bytes);
    const end = offset + bytes.byteLength;
    if (this.damage.size > 0) {
      for (const at of this.damage.keys()) if (at >= offset && at < end) this.damage.delete(at);
    }
    this.clearBadSectors(offset, bytes.byteLength);
  }

  /** The medium holds `value` at `offset` instead of the pristine byte (a torn sector, a flipped bit). */
  damageByte(offset: number, value: number): void {
    assert(offset < this.durable.size, `damage at ${offset} lies past the durable size ${this.durable.size}`);
    if (value === this.durable.byteAt(offset)) this.damage.delete(offset);
    else this.damage.set(offset, value);
  }

  /** The byte the medium returns at `offset`: the damage if any, else the pristine byte. */
  storedByte(offset: number): number {
    return this.damage.get(offset) ?? this.durable.byteAt(offset);
  }

  /** True when a pending write covers `offset`: the page is dirty and reads come from it. */
  isDirty(offset: number): boolean {
    for (const entry of this.pending) {
      if (entry.kind === "write" && offset >= entry.offset && offset < entry.offset + entry.bytes.byteLength) return true;
    }
    return false;
  }

  /** True when [offset, offset + length) touches a sector that reads EIO. */
  readFails(offset: number, length: number): boolean {
    if (this.badSectors.size === 0 || length === 0) return false;
    const last = Math.floor((offset + length - 1) / SECTOR_SIZE);
    for (let sector = Math.floor(offset / SECTOR_SIZE); sector <= last; sector++) {
      if (this.badSectors.has(sector)) return true;
    }
    return false;
  }

  /** After a crash the process is gone: reads see the medium, nothing is pending or open. */
  resetAfterCrash(): void {
    this.pending = [];
    this.handles = 0;
    this.live = this.durable.copy();
    for (const [offset, value] of this.damage) this.live.setByte(offset, value);
  }

  private clearBadSectors(offset: number, length: number): void {
    if (this.badSectors.size === 0) return;
    const last = Math.floor((offset + length - 1) / SECTOR_SIZE);
    for (let sector = Math.floor(offset / SECTOR_SIZE); sector <= last; sector++) this.badSectors.delete(sector);
  }

  private checkPendingRoom(): void {
    assert(this.pending.length < SIM_PENDING_ENTRIES_MAX, `${SIM_PENDING_ENTRIES_MAX} writes to inode ${this.id} were never synced`);
  }
}
