// Byte helpers for frame tests (after LevelDB's log_test: flip, cut, fix).
import { type Core } from "../../host/core/index.js";

export function flipBit(bytes: Uint8Array, bitIndex: number): Uint8Array {
  const out = bytes.slice();
  const byte = out[bitIndex >>> 3];
  if (byte === undefined) throw new RangeError(`bit ${bitIndex} is outside ${bytes.byteLength} bytes`);
  out[bitIndex >>> 3] = byte ^ (1 << (bitIndex & 7));
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** Payloads with a type byte first, of the given lengths, filled from a seed. */
export function payloadsOf(lengths: readonly number[], seed: number): Uint8Array[] {
  let x = seed >>> 0 || 1;
  return lengths.map((length, i) => {
    const payload = new Uint8Array(length);
    for (let k = 0; k < length; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      payload[k] = x & 0xff;
    }
    payload[0] = 1 + (i % 6);
    return payload;
  });
}

/** Frame start offsets of an encoded batch, plus the end. */
export function frameBoundaries(payloads: readonly Uint8Array[]): number[] {
  const out = [0];
  for (const p of payloads) out.push((out[out.length - 1] ?? 0) + 8 + p.byteLength);
  return out;
}

/** The CRC a frame must carry, computed independently of the encoder from the public CRC. */
export function expectedFrameCrc(core: Core, payload: Uint8Array, seed: number): number {
  const lengthBytes = new Uint8Array(4);
  new DataView(lengthBytes.buffer).setUint32(0, payload.byteLength, true);
  return core.crc32c(payload, core.crc32c(lengthBytes, seed));
}
