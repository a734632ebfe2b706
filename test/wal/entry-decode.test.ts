// Entry decoding is strict, exactly as docs/FORMAT.md "Entries" defines it: a payload decodes
// only if some encoder call writes exactly these bytes, and a payload that does not decode names
// the rule it breaks. One case per rule, then a property: whatever decodes re-encodes to itself.
import { expect } from "chai";
import fc from "fast-check";
import {
  type EntryMalformed, type LogEntry, decodeEntry, encodeCheckpoint, encodeCommit, encodeDelete, encodeEpochBarrier, encodePut,
  encodeRaw, encodeTruncate, isMalformed,
} from "../../host/wal/log-entry.js";
import { decodeSyncMark, encodeSyncMark } from "../../host/wal/sync-mark.js";
import { propertySeed } from "../core/core-check.js";

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

function u64(value: bigint): number[] {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return [...out];
}

function u16(value: number): number[] {
  return [value & 0xff, value >>> 8];
}

/** A commit payload built by hand: sources as [name bytes, offset], then the trailer. */
function commitBytes(sources: ReadonlyArray<readonly [number[], bigint]>, hasWatermark: number, watermark: bigint, extra: number[] = [], count = sources.length): Uint8Array {
  const out: number[] = [6, count & 0xff, (count >>> 8) & 0xff, (count >>> 16) & 0xff, count >>> 24];
  for (const [name, offset] of sources) out.push(...u16(name.length), ...name, ...u64(offset));
  out.push(hasWatermark, ...u64(BigInt.asUintN(64, watermark)), ...extra);
  return new Uint8Array(out);
}

function reasonOf(payload: Uint8Array): string {
  const decoded = decodeEntry(payload);
  expect(isMalformed(decoded), `decodes: ${JSON.stringify(decoded, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`).to.equal(true);
  return (decoded as EntryMalformed).malformed;
}

/** The encoder call that writes `entry`. */
function encodeEntry(entry: LogEntry): Uint8Array {
  switch (entry.type) {
    case "raw": return encodeRaw(entry.bytes);
    case "put": return encodePut(entry.key, entry.value);
    case "delete": return encodeDelete(entry.key);
    case "checkpoint": return encodeCheckpoint(entry.id);
    case "epoch-barrier": return encodeEpochBarrier(entry.epoch);
    case "commit": return encodeCommit(entry.offsets, entry.watermark);
    case "truncate": return encodeTruncate(entry.beforeLsn, entry.epoch);
  }
}

describe("wal: entry decoding is strict (docs/FORMAT.md Entries)", () => {
  it("types: 0 and 9.. are unknown; a sync mark (8) is not an entry", () => {
    expect(reasonOf(bytes(0))).to.match(/unknown entry type 0/);
    expect(reasonOf(bytes(9, 1, 2))).to.match(/unknown entry type 9/);
    expect(reasonOf(bytes(255))).to.match(/unknown entry type 255/);
    expect(reasonOf(encodeSyncMark(5n))).to.match(/sync mark/);
    expect(reasonOf(new Uint8Array(0))).to.match(/empty payload/);
  });

  it("raw: any body, empty included", () => {
    expect(decodeEntry(bytes(1))).to.deep.equal({ type: "raw", bytes: new Uint8Array(0) });
    expect(decodeEntry(bytes(1, 0, 0))).to.deep.equal({ type: "raw", bytes: bytes(0, 0) });
  });

  it("put: a body shorter than the key length, or a key running past the body, is malformed; the value may be empty", () => {
    expect(reasonOf(bytes(2))).to.match(/put body of 0 bytes/);
    expect(reasonOf(bytes(2, 1))).to.match(/put body of 1 bytes/);
    expect(reasonOf(bytes(2, 3, 0, 0x61, 0x62))).to.match(/put key of 3 bytes/);
    expect(decodeEntry(bytes(2, 2, 0, 0x61, 0x62))).to.deep.equal({ type: "put", key: bytes(0x61, 0x62), value: new Uint8Array(0) });
  });

  it("delete: a key over 65535 bytes is malformed, and the encoder refuses one", () => {
    const key = new Uint8Array(65536);
    const payload = new Uint8Array(1 + key.byteLength);
    payload[0] = 3;
    expect(reasonOf(payload)).to.match(/key of 65536 bytes/);
    expect(() => encodeDelete(key)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(decodeEntry(encodeDelete(new Uint8Array(65535)))).to.have.property("type", "delete");
  });

  it("checkpoint: the body is exactly 8 bytes (a 7-byte or 9-byte one is malformed)", () => {
    expect(reasonOf(bytes(4, 1, 2, 3, 4, 5, 6, 7))).to.match(/checkpoint body of 7 bytes, not 8/);
    expect(reasonOf(bytes(4, ...u64(7n), 0))).to.match(/checkpoint body of 9 bytes/);
    expect(decodeEntry(encodeCheckpoint(7n))).to.deep.equal({ type: "checkpoint", id: 7n });
  });

  it("epoch barrier: exactly 8 bytes, and an epoch of at least 1 (the encoder refuses 0)", () => {
    expect(reasonOf(bytes(5, 1, 0, 0, 0, 0, 0, 0))).to.match(/epoch barrier body of 7 bytes/);
    expect(reasonOf(bytes(5, ...u64(1n), 0))).to.match(/epoch barrier body of 9 bytes/);
    expect(reasonOf(bytes(5, ...u64(0n)))).to.match(/epoch 0/);
    expect(() => encodeEpochBarrier(0n)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
  });

  it("truncate: exactly 16 bytes (beforeLsn, epoch), beforeLsn at least 1; the 8-byte marker of format 0.1 is malformed", () => {
    expect(decodeEntry(encodeTruncate(5n, 2n))).to.deep.equal({ type: "truncate", beforeLsn: 5n, epoch: 2n });
    expect(reasonOf(bytes(7, ...u64(5n)))).to.match(/truncate body of 8 bytes, not 16/);
    expect(reasonOf(bytes(7, ...u64(5n), ...u64(0n), 0))).to.match(/truncate body of 17 bytes/);
    expect(reasonOf(bytes(7, ...u64(0n), ...u64(0n)))).to.match(/beforeLsn 0/);
    expect(() => encodeTruncate(0n, 0n)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
  });

  it("sync mark: exactly 8 bytes", () => {
    expect(decodeSyncMark(encodeSyncMark(99n))).to.equal(99n);
    expect(decodeSyncMark(bytes(8, 1, 2, 3, 4, 5, 6, 7))).to.deep.equal({ malformed: "a sync mark body of 7 bytes, not 8" });
    expect(decodeSyncMark(bytes(8, ...u64(1n), 0))).to.have.property("malformed");
  });

  it("commit: sources in strictly increasing byte order, UTF-8 names, hasWatermark 0 or 1, watermark 0 when absent, nothing after it", () => {
    const a = [0x61];
    const b = [0x62];
    expect(decodeEntry(commitBytes([[a, 1n], [b, 2n]], 1, -5n))).to.deep.equal({ type: "commit", offsets: new Map([["a", 1n], ["b", 2n]]), watermark: -5n });
    expect(reasonOf(commitBytes([[a, 1n]], 2, 0n))).to.match(/hasWatermark 2/);
    expect(reasonOf(commitBytes([[a, 1n]], 0, 3n))).to.match(/hasWatermark 0 with watermark 3/);
    expect(reasonOf(commitBytes([[a, 1n]], 0, 0n, [0]))).to.match(/1 bytes between the commit's 1 sources and its watermark/);
    expect(reasonOf(commitBytes([[a, 1n], [a, 2n]], 0, 0n))).to.match(/a name given twice/);
    expect(reasonOf(commitBytes([[b, 1n], [a, 2n]], 0, 0n))).to.match(/names not sorted by bytes/);
    expect(reasonOf(commitBytes([[[0xff], 1n]], 0, 0n))).to.match(/not UTF-8/);
    expect(reasonOf(commitBytes([[[0xc0, 0x80], 1n]], 0, 0n)), "an overlong NUL").to.match(/not UTF-8/);
    expect(reasonOf(commitBytes([[[0xed, 0xa0, 0x80], 1n]], 0, 0n)), "an encoded surrogate").to.match(/not UTF-8/);
    expect(reasonOf(commitBytes([[a, 1n]], 0, 0n, [], 2))).to.match(/source 1 of 2/);
    expect(reasonOf(commitBytes([], 0, 0n).subarray(0, 12))).to.match(/commit body of 11 bytes/);
    // a name is sorted by its bytes, a prefix first: "a" < "ab" < "b"
    expect(decodeEntry(commitBytes([[a, 1n], [[0x61, 0x62], 2n], [b, 3n]], 0, 0n))).to.have.property("type", "commit");
  });

  it("commit: a leading U+FEFF is part of the name, not dropped", () => {
    const decoded = decodeEntry(commitBytes([[[0xef, 0xbb, 0xbf, 0x61], 1n]], 0, 0n));
    if (isMalformed(decoded) || decoded.type !== "commit") throw new Error(`not a commit: ${JSON.stringify(decoded)}`);
    expect([...decoded.offsets.keys()]).to.deep.equal(["\ufeffa"]);
    expect(encodeCommit(decoded.offsets)).to.deep.equal(commitBytes([[[0xef, 0xbb, 0xbf, 0x61], 1n]], 0, 0n));
  });

  it("the commit encoder refuses a name given twice (by bytes) and a name with a lone surrogate", () => {
    expect(() => encodeCommit(new Map<string, bigint>([[1 as unknown as string, 1n], ["1", 2n]]))).to.throw(/given twice/).with.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(() => encodeCommit({ "\ud800": 1n })).to.throw(/lone surrogate/).with.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(() => encodeCommit({ "\ufffd": 1n })).to.not.throw();
  });

  it("property: a payload decodes only if re-encoding the entry gives the same bytes", () => {
    const anyPayload = fc.tuple(fc.integer({ min: 0, max: 10 }), fc.uint8Array({ maxLength: 40 })).map(([type, body]) => {
      const payload = new Uint8Array(1 + body.byteLength);
      payload[0] = type;
      payload.set(body, 1);
      return payload;
    });
    const names = fc.dictionary(fc.string({ maxLength: 4 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { maxKeys: 4 });
    const watermark = fc.option(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { nil: undefined });
    const damagedCommit = fc.tuple(names, watermark, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: -3, max: 3 })).map(([offsets, w, at, value, resize]) => {
      const good = encodeCommit(offsets, w);
      const out = new Uint8Array(Math.max(1, good.byteLength + resize));
      out.set(good.subarray(0, out.byteLength));
      out[1 + (at % Math.max(1, out.byteLength - 1))] = value;
      return out;
    });
    fc.assert(
      fc.property(fc.oneof(anyPayload, damagedCommit), (payload) => {
        const decoded = decodeEntry(payload);
        if (isMalformed(decoded)) return;
        expect([...encodeEntry(decoded)]).to.deep.equal([...payload]);
      }),
      { numRuns: 20_000, seed: propertySeed() },
    );
  });
});
