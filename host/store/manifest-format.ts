// The manifest (docs/FORMAT.md "Manifest"): what the store has sealed, as one small checksummed
// file. Pure decode and layout, no I/O; manifest-encode.ts writes one. The numbers here are the
// document's numbers.
//
//   manifest := header space* block* trailer      ; exactly totalSize bytes, all little-endian
//
//   header (56 B):
//   0       4     6     8            16            20    24            32         36         40          44    48                56
//   +-------+-----+-----+------------+-------------+-----+-------------+----------+----------+-----------+-----+-----------------+
//   | magic | ver | 0   | generation | nextSpaceId | 0   | nextBlockId | spaceCt  | blockCt  | totalSize | 0   | durableRevision |
//   | u32   | u16 | u16 | u64        | u32         | u32 | u64         | u32      | u32      | u32       | u32 | u64             |
//   +-------+-----+-----+------------+-------------+-----+-------------+----------+----------+-----------+-----+-----------------+
//
//   space (16 B + name, padded to 8):  spaceId u32 | dims u8 | bits u8 | nameLength u16 | sealedRevision u64 | name | 0-padding
//   block (56 B):  blockId u64 | spaceId u32 | recordCount u32 | keyMin u64 | keyMax u64 | revisionMin u64 | revisionMax u64 | fileSize u64
//   trailer (8 B): checksum u64 = XXH64(bytes 0..totalSize - 8, seed 0)
//
// Why seed 0 and not the generation: a reader has no generation to expect from outside the file
// (there is one MANIFEST and nothing else records which generation it holds), so an older
// manifest put in its place verifies under its own generation whatever the seed. A seed helps
// where the reader knows what to expect, as with a block, whose id the manifest and the file
// name give. The checksum covers the generation field itself either way.
import { assert } from "../assert.js";
import { type Core } from "../core/index.js";
import { BLOCK_HEADER_SIZE, BLOCK_INDEX_ENTRY_SIZE, BLOCK_RECORD_HEADER_SIZE, BLOCK_SIZE_MAX, BLOCK_SIZE_MIN, BLOCK_TRAILER_SIZE, CHUNK_RECORDS_MAX } from "./block-format.js";
import { SPACE_NAME_BYTES_MAX } from "./space-spec.js";

export const MANIFEST_FILE_NAME = "MANIFEST";
export const MANIFEST_TEMP_NAME = "MANIFEST.tmp";
export const MANIFEST_MAGIC = 0x464d5053; // "SPMF" read as a little-endian u32
export const MANIFEST_FORMAT_VERSION = 1;
export const MANIFEST_HEADER_SIZE = 4 + 2 + 2 + 8 + 4 + 4 + 8 + 4 + 4 + 4 + 4 + 8;
export const MANIFEST_SPACE_FIXED_SIZE = 4 + 1 + 1 + 2 + 8;
export const MANIFEST_BLOCK_SIZE = 8 + 4 + 4 + 8 + 8 + 8 + 8 + 8;
export const MANIFEST_TRAILER_SIZE = 8;
/** The smallest manifest: a header and a trailer, no space, no block (64 bytes). */
export const MANIFEST_SIZE_MIN = MANIFEST_HEADER_SIZE + MANIFEST_TRAILER_SIZE;
/** totalSize is a u32. */
export const MANIFEST_SIZE_MAX = 0xffffffff;
/** A space name's longest UTF-8 form: createSpace's bound (host/store/space-spec.ts). */
export const MANIFEST_NAME_BYTES_MAX = SPACE_NAME_BYTES_MAX;
export const MANIFEST_DIMS_MAX = 16;
/** dims x bits: a Hilbert key is a u64. */
export const MANIFEST_KEY_BITS_MAX = 64;

/** Header field offsets (docs/FORMAT.md "Manifest", header table). */
export const M_MAGIC = 0, M_VERSION = 4, M_RESERVED_6 = 6, M_GENERATION = 8, M_NEXT_SPACE_ID = 16, M_RESERVED_20 = 20;
export const M_NEXT_BLOCK_ID = 24, M_SPACE_COUNT = 32, M_BLOCK_COUNT = 36, M_TOTAL_SIZE = 40, M_RESERVED_44 = 44, M_DURABLE_REVISION = 48;
/** Space entry field offsets, from the entry's start. */
export const S_SPACE_ID = 0, S_DIMS = 4, S_BITS = 5, S_NAME_LENGTH = 6, S_SEALED_REVISION = 8, S_NAME = 16;
/** Block entry field offsets, from the entry's start. */
export const B_BLOCK_ID = 0, B_SPACE_ID = 8, B_RECORD_COUNT = 12, B_KEY_MIN = 16, B_KEY_MAX = 24;
export const B_REVISION_MIN = 32, B_REVISION_MAX = 40, B_FILE_SIZE = 48;

assert(MANIFEST_HEADER_SIZE === 56 && M_DURABLE_REVISION + 8 === MANIFEST_HEADER_SIZE, "the header is 56 bytes, durableRevision last");
// Every entry is a multiple of 8 bytes, so every u64 in the file is 8-byte aligned.
assert(MANIFEST_HEADER_SIZE % 8 === 0, "the header keeps u64 fields aligned");
assert(MANIFEST_SPACE_FIXED_SIZE === 16 && S_NAME === MANIFEST_SPACE_FIXED_SIZE, "a space entry's fixed part is 16 bytes, then the name");
assert(MANIFEST_BLOCK_SIZE === 56 && B_FILE_SIZE + 8 === MANIFEST_BLOCK_SIZE, "a block entry is 56 bytes, fileSize last");
assert(MANIFEST_NAME_BYTES_MAX < 1 << 16, "a name length fits nameLength's u16");
// The smallest block of one record is the block format's smallest block.
assert(blockFileSizeMinOf(1) === BLOCK_SIZE_MIN, "blockFileSizeMinOf agrees with BLOCK_SIZE_MIN");

export interface ManifestSpace {
  /** >= 1, below the manifest's nextSpaceId; entries are in increasing id order. */
  readonly spaceId: number;
  /** Unique in the manifest; 1..255 bytes of UTF-8, no NUL. */
  readonly name: string;
  /** 1..16. */
  readonly dims: number;
  /** >= 1, dims x bits <= 64. */
  readonly bits: number;
  /**
   * Every record of this space with a revision <= it is in the space's blocks (0: nothing
   * sealed yet). Recovery skips hot-segment and staging records of the space at or below it.
   */
  readonly sealedRevision: bigint;
}

export interface ManifestBlock {
  /** >= 1, below the manifest's nextBlockId; entries are in increasing id order. */
  readonly blockId: bigint;
  /** A listed space. */
  readonly spaceId: number;
  /** >= 1. */
  readonly recordCount: number;
  /** keyMin <= keyMax < 2^(dims x bits). */
  readonly keyMin: bigint;
  readonly keyMax: bigint;
  /** 1 <= revisionMin <= revisionMax <= the space's sealedRevision. */
  readonly revisionMin: bigint;
  readonly revisionMax: bigint;
  /** The block file's exact size in bytes. */
  readonly fileSize: number;
}

export interface Manifest {
  /** >= 1; each install writes the one after the manifest it replaces. */
  readonly generation: bigint;
  /** >= 1: the id the next space gets. */
  readonly nextSpaceId: number;
  /** >= 1: the id the next block gets. */
  readonly nextBlockId: bigint;
  /**
   * Every revision <= it was durable when this manifest was written (in a listed block, a hot
   * segment or staging, or a space definition listed here), and it is at least every space's
   * sealedRevision. Recovery never hands out a revision at or below it, and looks for holes in
   * history only above it. The largest sealedRevision would not do: a space definition is a
   * record with a revision, dropped from staging once a manifest lists the space, and its
   * revision would read as a hole (docs/FORMAT.md "Revisions").
   */
  readonly durableRevision: bigint;
  readonly spaces: readonly ManifestSpace[];
  readonly blocks: readonly ManifestBlock[];
}

/**
 * Why bytes do not decode as a manifest (docs/FORMAT.md "Manifest", "Decoding"). "size", "magic",
 * "totalSize" and "checksum" are bytes that do not verify; every other reason verifies but breaks
 * a rule, so a writer wrote it whole (a newer format or a writer bug). All are corruption: an
 * install renames a whole, fdatasynced file, so a torn manifest never appears.
 */
export type ManifestProblemReason =
  | "size" | "magic" | "totalSize" | "checksum"
  | "version" | "reserved" | "generation" | "nextSpaceId" | "nextBlockId" | "spaceCount" | "blockCount"
  | "spaceId" | "dims" | "bits" | "nameLength" | "name" | "padding" | "duplicateName" | "sealedRevision"
  | "blockId" | "blockSpace" | "recordCount" | "keyRange" | "revisionRange" | "fileSize";

/** A rule broken, and the file offset of the field that breaks it. */
export interface ManifestProblem {
  readonly reason: ManifestProblemReason;
  readonly offset: number;
}

export function isManifestProblem(value: object): value is ManifestProblem {
  return "reason" in value;
}

/** A space entry's size: 16 bytes and the name, padded to a multiple of 8. */
export function spaceEntrySizeOf(nameLength: number): number {
  return MANIFEST_SPACE_FIXED_SIZE + ((nameLength + 7) & ~7);
}

/**
 * The smallest file a block of `recordCount` records can be: header, the records' fixed parts
 * (empty values), one index entry per 64 records, trailer. One record: 64 + 20 + 32 + 16 = 132.
 */
export function blockFileSizeMinOf(recordCount: number): number {
  assert(Number.isSafeInteger(recordCount) && recordCount >= 1, "a block holds at least one record");
  const chunkCountMin = Math.ceil(recordCount / CHUNK_RECORDS_MAX);
  return BLOCK_HEADER_SIZE + recordCount * BLOCK_RECORD_HEADER_SIZE + chunkCountMin * BLOCK_INDEX_ENTRY_SIZE + BLOCK_TRAILER_SIZE;
}

/** The blocks of one space, in block id order. */
export function blocksOfSpace(manifest: Manifest, spaceId: number): ManifestBlock[] {
  return manifest.blocks.filter((block) => block.spaceId === spaceId);
}

export function spaceByName(manifest: Manifest, name: string): ManifestSpace | undefined {
  return manifest.spaces.find((space) => space.name === name);
}

export function spaceById(manifest: Manifest, spaceId: number): ManifestSpace | undefined {
  return manifest.spaces.find((space) => space.spaceId === spaceId);
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The header's fields that the entries are checked against. */
interface HeaderFields {
  readonly generation: bigint;
  readonly nextSpaceId: number;
  readonly nextBlockId: bigint;
  readonly spaceCount: number;
  readonly blockCount: number;
  readonly durableRevision: bigint;
}

/** size, magic, totalSize and checksum: the checks that come before anything is trusted. */
function frameProblemOf(core: Core, bytes: Uint8Array, view: DataView): ManifestProblem | undefined {
  if (bytes.byteLength < MANIFEST_SIZE_MIN || bytes.byteLength > MANIFEST_SIZE_MAX) return { reason: "size", offset: 0 };
  if (view.getUint32(M_MAGIC, true) !== MANIFEST_MAGIC) return { reason: "magic", offset: M_MAGIC };
  if (view.getUint32(M_TOTAL_SIZE, true) !== bytes.byteLength) return { reason: "totalSize", offset: M_TOTAL_SIZE };
  const trailer = bytes.byteLength - MANIFEST_TRAILER_SIZE;
  if (core.xxh64(bytes.subarray(0, trailer), 0n) !== view.getBigUint64(trailer, true)) return { reason: "checksum", offset: trailer };
  return undefined;
}

function readHeader(view: DataView): HeaderFields | ManifestProblem {
  if (view.getUint16(M_VERSION, true) !== MANIFEST_FORMAT_VERSION) return { reason: "version", offset: M_VERSION };
  if (view.getUint16(M_RESERVED_6, true) !== 0) return { reason: "reserved", offset: M_RESERVED_6 };
  if (view.getUint32(M_RESERVED_20, true) !== 0) return { reason: "reserved", offset: M_RESERVED_20 };
  if (view.getUint32(M_RESERVED_44, true) !== 0) return { reason: "reserved", offset: M_RESERVED_44 };
  const generation = view.getBigUint64(M_GENERATION, true);
  if (generation === 0n) return { reason: "generation", offset: M_GENERATION };
  const nextSpaceId = view.getUint32(M_NEXT_SPACE_ID, true);
  if (nextSpaceId === 0) return { reason: "nextSpaceId", offset: M_NEXT_SPACE_ID };
  const nextBlockId = view.getBigUint64(M_NEXT_BLOCK_ID, true);
  if (nextBlockId === 0n) return { reason: "nextBlockId", offset: M_NEXT_BLOCK_ID };
  const blockCount = view.getUint32(M_BLOCK_COUNT, true);
  // The blocks sit between the spaces and the trailer: their count must leave room for the header.
  const blocksSize = blockCount * MANIFEST_BLOCK_SIZE;
  if (MANIFEST_HEADER_SIZE + blocksSize + MANIFEST_TRAILER_SIZE > view.byteLength) return { reason: "blockCount", offset: M_BLOCK_COUNT };
  const spaceCount = view.getUint32(M_SPACE_COUNT, true);
  return { generation, nextSpaceId, nextBlockId, spaceCount, blockCount, durableRevision: view.getBigUint64(M_DURABLE_REVISION, true) };
}

/** One space entry at `at`, which the caller has checked fits below `spacesEnd` with its name. */
function readSpace(bytes: Uint8Array, view: DataView, at: number, header: HeaderFields, previous: ManifestSpace | undefined): ManifestSpace | ManifestProblem {
  const spaceId = view.getUint32(at + S_SPACE_ID, true);
  if (spaceId === 0 || spaceId >= header.nextSpaceId) return { reason: "spaceId", offset: at + S_SPACE_ID };
  if (previous !== undefined && spaceId <= previous.spaceId) return { reason: "spaceId", offset: at + S_SPACE_ID };
  const dims = view.getUint8(at + S_DIMS);
  if (dims < 1 || dims > MANIFEST_DIMS_MAX) return { reason: "dims", offset: at + S_DIMS };
  const bits = view.getUint8(at + S_BITS);
  if (bits < 1 || dims * bits > MANIFEST_KEY_BITS_MAX) return { reason: "bits", offset: at + S_BITS };
  const nameLength = view.getUint16(at + S_NAME_LENGTH, true);
  const nameBytes = bytes.subarray(at + S_NAME, at + S_NAME + nameLength);
  let name: string;
  try {
    name = utf8Decoder.decode(nameBytes);
  } catch (error) {
    // TextDecoder with fatal: true throws a TypeError, and only that, for bytes that are not UTF-8.
    if (!(error instanceof TypeError)) throw error;
    return { reason: "name", offset: at + S_NAME };
  }
  if (name.includes("\u0000")) return { reason: "name", offset: at + S_NAME };
  const entryEnd = at + spaceEntrySizeOf(nameLength);
  for (let i = at + S_NAME + nameLength; i < entryEnd; i++) if (bytes[i] !== 0) return { reason: "padding", offset: i };
  const sealedRevision = view.getBigUint64(at + S_SEALED_REVISION, true);
  if (sealedRevision > header.durableRevision) return { reason: "sealedRevision", offset: at + S_SEALED_REVISION };
  return { spaceId, name, dims, bits, sealedRevision };
}

/** The space entries: exactly spaceCount of them, ending where the blocks start. */
function readSpaces(bytes: Uint8Array, view: DataView, header: HeaderFields): ManifestSpace[] | ManifestProblem {
  const spacesEnd = bytes.byteLength - MANIFEST_TRAILER_SIZE - header.blockCount * MANIFEST_BLOCK_SIZE;
  const spaces: ManifestSpace[] = [];
  const names = new Set<string>();
  let at = MANIFEST_HEADER_SIZE;
  // Bounded by the bytes: every entry is at least 24 bytes (a name has at least one byte).
  for (let i = 0; i < header.spaceCount; i++) {
    if (at + MANIFEST_SPACE_FIXED_SIZE > spacesEnd) return { reason: "spaceCount", offset: M_SPACE_COUNT };
    const nameLength = view.getUint16(at + S_NAME_LENGTH, true);
    if (nameLength < 1 || nameLength > MANIFEST_NAME_BYTES_MAX) return { reason: "nameLength", offset: at + S_NAME_LENGTH };
    if (at + spaceEntrySizeOf(nameLength) > spacesEnd) return { reason: "spaceCount", offset: M_SPACE_COUNT };
    const space = readSpace(bytes, view, at, header, spaces[spaces.length - 1]);
    if (isManifestProblem(space)) return space;
    if (names.has(space.name)) return { reason: "duplicateName", offset: at + S_NAME };
    names.add(space.name);
    spaces.push(space);
    at += spaceEntrySizeOf(nameLength);
  }
  // Bytes left between the last space and the first block: the counts do not describe the file.
  if (at !== spacesEnd) return { reason: "spaceCount", offset: M_SPACE_COUNT };
  return spaces;
}

function readBlock(view: DataView, at: number, header: HeaderFields, spaces: ReadonlyMap<number, ManifestSpace>, previous: ManifestBlock | undefined): ManifestBlock | ManifestProblem {
  const blockId = view.getBigUint64(at + B_BLOCK_ID, true);
  if (blockId === 0n || blockId >= header.nextBlockId) return { reason: "blockId", offset: at + B_BLOCK_ID };
  if (previous !== undefined && blockId <= previous.blockId) return { reason: "blockId", offset: at + B_BLOCK_ID };
  const spaceId = view.getUint32(at + B_SPACE_ID, true);
  const space = spaces.get(spaceId);
  if (space === undefined) return { reason: "blockSpace", offset: at + B_SPACE_ID };
  const recordCount = view.getUint32(at + B_RECORD_COUNT, true);
  if (recordCount === 0) return { reason: "recordCount", offset: at + B_RECORD_COUNT };
  const keyMin = view.getBigUint64(at + B_KEY_MIN, true);
  const keyMax = view.getBigUint64(at + B_KEY_MAX, true);
  if (keyMin > keyMax) return { reason: "keyRange", offset: at + B_KEY_MAX };
  if (keyMax >> BigInt(space.dims * space.bits) !== 0n) return { reason: "keyRange", offset: at + B_KEY_MAX };
  const revisionMin = view.getBigUint64(at + B_REVISION_MIN, true);
  const revisionMax = view.getBigUint64(at + B_REVISION_MAX, true);
  if (revisionMin === 0n) return { reason: "revisionRange", offset: at + B_REVISION_MIN };
  if (revisionMin > revisionMax) return { reason: "revisionRange", offset: at + B_REVISION_MAX };
  if (revisionMax > space.sealedRevision) return { reason: "revisionRange", offset: at + B_REVISION_MAX };
  const fileSize = view.getBigUint64(at + B_FILE_SIZE, true);
  if (fileSize < BigInt(blockFileSizeMinOf(recordCount)) || fileSize > BigInt(BLOCK_SIZE_MAX)) return { reason: "fileSize", offset: at + B_FILE_SIZE };
  return { blockId, spaceId, recordCount, keyMin, keyMax, revisionMin, revisionMax, fileSize: Number(fileSize) };
}

/**
 * Decodes a whole MANIFEST file. Bytes from disk are values: nothing throws for them. Strict:
 * the exact size, every reserved and padding byte zero, ids strictly increasing and below the
 * next ids, every block naming a listed space and lying within its key space and sealed revision.
 */
export function decodeManifest(core: Core, bytes: Uint8Array): Manifest | ManifestProblem {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frameProblem = frameProblemOf(core, bytes, view);
  if (frameProblem !== undefined) return frameProblem;
  const header = readHeader(view);
  if (isManifestProblem(header)) return header;
  const spaces = readSpaces(bytes, view, header);
  if (isManifestProblem(spaces)) return spaces;
  const spacesById = new Map(spaces.map((space) => [space.spaceId, space]));
  const blocks: ManifestBlock[] = [];
  const blocksStart = bytes.byteLength - MANIFEST_TRAILER_SIZE - header.blockCount * MANIFEST_BLOCK_SIZE;
  for (let i = 0; i < header.blockCount; i++) {
    const block = readBlock(view, blocksStart + i * MANIFEST_BLOCK_SIZE, header, spacesById, blocks[blocks.length - 1]);
    if (isManifestProblem(block)) return block;
    blocks.push(block);
  }
  const { generation, nextSpaceId, nextBlockId, durableRevision } = header;
  return { generation, nextSpaceId, nextBlockId, durableRevision, spaces, blocks };
}
