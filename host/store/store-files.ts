// The names of a store directory's hot segments and staging logs, and the store's identity
// (docs/FORMAT.md "Hot segments and staging"). Pure: no I/O.
//
//   hot-<spaceId: 8 lowercase hex>-<generation: 16 lowercase hex>.seg    hot-00000001-0000000000000001.seg
//   staging-<generation: 16 lowercase hex>.seg                           staging-0000000000000001.seg
//
// Fixed widths make name order the (spaceId, generation) order, as the log's segment names are in
// id order. Parsing is strict for the reason the log's is: a name that looks like a store file's
// but is not exactly one can only be a file renamed by hand, and skipping it could drop its
// records unnoticed, so the caller refuses it (isMisnamedStoreFile) instead of ignoring it.
import { assert } from "../assert.js";

/** The bytes of a store directory's SPACELOG file; the log's is "spacelog log 1\n". */
export const STORE_IDENTITY = "spacelog store 1\n";

/** Which store file a name (or a header) stands for. */
export type StoreFileIdentity =
  | { readonly kind: "hot"; readonly spaceId: number; readonly generation: bigint }
  | { readonly kind: "staging"; readonly generation: bigint };

const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;
const SPACE_ID_HEX_DIGITS = 8;
const GENERATION_HEX_DIGITS = 16;
assert(U32_MAX.toString(16).length === SPACE_ID_HEX_DIGITS, "8 hex digits hold every u32 space id");
assert(U64_MAX.toString(16).length === GENERATION_HEX_DIGITS, "16 hex digits hold every u64 generation");

const HOT_NAME = /^hot-([0-9a-f]{8})-([0-9a-f]{16})\.seg$/;
const STAGING_NAME = /^staging-([0-9a-f]{16})\.seg$/;
/** Names a store file could have been renamed to: the prefix and ".seg", in any letter case. */
const HOT_LIKE_NAME = /^hot-.*\.seg$/i;
const STAGING_LIKE_NAME = /^staging-.*\.seg$/i;

export function assertSpaceId(spaceId: number): void {
  assert(Number.isInteger(spaceId) && spaceId >= 1 && spaceId <= U32_MAX, "a space id is a u32 >= 1");
}

export function assertGeneration(generation: bigint): void {
  assert(typeof generation === "bigint" && generation >= 1n && generation <= U64_MAX, "a generation is a u64 >= 1");
}

/** Asserts that an identity's fields are in range (a caller's bug otherwise). */
export function assertStoreFileIdentity(identity: StoreFileIdentity): void {
  assert(identity.kind === "hot" || identity.kind === "staging", "a store file is hot or staging");
  if (identity.kind === "hot") assertSpaceId(identity.spaceId);
  assertGeneration(identity.generation);
}

function hex(value: bigint, digits: number): string {
  return value.toString(16).padStart(digits, "0");
}

/** "hot-" + spaceId (8 hex) + "-" + generation (16 hex) + ".seg". */
export function hotFileName(spaceId: number, generation: bigint): string {
  assertSpaceId(spaceId);
  assertGeneration(generation);
  return `hot-${hex(BigInt(spaceId), SPACE_ID_HEX_DIGITS)}-${hex(generation, GENERATION_HEX_DIGITS)}.seg`;
}

/** "staging-" + generation (16 hex) + ".seg". */
export function stagingFileName(generation: bigint): string {
  assertGeneration(generation);
  return `staging-${hex(generation, GENERATION_HEX_DIGITS)}.seg`;
}

/** The file name of `identity`: hotFileName or stagingFileName. */
export function storeFileName(identity: StoreFileIdentity): string {
  return identity.kind === "hot" ? hotFileName(identity.spaceId, identity.generation) : stagingFileName(identity.generation);
}

/**
 * What a file name stands for, or undefined if it is not exactly a hot segment's or a staging
 * log's name: lowercase hex, exact digit counts, space id and generation >= 1.
 */
export function parseStoreFileName(name: string): StoreFileIdentity | undefined {
  const hot = HOT_NAME.exec(name);
  if (hot?.[1] !== undefined && hot[2] !== undefined) {
    const spaceId = parseInt(hot[1], 16);
    const generation = BigInt("0x" + hot[2]);
    return spaceId === 0 || generation === 0n ? undefined : { kind: "hot", spaceId, generation };
  }
  const staging = STAGING_NAME.exec(name);
  if (staging?.[1] !== undefined) {
    const generation = BigInt("0x" + staging[1]);
    return generation === 0n ? undefined : { kind: "staging", generation };
  }
  return undefined;
}

/** A name that looks like a hot segment's or a staging log's (any letter case) but does not parse. */
export function isMisnamedStoreFile(name: string): boolean {
  return (HOT_LIKE_NAME.test(name) || STAGING_LIKE_NAME.test(name)) && parseStoreFileName(name) === undefined;
}
