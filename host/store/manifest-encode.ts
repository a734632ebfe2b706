// Writing a manifest (docs/FORMAT.md "Manifest"). The layout and its rules are manifest-format.ts's;
// the encoder asserts what it needs to write the fields, writes them, and then decodes its own
// bytes: a manifest that breaks a rule is a writer bug, caught here before it is made durable
// rather than at the next open. One install per seal or checkpoint makes the decode cheap
// (a manifest of 20 spaces and 200 blocks is about 12 KiB).
import { assert, constants } from "../assert.js";
import { type Core } from "../core/index.js";
import { U64_MAX } from "./block-format.js";
import {
  B_BLOCK_ID, B_FILE_SIZE, B_KEY_MAX, B_KEY_MIN, B_RECORD_COUNT, B_REVISION_MAX, B_REVISION_MIN, B_SPACE_ID,
  MANIFEST_BLOCK_SIZE, MANIFEST_FORMAT_VERSION, MANIFEST_HEADER_SIZE, MANIFEST_MAGIC, MANIFEST_NAME_BYTES_MAX,
  MANIFEST_SIZE_MAX, MANIFEST_TRAILER_SIZE, M_BLOCK_COUNT, M_DURABLE_REVISION, M_GENERATION, M_MAGIC, M_NEXT_BLOCK_ID,
  M_NEXT_SPACE_ID, M_SPACE_COUNT, M_TOTAL_SIZE, M_VERSION, type Manifest, type ManifestBlock, type ManifestSpace,
  S_BITS, S_DIMS, S_NAME, S_NAME_LENGTH, S_SEALED_REVISION, S_SPACE_ID, decodeManifest, isManifestProblem, spaceEntrySizeOf,
} from "./manifest-format.js";

const utf8 = new TextEncoder();

const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
const isU64 = (n: bigint): boolean => n >= 0n && n <= U64_MAX;

/** What the encoder needs to write the fields at all; every other rule is the decoder's. */
function assertWritable(manifest: Manifest): void {
  assert(isU64(manifest.generation), "a manifest generation is a u64");
  assert(isU32(manifest.nextSpaceId), "nextSpaceId is a u32");
  assert(isU64(manifest.nextBlockId), "nextBlockId is a u64");
  assert(isU64(manifest.durableRevision), "durableRevision is a u64");
  assert(manifest.spaces.length <= 0xffffffff && manifest.blocks.length <= 0xffffffff, "spaceCount and blockCount are u32s");
  for (const space of manifest.spaces) {
    assert(isU32(space.spaceId), "a space id is a u32");
    assert(Number.isInteger(space.dims) && space.dims >= 0 && space.dims <= 0xff, "dims is a u8");
    assert(Number.isInteger(space.bits) && space.bits >= 0 && space.bits <= 0xff, "bits is a u8");
    assert(space.name.isWellFormed(), "a space name has no lone surrogate (TextEncoder would change it)");
    assert(isU64(space.sealedRevision), "sealedRevision is a u64");
  }
  for (const block of manifest.blocks) {
    assert(isU64(block.blockId) && isU32(block.spaceId) && isU32(block.recordCount), "a block's ids and count fit their fields");
    assert(isU64(block.keyMin) && isU64(block.keyMax), "block keys are u64s");
    assert(isU64(block.revisionMin) && isU64(block.revisionMax), "block revisions are u64s");
    assert(Number.isSafeInteger(block.fileSize) && block.fileSize >= 0, "a block's file size is a non-negative integer");
  }
}

function writeSpace(bytes: Uint8Array, view: DataView, at: number, space: ManifestSpace, name: Uint8Array): void {
  view.setUint32(at + S_SPACE_ID, space.spaceId, true);
  view.setUint8(at + S_DIMS, space.dims);
  view.setUint8(at + S_BITS, space.bits);
  view.setUint16(at + S_NAME_LENGTH, name.byteLength, true);
  view.setBigUint64(at + S_SEALED_REVISION, space.sealedRevision, true);
  bytes.set(name, at + S_NAME); // the padding after it stays 0
}

function writeBlock(view: DataView, at: number, block: ManifestBlock): void {
  view.setBigUint64(at + B_BLOCK_ID, block.blockId, true);
  view.setUint32(at + B_SPACE_ID, block.spaceId, true);
  view.setUint32(at + B_RECORD_COUNT, block.recordCount, true);
  view.setBigUint64(at + B_KEY_MIN, block.keyMin, true);
  view.setBigUint64(at + B_KEY_MAX, block.keyMax, true);
  view.setBigUint64(at + B_REVISION_MIN, block.revisionMin, true);
  view.setBigUint64(at + B_REVISION_MAX, block.revisionMax, true);
  view.setBigUint64(at + B_FILE_SIZE, BigInt(block.fileSize), true);
}

/** The field-by-field comparison behind the verify-mode round trip. */
function sameManifest(a: Manifest, b: Manifest): boolean {
  const sameSpace = (x: ManifestSpace, y: ManifestSpace | undefined): boolean =>
    y !== undefined && x.spaceId === y.spaceId && x.name === y.name && x.dims === y.dims && x.bits === y.bits && x.sealedRevision === y.sealedRevision;
  const sameBlock = (x: ManifestBlock, y: ManifestBlock | undefined): boolean =>
    y !== undefined && x.blockId === y.blockId && x.spaceId === y.spaceId && x.recordCount === y.recordCount && x.keyMin === y.keyMin &&
    x.keyMax === y.keyMax && x.revisionMin === y.revisionMin && x.revisionMax === y.revisionMax && x.fileSize === y.fileSize;
  return a.generation === b.generation && a.nextSpaceId === b.nextSpaceId && a.nextBlockId === b.nextBlockId &&
    a.durableRevision === b.durableRevision && a.spaces.length === b.spaces.length && a.blocks.length === b.blocks.length &&
    a.spaces.every((space, i) => sameSpace(space, b.spaces[i])) && a.blocks.every((block, i) => sameBlock(block, b.blocks[i]));
}

/**
 * Encodes a whole MANIFEST file. A manifest that breaks any rule of docs/FORMAT.md "Manifest"
 * (unsorted ids, a block of an unlisted space, a key outside its space, ...) is a writer bug:
 * an AssertionError naming the rule and the offset, and nothing is returned to be written.
 */
export function encodeManifest(core: Core, manifest: Manifest): Uint8Array {
  assertWritable(manifest);
  const names = manifest.spaces.map((space) => utf8.encode(space.name));
  for (const name of names) assert(name.byteLength >= 1 && name.byteLength <= MANIFEST_NAME_BYTES_MAX, "a space name is 1..255 bytes of UTF-8");
  const spacesSize = names.reduce((sum, name) => sum + spaceEntrySizeOf(name.byteLength), 0);
  const totalSize = MANIFEST_HEADER_SIZE + spacesSize + manifest.blocks.length * MANIFEST_BLOCK_SIZE + MANIFEST_TRAILER_SIZE;
  assert(totalSize <= MANIFEST_SIZE_MAX, "a manifest is under 4 GiB (totalSize is a u32)");
  const bytes = new Uint8Array(totalSize);
  const view = new DataView(bytes.buffer);
  view.setUint32(M_MAGIC, MANIFEST_MAGIC, true);
  view.setUint16(M_VERSION, MANIFEST_FORMAT_VERSION, true);
  view.setBigUint64(M_GENERATION, manifest.generation, true);
  view.setUint32(M_NEXT_SPACE_ID, manifest.nextSpaceId, true);
  view.setBigUint64(M_NEXT_BLOCK_ID, manifest.nextBlockId, true);
  view.setUint32(M_SPACE_COUNT, manifest.spaces.length, true);
  view.setUint32(M_BLOCK_COUNT, manifest.blocks.length, true);
  view.setUint32(M_TOTAL_SIZE, totalSize, true);
  view.setBigUint64(M_DURABLE_REVISION, manifest.durableRevision, true);
  let at = MANIFEST_HEADER_SIZE;
  manifest.spaces.forEach((space, i) => {
    const name = names[i];
    assert(name !== undefined, "one encoded name per space");
    writeSpace(bytes, view, at, space, name);
    at += spaceEntrySizeOf(name.byteLength);
  });
  for (const block of manifest.blocks) {
    writeBlock(view, at, block);
    at += MANIFEST_BLOCK_SIZE;
  }
  assert(at === totalSize - MANIFEST_TRAILER_SIZE, "the entries end where the trailer starts");
  view.setBigUint64(at, core.xxh64(bytes.subarray(0, at), 0n), true);
  const decoded = decodeManifest(core, bytes);
  if (isManifestProblem(decoded)) assert(false, `the manifest breaks rule "${decoded.reason}" at offset ${decoded.offset}`);
  if (constants.verify) assert(sameManifest(manifest, decoded), "an encoded manifest decodes to itself");
  return bytes;
}
