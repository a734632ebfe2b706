// Entry payloads of the log (docs/FORMAT.md "Entries"). A payload is the frame's payload: a type
// byte, then the body. All integers little-endian. Pure encode/decode; a payload from disk that
// does not decode is a value ("malformed"), not an exception, because its CRC matched and it can
// only come from a writer bug or a newer format.
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
  | { readonly type: "truncate"; readonly beforeLsn: bigint };

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const KEY_SIZE_MAX = 65535;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

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
  return withType(EntryType.Delete, key.byteLength, (_, body) => body.set(key));
}

export function encodeCheckpoint(id: bigint): Uint8Array {
  u64(id, "checkpoint id");
  return withType(EntryType.Checkpoint, 8, (view) => view.setBigUint64(0, id, true));
}

export function encodeEpochBarrier(epoch: bigint): Uint8Array {
  u64(epoch, "epoch");
  return withType(EntryType.EpochBarrier, 8, (view) => view.setBigUint64(0, epoch, true));
}

export function encodeSyncMark(durable: bigint): Uint8Array {
  u64(durable, "durable offset");
  return withType(EntryType.SyncMark, 8, (view) => view.setBigUint64(0, durable, true));
}

/** The durable offset a sync mark payload carries, or undefined if it is not a well-formed mark. */
export function syncMarkOf(payload: Uint8Array): bigint | undefined {
  if (payload.byteLength !== 9 || payload[0] !== EntryType.SyncMark) return undefined;
  return new DataView(payload.buffer, payload.byteOffset + 1, 8).getBigUint64(0, true);
}

export function encodeTruncate(beforeLsn: bigint): Uint8Array {
  u64(beforeLsn, "lsn");
  return withType(EntryType.Truncate, 8, (view) => view.setBigUint64(0, beforeLsn, true));
}

/**
 * commit: [count u32] then per source [nameLength u16][name utf8][offset u64], sorted by name so
 * equal commits encode equally; then [hasWatermark u8][watermark i64].
 */
export function encodeCommit(offsets: ReadonlyMap<string, bigint> | Record<string, bigint>, watermark?: bigint): Uint8Array {
  const entries = (offsets instanceof Map ? [...offsets.entries()] : Object.entries(offsets))
    .map(([name, offset]) => [utf8.encode(String(name)), u64(offset, `offset of ${String(name)}`)] as const)
    .sort((a, b) => Buffer.compare(a[0], b[0]));
  for (const [name] of entries) {
    if (name.byteLength > KEY_SIZE_MAX) throw new InvalidArgumentError(`a source name is at most ${KEY_SIZE_MAX} bytes`);
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

/** Decodes a payload (type byte first). Returns "malformed" for anything a writer never writes. */
export function decodeEntry(payload: Uint8Array): LogEntry | "malformed" {
  if (payload.byteLength < 1) return "malformed";
  const body = payload.subarray(1);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (payload[0]) {
    case EntryType.Raw:
      return { type: "raw", bytes: body };
    case EntryType.Put: {
      if (body.byteLength < 2) return "malformed";
      const keyLength = view.getUint16(0, true);
      if (2 + keyLength > body.byteLength) return "malformed";
      return { type: "put", key: body.subarray(2, 2 + keyLength), value: body.subarray(2 + keyLength) };
    }
    case EntryType.Delete:
      return { type: "delete", key: body };
    case EntryType.Checkpoint:
      return body.byteLength === 8 ? { type: "checkpoint", id: view.getBigUint64(0, true) } : "malformed";
    case EntryType.EpochBarrier:
      return body.byteLength === 8 ? { type: "epoch-barrier", epoch: view.getBigUint64(0, true) } : "malformed";
    case EntryType.Truncate:
      return body.byteLength === 8 ? { type: "truncate", beforeLsn: view.getBigUint64(0, true) } : "malformed";
    case EntryType.Commit:
      return decodeCommit(body, view);
    default:
      return "malformed";
  }
}

function decodeCommit(body: Uint8Array, view: DataView): LogEntry | "malformed" {
  if (body.byteLength < 4 + 9) return "malformed";
  const count = view.getUint32(0, true);
  const offsets = new Map<string, bigint>();
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 2 > body.byteLength) return "malformed";
    const nameLength = view.getUint16(at, true);
    if (at + 2 + nameLength + 8 > body.byteLength) return "malformed";
    let name: string;
    try {
      name = fromUtf8.decode(body.subarray(at + 2, at + 2 + nameLength));
    } catch {
      return "malformed"; // not UTF-8: a writer never writes this
    }
    offsets.set(name, view.getBigUint64(at + 2 + nameLength, true));
    at += 2 + nameLength + 8;
  }
  if (at + 9 !== body.byteLength) return "malformed";
  const hasWatermark = view.getUint8(at);
  if (hasWatermark > 1) return "malformed";
  return { type: "commit", offsets, watermark: hasWatermark === 1 ? view.getBigInt64(at + 1, true) : undefined };
}
