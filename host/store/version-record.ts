// One version of one point, as the live tail, blocks and the version merge pass it around, and
// the order every sorted source of versions keeps: key ascending, then revision ascending.
import { assert } from "../assert.js";

export interface VersionRecord {
  /** The point's Hilbert key, a u64. */
  readonly key: bigint;
  /** The global revision that wrote this version, >= 1 (revision 0 is "before any write"). */
  readonly revision: bigint;
  /** The value's bytes, or null for a tombstone: a delete, which hides every older version. */
  readonly value: Uint8Array | null;
}

/**
 * A version with its key's order as a number: ord = floor(key / 2^12), exact (below 2^52), so
 * a.ord < b.ord means a.key < b.key. The live tail sorts and merges by it: a number compare is a
 * few nanoseconds, a bigint compare tens. Equal ords fall back to the keys.
 */
export interface OrderedVersion extends VersionRecord {
  readonly ord: number;
}

export function keyOrd(key: bigint): number {
  return Number(key >> 12n);
}

/** compareVersions for OrderedVersions: the ord first. */
export function compareOrdered(a: OrderedVersion, b: OrderedVersion): number {
  if (a.ord !== b.ord) return a.ord < b.ord ? -1 : 1;
  return compareVersions(a, b);
}

/** The largest Hilbert key: dims*bits <= 64, so a key is a u64. */
export const KEY_MAX = (1n << 64n) - 1n;

/** Negative, zero or positive as a sorts before, with or after b in (key, revision) order. */
export function compareVersions(a: VersionRecord, b: VersionRecord): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.revision !== b.revision) return a.revision < b.revision ? -1 : 1;
  return 0;
}

/** assertVersionRecord's checks as a predicate, for hot paths that format a message only on failure. */
export function isVersionRecord(record: VersionRecord): boolean {
  return typeof record.key === "bigint" && record.key >= 0n && record.key <= KEY_MAX && typeof record.revision === "bigint" && record.revision >= 1n
    && (record.value === null || record.value instanceof Uint8Array);
}

/** The cheap checks every record gets where it enters a store structure. */
export function assertVersionRecord(record: VersionRecord, what: string): void {
  assert(typeof record.key === "bigint", `${what}: the key is a bigint`);
  assert(record.key >= 0n, `${what}: the key ${record.key} is a u64`);
  assert(record.key <= KEY_MAX, `${what}: the key ${record.key} is a u64`);
  assert(typeof record.revision === "bigint", `${what}: the revision is a bigint`);
  assert(record.revision >= 1n, `${what}: the revision ${record.revision} is >= 1`);
  assert(record.value === null || record.value instanceof Uint8Array, `${what}: the value is bytes or null`);
}
