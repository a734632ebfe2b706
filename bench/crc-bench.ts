// CRC-32 / CRC-32C throughput on 1 MiB and on 4 KiB, and framing of 128-byte entries in batches, against
// Node's zlib.crc32, hash-wasm, @node-rs/crc32 and crc-32, in one run.
import nodeRsCrc from "@node-rs/crc32";
import CRC32 from "crc-32";
import CRC32C from "crc-32/crc32c.js";
import hashWasm from "hash-wasm";
import * as zlib from "node:zlib";
import { type Core, asPtr } from "../host/core/index.js";
import { type Measurement, measure } from "./bench-harness.js";

const MIB = 1 << 20;
const CASTAGNOLI = 0x82f63b78;
const ENTRY_SIZE = 128;
const BATCH = 1024;

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 2654435761) >>> 24;
  return out;
}

export async function crcThroughput(core: Core): Promise<Measurement[]> {
  const data = pattern(MIB);
  const region = core.allocateRegion(MIB);
  core.bytesOf(region).set(data);
  const hw32 = await hashWasm.createCRC32();
  const hw32c = await hashWasm.createCRC32(CASTAGNOLI);
  const hashWasmRun = (hasher: typeof hw32) => () => {
    hasher.init();
    hasher.update(data);
    hasher.digest("binary");
  };
  return [
    measure("spacelog crc32 (wasm, sparse SIMD)", MIB, () => core.crc32At(region.ptr, MIB)),
    measure("spacelog crc32c (wasm, sparse SIMD)", MIB, () => core.crc32cAt(region.ptr, MIB)),
    measure("spacelog crc32 (wasm, slicing-by-8 only)", MIB, () => core.crc32TableAt(region.ptr, MIB)),
    measure("zlib.crc32 (Node native)", MIB, () => zlib.crc32(data)),
    measure("@node-rs/crc32 crc32", MIB, () => nodeRsCrc.crc32(data)),
    measure("@node-rs/crc32 crc32c", MIB, () => nodeRsCrc.crc32c(data)),
    measure("hash-wasm crc32", MIB, hashWasmRun(hw32)),
    measure("hash-wasm crc32c", MIB, hashWasmRun(hw32c)),
    measure("crc-32 crc32", MIB, () => CRC32.buf(data)),
    measure("crc-32 crc32c", MIB, () => CRC32C.buf(data)),
  ];
}

/** CRC-32C of one 4 KiB buffer (a log entry's size): the four-lane method's range. */
export async function crcMediumThroughput(core: Core): Promise<Measurement[]> {
  const size = 4096;
  const data = pattern(size);
  const region = core.allocateRegion(size);
  core.bytesOf(region).set(data);
  const hw32c = await hashWasm.createCRC32(CASTAGNOLI);
  return [
    measure("spacelog crc32c (wasm, four lanes)", size, () => core.crc32cAt(region.ptr, size)),
    measure("spacelog crc32c (wasm, slicing-by-8 only)", size, () => core.crc32cTableAt(region.ptr, size)),
    measure("zlib.crc32 (Node native, crc32)", size, () => zlib.crc32(data)),
    measure("@node-rs/crc32 crc32c", size, () => nodeRsCrc.crc32c(data)),
    measure("hash-wasm crc32c", size, () => {
      hw32c.init();
      hw32c.update(data);
      hw32c.digest("binary");
    }),
    measure("crc-32 crc32c", size, () => CRC32C.buf(data)),
  ];
}

/** Frames 1024 entries of 128 bytes: header (length, CRC over length + payload) plus payload. */
export async function framingThroughput(core: Core): Promise<Measurement[]> {
  const entries = Array.from({ length: BATCH }, (_, i) => pattern(ENTRY_SIZE).map((b) => b ^ i));
  const frameSize = 8 + ENTRY_SIZE;
  const region = core.allocateRegion(BATCH * frameSize + BATCH * 4);
  const lengthsPtr = asPtr(region.ptr + BATCH * frameSize);
  const lengths = new DataView(core.memory.buffer, lengthsPtr, BATCH * 4);
  for (let i = 0; i < BATCH; i++) lengths.setUint32(i * 4, ENTRY_SIZE, true);
  const inPlace = core.bytesOf(region);
  entries.forEach((entry, i) => inPlace.set(entry, i * frameSize + 8));

  const out = new Uint8Array(BATCH * frameSize);
  const outView = new DataView(out.buffer);
  const lengthBytes = new Uint8Array(4);
  new DataView(lengthBytes.buffer).setUint32(0, ENTRY_SIZE, true);
  const peer = (crcOf: (payload: Uint8Array) => number) => () => {
    for (let i = 0; i < BATCH; i++) {
      const at = i * frameSize;
      const entry = entries[i] as Uint8Array;
      outView.setUint32(at, ENTRY_SIZE, true);
      outView.setUint32(at + 4, crcOf(entry), true);
      out.set(entry, at + 8);
    }
  };
  const hw32c = await hashWasm.createCRC32(CASTAGNOLI);
  const lengthCrc = { zlib: zlib.crc32(lengthBytes), rs: nodeRsCrc.crc32c(lengthBytes), crc32c: CRC32C.buf(lengthBytes) };
  return [
    measure("spacelog encodeFramesAt (payloads in place, crc32c)", BATCH, () => {
      core.encodeFramesAt(region.ptr, lengthsPtr, BATCH, 0x5eed);
    }),
    measure("spacelog copy payloads in + encodeFramesAt", BATCH, () => {
      const u8 = core.bytesOf(region);
      for (let i = 0; i < BATCH; i++) u8.set(entries[i] as Uint8Array, i * frameSize + 8);
      core.encodeFramesAt(region.ptr, lengthsPtr, BATCH, 0x5eed);
    }),
    measure("zlib.crc32 per record (crc32)", BATCH, peer((p) => zlib.crc32(p, lengthCrc.zlib))),
    measure("@node-rs/crc32 crc32c per record", BATCH, peer((p) => nodeRsCrc.crc32c(p, lengthCrc.rs))),
    measure("hash-wasm crc32c per record", BATCH, peer((p) => {
      hw32c.init();
      hw32c.update(lengthBytes);
      hw32c.update(p);
      return Number.parseInt(hw32c.digest("hex"), 16);
    })),
    measure("crc-32 crc32c per record", BATCH, peer((p) => CRC32C.buf(p, lengthCrc.crc32c))),
  ];
}
