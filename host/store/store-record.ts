// Store records (docs/FORMAT.md "Store records"): the payloads of the frames in hot segments
// (segment kind 1) and the staging log (kind 2). Pure encode/decode, no I/O; the numbers here
// are the document's numbers.
//
//   payload := type:u8 body                ; all little-endian, no padding
//
//   put (16), delete (17), space definition (18): a common prefix, then the type's fields
//   0      1          9          17        21
//   +------+----------+----------+---------+--------------------------------------------+
//   | type | revision | batchEnd | spaceId | put:    key u64 | value (the rest)         |
//   | u8   | u64      | u64      | u32     | delete: key u64 (and nothing after it)     |
//   |      |          |          |         | space:  dims u8 | bits u8 | nameLength u16 |
//   |      |          |          |         |         | name (nothing after it)          |
//   +------+----------+----------+---------+--------------------------------------------+
//   sync mark (8): durable u64, exactly the log's (host/wal/sync-mark.ts)
//
// Why types 16..18 and not the log's 1..7: a log entry put into a store segment (a writer bug,
// or a file copied to the wrong place) never decodes as a store record, and the other way round.
// Sync marks keep type 8 because the I/O loop writes the same mark into every segment it owns.
//
// Both sides are strict and mirror each other: the encoder asserts every rule (a record that
// breaks one is a writer bug), and the decoder accepts exactly the bytes some encoder call writes.
// A payload from disk that does not decode is a value (StoreRecordMalformed, with the rule and
// the payload offset of the field at fault), not an exception: its frame's CRC matched, so it can
// only come from a writer bug or a newer format, and the caller names the file and offset.
import { assert } from "../assert.js";
import { FRAME_PAYLOAD_MAX } from "../core/index.js";
import { type EntryPayload, EntryType } from "../wal/log-entry.js";
import { SYNC_MARK_PAYLOAD_SIZE, decodeSyncMark } from "../wal/sync-mark.js";
import { VALUE_SIZE_MAX } from "./block-format.js";
import { SPACE_NAME_BYTES_MAX } from "./space-spec.js";

export const StoreRecordType = { SyncMark: EntryType.SyncMark, Put: 16, Delete: 17, Space: 18 } as const;
export type StoreRecordType = (typeof StoreRecordType)[keyof typeof StoreRecordType];

/** Offsets from the payload's start (docs/FORMAT.md "Store records", byte tables). */
export const R_TYPE = 0, R_REVISION = 1, R_BATCH_END = 9, R_SPACE_ID = 17;
export const R_KEY = 21, R_VALUE = 29;
export const R_DIMS = 21, R_BITS = 22, R_NAME_LENGTH = 23, R_NAME = 25;
/** type, revision, batchEnd, spaceId. */
export const STORE_RECORD_PREFIX_SIZE = 1 + 8 + 8 + 4;
/** A put without its value: the prefix and the key. */
export const PUT_FIXED_SIZE = STORE_RECORD_PREFIX_SIZE + 8;
/** A delete is exactly the prefix and the key. */
export const DELETE_SIZE = STORE_RECORD_PREFIX_SIZE + 8;
/** A space definition without its name: the prefix, dims, bits, nameLength. */
export const SPACE_FIXED_SIZE = STORE_RECORD_PREFIX_SIZE + 1 + 1 + 2;
export const SPACE_DIMS_MAX = 16;
/** dims x bits: a Hilbert key is a u64. */
export const SPACE_KEY_BITS_MAX = 64;
/**
 * The largest value a put record carries: the frame's payload limit (2^24) less the put's 29
 * fixed bytes, 16 777 187. It is 28 bytes under the block format's VALUE_SIZE_MAX (16 MiB - 1):
 * a value the block format could hold but no frame can carry. The API limit must be this one
 * (see the report of this file's commit; value-check.ts still checks VALUE_SIZE_MAX).
 */
export const PUT_VALUE_SIZE_MAX = Math.min(VALUE_SIZE_MAX, FRAME_PAYLOAD_MAX - PUT_FIXED_SIZE);

assert(STORE_RECORD_PREFIX_SIZE === 21 && R_KEY === STORE_RECORD_PREFIX_SIZE, "the common prefix is 21 bytes, then the type's fields");
assert(PUT_FIXED_SIZE === 29 && R_VALUE === PUT_FIXED_SIZE, "a put's value starts at byte 29");
assert(SPACE_FIXED_SIZE === 25 && R_NAME === SPACE_FIXED_SIZE, "a definition's name starts at byte 25");
assert(R_NAME_LENGTH + 2 === R_NAME, "nameLength is the last fixed field of a definition");
assert(SPACE_NAME_BYTES_MAX < 1 << 16, "a name length fits nameLength's u16");
// The largest definition (255 name bytes) and the largest put both fit one frame.
assert(SPACE_FIXED_SIZE + SPACE_NAME_BYTES_MAX <= FRAME_PAYLOAD_MAX, "a space definition fits a frame");
assert(PUT_FIXED_SIZE + PUT_VALUE_SIZE_MAX <= FRAME_PAYLOAD_MAX, "a put of the largest value fits a frame");
// The I/O loop writes the log's own sync mark: its type and size are sync-mark.ts's, not redefined.
assert(SYNC_MARK_PAYLOAD_SIZE === 9 && EntryType.SyncMark === 8, "a sync mark is type 8 and 9 bytes (docs/FORMAT.md)");

interface RecordPrefix {
  /** >= 1. Revisions increase within a file. */
  readonly revision: bigint;
  /** >= revision: the last revision of the write's batch (= revision for a single write). */
  readonly batchEnd: bigint;
  /** >= 1. */
  readonly spaceId: number;
}

export type StoreRecord =
  | (RecordPrefix & { readonly type: "put"; readonly key: bigint; readonly value: Uint8Array })
  | (RecordPrefix & { readonly type: "delete"; readonly key: bigint })
  | (RecordPrefix & { readonly type: "space"; readonly dims: number; readonly bits: number; readonly name: string });

/** What a hot-segment or staging payload decodes to: a store record or a sync mark. */
export type StorePayload = StoreRecord | { readonly type: "sync-mark"; readonly durable: bigint };

/** A payload no writer writes: the rule it breaks, and the payload offset of the field at fault. */
export interface StoreRecordMalformed {
  readonly malformed: string;
  readonly offsetInPayload: number;
}

export function isStoreRecordMalformed(decoded: StorePayload | StoreRecordMalformed): decoded is StoreRecordMalformed {
  return "malformed" in decoded;
}

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffffffff;
const utf8 = new TextEncoder();
// fatal: bytes that are not UTF-8 do not decode (no U+FFFD); ignoreBOM: a leading U+FEFF is part
// of the name, as in the manifest, so two byte strings never decode to one name.
const fromUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Whether `key` is a Hilbert key of a space of `dims` x `bits`: key < 2^(dims x bits). */
export function keyFitsSpace(key: bigint, dims: number, bits: number): boolean {
  assert(Number.isInteger(dims) && dims >= 1 && dims <= SPACE_DIMS_MAX, "keyFitsSpace takes dims 1..16");
  assert(Number.isInteger(bits) && bits >= 1 && dims * bits <= SPACE_KEY_BITS_MAX, "keyFitsSpace takes bits >= 1, dims x bits <= 64");
  return key >= 0n && key >> BigInt(dims * bits) === 0n;
}

function assertU64(value: bigint, what: string): void {
  assert(typeof value === "bigint" && value >= 0n && value <= U64_MAX, `${what} is a u64 bigint`);
}

function assertPrefix(record: StoreRecord): void {
  assertU64(record.revision, "a store record's revision");
  assert(record.revision >= 1n, "a store record's revision is >= 1");
  assertU64(record.batchEnd, "a store record's batchEnd");
  assert(record.batchEnd >= record.revision, "a store record's batchEnd is >= its revision");
  assert(Number.isInteger(record.spaceId) && record.spaceId >= 1 && record.spaceId <= U32_MAX, "a store record's spaceId is a u32 >= 1");
}

/** A definition's name bytes, asserting space-spec's rules: well-formed, no NUL, 1..255 bytes. */
function definitionNameBytes(name: string): Uint8Array {
  assert(typeof name === "string" && name.isWellFormed(), "a space definition's name is well-formed Unicode");
  assert(!name.includes("\u0000"), "a space definition's name has no NUL");
  const bytes = utf8.encode(name);
  assert(bytes.byteLength >= 1 && bytes.byteLength <= SPACE_NAME_BYTES_MAX, "a space definition's name is 1..255 bytes of UTF-8");
  return bytes;
}

function writePrefix(view: DataView, type: StoreRecordType, record: StoreRecord): void {
  view.setUint8(R_TYPE, type);
  view.setBigUint64(R_REVISION, record.revision, true);
  view.setBigUint64(R_BATCH_END, record.batchEnd, true);
  view.setUint32(R_SPACE_ID, record.spaceId, true);
}

/**
 * A checked record, ready to be written where the caller says: the ring's frame, or a fresh
 * array (encodeStoreRecord). A put's value is copied once, by writeTo, into the target; the
 * caller must not change the value between storeRecordPayload and writeTo.
 */
class StoreRecordPayload implements EntryPayload {
  readonly size: number;
  constructor(private readonly record: StoreRecord, private readonly nameBytes: Uint8Array | null) {
    if (record.type === "put") this.size = PUT_FIXED_SIZE + record.value.byteLength;
    else if (record.type === "delete") this.size = DELETE_SIZE;
    else this.size = SPACE_FIXED_SIZE + (nameBytes?.byteLength ?? 0);
  }

  writeTo(target: Uint8Array, at: number): void {
    assert(Number.isSafeInteger(at) && at >= 0 && at + this.size <= target.byteLength, "a store record is written inside its target");
    const view = new DataView(target.buffer, target.byteOffset + at, this.size);
    const record = this.record;
    if (record.type === "put") {
      writePrefix(view, StoreRecordType.Put, record);
      view.setBigUint64(R_KEY, record.key, true);
      target.set(record.value, at + R_VALUE);
    } else if (record.type === "delete") {
      writePrefix(view, StoreRecordType.Delete, record);
      view.setBigUint64(R_KEY, record.key, true);
    } else {
      const nameBytes = this.nameBytes;
      assert(nameBytes !== null, "a space definition's payload holds its name bytes");
      writePrefix(view, StoreRecordType.Space, record);
      view.setUint8(R_DIMS, record.dims);
      view.setUint8(R_BITS, record.bits);
      view.setUint16(R_NAME_LENGTH, nameBytes.byteLength, true);
      target.set(nameBytes, at + R_NAME);
    }
  }
}

/** The payload of `record`, asserting every rule of docs/FORMAT.md "Store records" (writer bugs). */
export function storeRecordPayload(record: StoreRecord): EntryPayload {
  assertPrefix(record);
  if (record.type === "space") {
    assert(Number.isInteger(record.dims) && record.dims >= 1 && record.dims <= SPACE_DIMS_MAX, "a space definition's dims is 1..16");
    assert(Number.isInteger(record.bits) && record.bits >= 1, "a space definition's bits is >= 1");
    assert(record.dims * record.bits <= SPACE_KEY_BITS_MAX, "a space definition's dims x bits is <= 64");
    return new StoreRecordPayload(record, definitionNameBytes(record.name));
  }
  assertU64(record.key, "a store record's key");
  if (record.type === "put") {
    assert(record.value instanceof Uint8Array, "a put's value is a Uint8Array");
    assert(record.value.byteLength <= PUT_VALUE_SIZE_MAX, "a put's value is at most PUT_VALUE_SIZE_MAX bytes");
  } else {
    assert(record.type === "delete", "a store record is a put, a delete or a space definition");
  }
  return new StoreRecordPayload(record, null);
}

/** The payload of `record` as a new array (type byte first): the bytes writeTo writes. */
export function encodeStoreRecord(record: StoreRecord): Uint8Array {
  const payload = storeRecordPayload(record);
  const bytes = new Uint8Array(payload.size);
  payload.writeTo(bytes, 0);
  return bytes;
}

// --- decoding: strict, exactly as docs/FORMAT.md "Store records" defines each type ---

function malformed(offsetInPayload: number, reason: string): StoreRecordMalformed {
  return { malformed: reason, offsetInPayload };
}

/** The common prefix of a payload the caller has checked is at least 21 bytes long. */
function readPrefix(view: DataView): RecordPrefix | StoreRecordMalformed {
  const revision = view.getBigUint64(R_REVISION, true);
  if (revision === 0n) return malformed(R_REVISION, "a store record of revision 0 (revisions start at 1)");
  const batchEnd = view.getBigUint64(R_BATCH_END, true);
  if (batchEnd < revision) return malformed(R_BATCH_END, `a store record whose batchEnd ${batchEnd} is below its revision ${revision}`);
  const spaceId = view.getUint32(R_SPACE_ID, true);
  if (spaceId === 0) return malformed(R_SPACE_ID, "a store record of space 0 (space ids start at 1)");
  return { revision, batchEnd, spaceId };
}

/**
 * Decodes a hot-segment or staging payload (type byte first), or names the rule it breaks.
 * Strict: a payload decodes only if encodeStoreRecord or encodeSyncMark writes exactly these
 * bytes. A sync mark decodes here too, by sync-mark.ts's codec, so a reader of a store segment
 * has one verdict per frame and cannot forget type 8. A put's value is a view of `payload`, not a
 * copy: a caller that keeps it past the buffer's reuse copies it.
 */
export function decodeStoreRecord(payload: Uint8Array): StorePayload | StoreRecordMalformed {
  if (payload.byteLength < 1) return malformed(0, "an empty payload (every payload starts with its type byte)");
  const type = payload[R_TYPE] as number;
  if (type === StoreRecordType.SyncMark) {
    const durable = decodeSyncMark(payload);
    return typeof durable === "bigint" ? { type: "sync-mark", durable } : malformed(1, durable.malformed);
  }
  if (type !== StoreRecordType.Put && type !== StoreRecordType.Delete && type !== StoreRecordType.Space) {
    return malformed(R_TYPE, `unknown store record type ${type} (types are 8, 16, 17, 18)`);
  }
  const fixedSize = type === StoreRecordType.Space ? SPACE_FIXED_SIZE : PUT_FIXED_SIZE;
  if (payload.byteLength < fixedSize) return malformed(0, `a store record of type ${type} in ${payload.byteLength} bytes, under its ${fixedSize} fixed bytes`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const prefix = readPrefix(view);
  if ("malformed" in prefix) return prefix;
  if (type === StoreRecordType.Space) return decodeSpace(payload, view, prefix);
  const key = view.getBigUint64(R_KEY, true);
  if (type === StoreRecordType.Delete) {
    if (payload.byteLength !== DELETE_SIZE) return malformed(DELETE_SIZE, `a delete of ${payload.byteLength} bytes, not ${DELETE_SIZE}`);
    return { type: "delete", ...prefix, key };
  }
  const valueSize = payload.byteLength - PUT_FIXED_SIZE;
  if (valueSize > PUT_VALUE_SIZE_MAX) return malformed(R_VALUE, `a put value of ${valueSize} bytes (at most ${PUT_VALUE_SIZE_MAX})`);
  return { type: "put", ...prefix, key, value: payload.subarray(R_VALUE) };
}

/** dims, bits, nameLength and the name, which ends the payload exactly. */
function decodeSpace(payload: Uint8Array, view: DataView, prefix: RecordPrefix): StoreRecord | StoreRecordMalformed {
  const dims = view.getUint8(R_DIMS);
  if (dims < 1 || dims > SPACE_DIMS_MAX) return malformed(R_DIMS, `a space definition of ${dims} dims (1..${SPACE_DIMS_MAX})`);
  const bits = view.getUint8(R_BITS);
  if (bits < 1) return malformed(R_BITS, "a space definition of 0 bits (at least 1)");
  if (dims * bits > SPACE_KEY_BITS_MAX) return malformed(R_BITS, `a space definition of ${dims} dims x ${bits} bits = ${dims * bits} key bits (at most ${SPACE_KEY_BITS_MAX})`);
  const nameLength = view.getUint16(R_NAME_LENGTH, true);
  if (nameLength < 1 || nameLength > SPACE_NAME_BYTES_MAX) return malformed(R_NAME_LENGTH, `a space name of ${nameLength} bytes (1..${SPACE_NAME_BYTES_MAX})`);
  const nameEnd = R_NAME + nameLength;
  if (nameEnd > payload.byteLength) return malformed(R_NAME_LENGTH, `a space name of ${nameLength} bytes runs past the payload's ${payload.byteLength}`);
  if (nameEnd < payload.byteLength) return malformed(nameEnd, `${payload.byteLength - nameEnd} bytes after a space definition's name`);
  let name: string;
  try {
    name = fromUtf8.decode(payload.subarray(R_NAME, nameEnd));
  } catch (error) {
    // TextDecoder with fatal: true throws a TypeError, and only that, for bytes that are not UTF-8.
    if (!(error instanceof TypeError)) throw error;
    return malformed(R_NAME, "a space name that is not well-formed UTF-8");
  }
  if (name.includes("\u0000")) return malformed(payload.indexOf(0, R_NAME), "a space name with NUL (U+0000)");
  return { type: "space", ...prefix, dims, bits, name };
}
