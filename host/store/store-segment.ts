// The 64-byte header of a hot segment (kind 1) or a staging log (kind 2): the log's segment
// header (host/wal/segment-format.ts) with the store's meaning for its fields (docs/FORMAT.md
// "Hot segments and staging"). Pure encode and check; no I/O.
//
//   field        hot segment              staging log
//   kind         1 (SegmentKind.Hot)      2 (SegmentKind.Staging)
//   segmentId    the space id (>= 1)      0 (one staging log per store: no id to name)
//   generation   the file name's          the file name's
//   baseLsn      the base revision: the store's next revision when the file was created (>= 1)
//   baseOffset   0: a store file is not part of a stream; its sync marks hold file offsets
//   frameSeed    frameSeedOf(segmentId, generation), as the log's
//
// Why staging takes segmentId 0: space ids start at 1, so (0, g) is never a hot segment's pair,
// and a staging frame is sealed under a seed no hot segment of any space uses.
import { assert } from "../assert.js";
import { type Core } from "../core/index.js";
import { type SegmentHeader, SegmentKind, encodeSegmentHeader, frameSeedOf } from "../wal/segment-format.js";
import { type StoreFileIdentity, assertStoreFileIdentity } from "./store-files.js";

/** A store file's identity and its base revision: everything its header says. */
export type StoreSegmentHeaderFields = StoreFileIdentity & { readonly baseRevision: bigint };

const U64_MAX = (1n << 64n) - 1n;
assert(SegmentKind.Hot === 1 && SegmentKind.Staging === 2, "docs/FORMAT.md gives kind 1 to hot segments and 2 to staging");

/** The header's kind for a store file. */
export function storeSegmentKind(identity: StoreFileIdentity): SegmentKind {
  return identity.kind === "hot" ? SegmentKind.Hot : SegmentKind.Staging;
}

/** The header's segmentId: the space id for a hot segment, 0 for staging. */
export function storeSegmentId(identity: StoreFileIdentity): bigint {
  return identity.kind === "hot" ? BigInt(identity.spaceId) : 0n;
}

/** The seed of every frame in the store file `identity` names, so a frame never verifies in another. */
export function storeFrameSeed(core: Core, identity: StoreFileIdentity): number {
  assertStoreFileIdentity(identity);
  return frameSeedOf(core, storeSegmentId(identity), identity.generation);
}

export function encodeStoreSegmentHeader(core: Core, fields: StoreSegmentHeaderFields): Uint8Array {
  assertStoreFileIdentity(fields);
  assert(typeof fields.baseRevision === "bigint" && fields.baseRevision >= 1n && fields.baseRevision <= U64_MAX, "a base revision is a u64 >= 1");
  return encodeSegmentHeader(core, {
    kind: storeSegmentKind(fields),
    segmentId: storeSegmentId(fields),
    generation: fields.generation,
    baseLsn: fields.baseRevision,
    baseOffset: 0n,
  });
}

/** Which header field of a verified header is not the expected file's. */
export type StoreHeaderMismatch = "kind" | "segmentId" | "generation" | "baseOffset";

/**
 * The first field in which a header that verifies (decodeSegmentHeader returned it) differs from
 * the header of the file `expected` names, or null if none does. Every such header was written
 * whole by some writer: a renamed file, a log segment in the wrong directory, or a writer bug.
 */
export function storeHeaderMismatch(header: SegmentHeader, expected: StoreFileIdentity): StoreHeaderMismatch | null {
  if (header.kind !== storeSegmentKind(expected)) return "kind";
  if (header.segmentId !== storeSegmentId(expected)) return "segmentId";
  if (header.generation !== expected.generation) return "generation";
  if (header.baseOffset !== 0n) return "baseOffset";
  return null;
}
