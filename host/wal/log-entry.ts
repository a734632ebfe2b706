// Entry payloads of the log (docs/FORMAT.md "Entries"). A payload is the frame's payload: a type
// byte, then the body. All integers little-endian. Pure encode/decode. Both sides are strict and
// mirror each other: the encoder refuses what the decoder would reject (a duplicate commit name,
// a name that is not well-formed Unicode, an over-long key), and the decoder accepts exactly the
// bytes some encoder call writes. A payload from disk that does not decode is a value
// (EntryMalformed, with the rule it breaks), not an exception: its CRC matched, so it can only
// come from a writer bug or a newer format, and the caller names its file and offset.
import { InvalidArgumentError } from "../errors.js";

export const EntryType = {
  Raw: 1,
  Put: 2,
  Delete: 3,
  Checkpoint: 4,
  EpochBarrier: 5,
  Commit: 6,
  Truncate: 7,
  /**
   * Not an entry (no LSN, never replayed): "every stream byte below `durable` was durable when
   * this frame was written". Recovery uses it to tell damage to synced bytes (corruption) from
   * a torn, unsynced tail (host/wal/recovery-table.ts).
   */
  SyncMark: 8,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export type LogEntry =
  | { readonly type: "raw"; readonly bytes: Uint8Array }
  | { readonly type: "put"; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: "delete"; readonly key: Uint8Array }
  | { readonly type: "checkpoint"; readonly id: bigint }
  | { readonly type: "epoch-barrier"; readonly epoch: bigint }
  | { readonly type: "commit"; readonly offsets: ReadonlyMap<string, bigint>; readonly watermark: bigint | undefined }
  /** Entries below beforeLsn are retired; `epoch` is the epoch in force when the marker was written. */
  | { readonly type: "truncate"; readonly beforeLsn: bigint; readonly epoch: bigint };

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const KEY_SIZE_MAX = 65535;
const utf8 = new TextEncoder();
// fatal: bytes that are not UTF-8 throw instead of becoming U+FFFD; ignoreBOM: a leading U+FEFF
// is part of the name, not dropped (else two different byte strings would decode to one name).
const fromUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function u64(value: bigint, what: string): bigint {
  if (typeof value !== "bigint" || value < 0n || value > U64_MAX) throw new InvalidArgumentError(`${what} must be a u64 bigint; got ${String(value)}`);
  return value;
}

function bytesArg(value: Uint8Array, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${what} must be a Uint8Array`);
  return value;
}

function withType(type: EntryType, bodyLength: number, fill: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = new Uint8Array(1 + bodyLength);
  bytes[0] = type;
  fill(new DataView(bytes.buffer, 1), bytes.subarray(1));
  return bytes;
}

/**
 * An entry not yet encoded: its payload size and how to write the payload (type byte first) at
 * an offset of a byte array. The log writes hot entries (raw, put) straight into its ring this
 * way, without building an intermediate array per append.
 */
export interface EntryPayload {
  readonly size: number;
  writeTo(target: Uint8Array, at: number): void;
}

class BytesPayload implements EntryPayload {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.byteLength;
  }
  writeTo(target: Uint8Array, at: number): void {
    target.set(this.bytes, at);
  }
}

class RawPayload implements EntryPayload {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array) {
    this.size = 1 + bytes.byteLength;
  }
  writeTo(target: Uint8Array, at: number): void {
    target[at] = EntryType.Raw;
    target.set(this.bytes, at + 1);
  }
}

class PutPayload implements EntryPayload {
  readonly size: number;
  constructor(private readonly key: Uint8Array, private readonly value: Uint8Array) {
    this.size = 3 + key.byteLength + value.byteLength;
  }
  writeTo(target: Uint8Array, at: number): void {
    target[at] = EntryType.Put;
    target[at + 1] = this.key.byteLength & 0xff;
    target[at + 2] = this.key.byteLength >>> 8;
    target.set(this.key, at + 3);
    target.set(this.value, at + 3 + this.key.byteLength);
  }
}

/** A payload already encoded (type byte first), for the entries that are not hot. */
export function payloadOf(encoded: Uint8Array): EntryPayload {
  return new BytesPayload(encoded);
}

export function rawPayload(bytes: Uint8Array): EntryPayload {
  return new RawPayload(bytesArg(bytes, "bytes"));
}

export function putPayload(key: Uint8Array, value: Uint8Array): EntryPayload {
  bytesArg(key, "key");
  bytesArg(value, "value");
  if (key.byteLength > KEY_SIZE_MAX) throw new InvalidArgumentError(`a key is at most ${KEY_SIZE_MAX} bytes; got ${key.byteLength}`);
  return new PutPayload(key, value);
}

export function encodeRaw(bytes: Uint8Array): Uint8Array {
  bytesArg(bytes, "bytes");
  return withType(EntryType.Raw, bytes.byteLength, (_, body) => body.set(bytes));
}

/** put: [keyLength u16][key][value]. Keys are at most 65535 bytes. */
export function encodePut(key: Uint8Array, value: Uint8Array): Uint8Array {
  bytesArg(key, "key");
  bytesArg(value, "value");
  if (key.byteLength > KEY_SIZE_MAX) throw new InvalidArgumentError(`a key is at most ${KEY_SIZE_MAX} bytes; got ${key.byteLength}`);
  return withType(EntryType.Put, 2 + key.byteLength + value.byteLength, (view, body) => {
    view.setUint16(0, key.byteLength, true);
    body.set(key, 2);
    body.set(value, 2 + key.byteLength);
  });
}

export function encodeDelete(key: Uint8Array): Uint8Array {
  bytesArg(key, "key");
  if (key.byteLength > KEY_SIZE_MAX) throw new InvalidArgumentError(`a key is at most ${KEY_SIZE_MAX} bytes; got ${key.byteLength}`);
  return withType(EntryType.Delete, key.byteLength, (_, body) => body.set(key));
}

export function encodeCheckpoint(id: bigint): Uint8Array {
  u64(id, "checkpoint id");
  return withType(EntryType.Checkpoint, 8, (view) => view.setBigUint64(0, id, true));
}

export function encodeEpochBarrier(epoch: bigint): Uint8Array {
  u64(epoch, "epoch");
  if (epoch === 0n) throw new InvalidArgumentError("an epoch barrier carries an epoch of at least 1");
  return withType(EntryType.EpochBarrier, 8, (view) => view.setBigUint64(0, epoch, true));
}

/**
 * truncate: [beforeLsn u64][epoch u64]. The marker carries the epoch in force when it is written,
 * so that retiring the segments holding the epoch barriers never sets the epoch back (docs/FORMAT.md
 * "Retirement").
 */
export function encodeTruncate(beforeLsn: bigint, epoch: bigint): Uint8Array {
  u64(beforeLsn, "lsn");
  u64(epoch, "epoch");
  if (beforeLsn === 0n) throw new InvalidArgumentError("a truncate marker retires entries below an LSN of at least 1");
  return withType(EntryType.Truncate, 16, (view) => {
    view.setBigUint64(0, beforeLsn, true);
    view.setBigUint64(8, epoch, true);
  });
}

/** A source name's UTF-8 bytes; refused if it has lone surrogates (TextEncoder would write U+FFFD). */
function sourceNameBytes(name: unknown): Uint8Array {
  const text = String(name);
  const bytes = utf8.encode(text);
  if (fromUtf8.decode(bytes) !== text) throw new InvalidArgumentError(`a source name must be well-formed Unicode; ${JSON.stringify(text)} has a lone surrogate`);
  if (bytes.byteLength > KEY_SIZE_MAX) throw new InvalidArgumentError(`a source name is at most ${KEY_SIZE_MAX} bytes`);
  return bytes;
}

/**
 * commit: [count u32] then per source [nameLength u16][name utf8][offset u64], sorted by name
 * bytes so equal commits encode equally; then [hasWatermark u8][watermark i64]. Two names with
 * the same bytes (a Map holding 1 and "1") are refused: the decoder rejects a name given twice.
 */
export function encodeCommit(offsets: ReadonlyMap<string, bigint> | Record<string, bigint>, watermark?: bigint): Uint8Array {
  const entries = (offsets instanceof Map ? [...offsets.entries()] : Object.entries(offsets))
    .map(([name, offset]) => [sourceNameBytes(name), u64(offset, `offset of ${String(name)}`), String(name)] as const)
    .sort((a, b) => compareBytes(a[0], b[0]));
  for (let i = 1; i < entries.length; i++) {
    const [name, , text] = entries[i] as (typeof entries)[number];
    if (compareBytes((entries[i - 1] as (typeof entries)[number])[0], name) === 0) {
      throw new InvalidArgumentError(`a commit names each source once; ${JSON.stringify(text)} is given twice`);
    }
  }
  if (watermark !== undefined && (typeof watermark !== "bigint" || watermark < I64_MIN || watermark > I64_MAX)) {
    throw new InvalidArgumentError(`a watermark must be an i64 bigint; got ${String(watermark)}`);
  }
  const length = 4 + entries.reduce((sum, [name]) => sum + 2 + name.byteLength + 8, 0) + 1 + 8;
  return withType(EntryType.Commit, length, (view, body) => {
    view.setUint32(0, entries.length, true);
    let at = 4;
    for (const [name, offset] of entries) {
      view.setUint16(at, name.byteLength, true);
      body.set(name, at + 2);
      view.setBigUint64(at + 2 + name.byteLength, offset, true);
      at += 2 + name.byteLength + 8;
    }
    view.setUint8(at, watermark === undefined ? 0 : 1);
    view.setBigInt64(at + 1, watermark ?? 0n, true);
  });
}

// --- decoding: strict, exactly as docs/FORMAT.md "Entries" defines each type ---

/**
 * What decodeEntry returns for a payload that no writer writes, with the rule it breaks in words.
 * Its CRC matched, so it is not a torn write: recovery and replay raise CorruptLogError on it,
 * naming the frame's file and offset and this reason.
 */
export interface EntryMalformed {
  readonly malformed: string;
}

export function isMalformed(decoded: LogEntry | EntryMalformed): decoded is EntryMalformed {
  return "malformed" in decoded;
}

/** Fixed body sizes (the type byte is not counted): u64 fields. */
const CHECKPOINT_BODY_SIZE = 8;
const EPOCH_BARRIER_BODY_SIZE = 8;
const TRUNCATE_BODY_SIZE = 16;
/** A commit with no source: count u32, hasWatermark u8, watermark i64. */
const COMMIT_TRAILER_SIZE = 1 + 8;
const COMMIT_BODY_SIZE_MIN = 4 + COMMIT_TRAILER_SIZE;

function malformed(reason: string): EntryMalformed {
  return { malformed: reason };
}

function bodyView(body: Uint8Array): DataView {
  return new DataView(body.buffer, body.byteOffset, body.byteLength);
}

/** Byte order of names: unsigned bytes, a prefix first (as memcmp, then length). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.byteLength - b.byteLength;
}

/**
 * Decodes a payload (type byte first) by the rules of docs/FORMAT.md "Entries", or names the rule
 * it breaks. Strict: a payload decodes only if some writer call encodes exactly these bytes. A
 * sync mark (type 8) is not an entry: sync-mark.ts reads it.
 */
export function decodeEntry(payload: Uint8Array): LogEntry | EntryMalformed {
  if (payload.byteLength < 1) return malformed("an empty payload (every payload starts with its type byte)");
  const type = payload[0] as number;
  const body = payload.subarray(1);
  switch (type) {
    case EntryType.Raw:
      return { type: "raw", bytes: body };
    case EntryType.Put:
      return decodePut(body);
    case EntryType.Delete:
      if (body.byteLength > KEY_SIZE_MAX) return malformed(`a delete's key of ${body.byteLength} bytes (keys are at most ${KEY_SIZE_MAX})`);
      return { type: "delete", key: body };
    case EntryType.Checkpoint:
      if (body.byteLength !== CHECKPOINT_BODY_SIZE) return malformed(`a checkpoint body of ${body.byteLength} bytes, not ${CHECKPOINT_BODY_SIZE}`);
      return { type: "checkpoint", id: bodyView(body).getBigUint64(0, true) };
    case EntryType.EpochBarrier:
      return decodeEpochBarrier(body);
    case EntryType.Commit:
      return decodeCommit(body);
    case EntryType.Truncate:
      return decodeTruncate(body);
    case EntryType.SyncMark:
      return malformed("a sync mark (type 8) is not an entry");
    default:
      return malformed(`unknown entry type ${type} (types are 1..8)`);
  }
}

function decodePut(body: Uint8Array): LogEntry | EntryMalformed {
  if (body.byteLength < 2) return malformed(`a put body of ${body.byteLength} bytes, shorter than its 2-byte key length`);
  const keyLength = bodyView(body).getUint16(0, true);
  if (2 + keyLength > body.byteLength) return malformed(`a put key of ${keyLength} bytes in a body of ${body.byteLength - 2} after the key length`);
  return { type: "put", key: body.subarray(2, 2 + keyLength), value: body.subarray(2 + keyLength) };
}

function decodeEpochBarrier(body: Uint8Array): LogEntry | EntryMalformed {
  if (body.byteLength !== EPOCH_BARRIER_BODY_SIZE) return malformed(`an epoch barrier body of ${body.byteLength} bytes, not ${EPOCH_BARRIER_BODY_SIZE}`);
  const epoch = bodyView(body).getBigUint64(0, true);
  if (epoch === 0n) return malformed("an epoch barrier carrying epoch 0 (the first barrier carries 1)");
  return { type: "epoch-barrier", epoch };
}

function decodeTruncate(body: Uint8Array): LogEntry | EntryMalformed {
  if (body.byteLength !== TRUNCATE_BODY_SIZE) return malformed(`a truncate body of ${body.byteLength} bytes, not ${TRUNCATE_BODY_SIZE} (beforeLsn, epoch)`);
  const view = bodyView(body);
  const beforeLsn = view.getBigUint64(0, true);
  if (beforeLsn === 0n) return malformed("a truncate marker with beforeLsn 0 (LSNs start at 1)");
  return { type: "truncate", beforeLsn, epoch: view.getBigUint64(8, true) };
}

/**
 * commit: count u32, then `count` sources (nameLength u16, name UTF-8, offset u64) in strictly
 * increasing byte order of names (so no name twice), then hasWatermark u8 (0 or 1) and watermark
 * i64 (0 when hasWatermark is 0), and nothing after it.
 */
function decodeCommit(body: Uint8Array): LogEntry | EntryMalformed {
  if (body.byteLength < COMMIT_BODY_SIZE_MIN) return malformed(`a commit body of ${body.byteLength} bytes, under the ${COMMIT_BODY_SIZE_MIN} of a commit with no source`);
  const view = bodyView(body);
  const count = view.getUint32(0, true);
  const sourcesEnd = body.byteLength - COMMIT_TRAILER_SIZE;
  const offsets = new Map<string, bigint>();
  let previous: Uint8Array | null = null;
  let at = 4;
  // Bounded by the body: every source takes at least 10 bytes, or the loop returns.
  for (let i = 0; i < count; i++) {
    if (at + 2 > sourcesEnd) return malformed(`commit source ${i} of ${count} starts past the sources' end`);
    const nameEnd = at + 2 + view.getUint16(at, true);
    if (nameEnd + 8 > sourcesEnd) return malformed(`commit source ${i} of ${count}: its name and offset run past the sources' end`);
    const nameBytes = body.subarray(at + 2, nameEnd);
    if (previous !== null) {
      const order = compareBytes(previous, nameBytes);
      if (order === 0) return malformed(`commit source ${i}: a name given twice`);
      if (order > 0) return malformed(`commit source ${i}: names not sorted by bytes`);
    }
    let name: string;
    try {
      name = fromUtf8.decode(nameBytes);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // TextDecoder's one failure on bad bytes
      return malformed(`commit source ${i}: the name is not UTF-8`);
    }
    offsets.set(name, view.getBigUint64(nameEnd, true));
    previous = nameBytes;
    at = nameEnd + 8;
  }
  if (at !== sourcesEnd) return malformed(`${sourcesEnd - at} bytes between the commit's ${count} sources and its watermark`);
  const hasWatermark = view.getUint8(at);
  const watermark = view.getBigInt64(at + 1, true);
  if (hasWatermark > 1) return malformed(`hasWatermark ${hasWatermark} (0 or 1)`);
  if (hasWatermark === 0 && watermark !== 0n) return malformed(`hasWatermark 0 with watermark ${watermark} (0 when absent)`);
  return { type: "commit", offsets, watermark: hasWatermark === 1 ? watermark : undefined };
}
