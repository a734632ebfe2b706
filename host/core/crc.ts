// CRC-32 / CRC-32C wrappers. The hot path is crc32At(ptr, len): bytes already in a region.
import { assert } from "../assert.js";
import { InvalidArgumentError } from "../errors.js";
import { type CoreContext, requireExport } from "./core-context.js";
import { type Ptr } from "./pointer.js";

type CrcFn = (ptr: number, len: number, crc: number) => number;

export interface CrcExports {
  crc32: CrcFn;
  crc32c: CrcFn;
  crc32Table: CrcFn;
  crc32cTable: CrcFn;
}

export function bindCrcExports(exports: WebAssembly.Exports): CrcExports {
  return {
    crc32: requireExport<CrcFn>(exports, "crc32"),
    crc32c: requireExport<CrcFn>(exports, "crc32c"),
    crc32Table: requireExport<CrcFn>(exports, "crc32Table"),
    crc32cTable: requireExport<CrcFn>(exports, "crc32cTable"),
  };
}

export function checkCrcSeed(crc: number): number {
  if (!Number.isInteger(crc) || crc < 0 || crc > 0xffffffff) {
    throw new InvalidArgumentError(`a CRC continuation value is a u32; got ${crc}`);
  }
  return crc;
}

/** Runs `fn` over bytes copied in; the input region is reused between calls. */
export function crcOfBytes(ctx: CoreContext, fn: CrcFn, bytes: Uint8Array, crc: number): number {
  checkCrcSeed(crc);
  const ptr = ctx.copyIn(bytes);
  return fn(ptr, bytes.byteLength, crc) >>> 0;
}

export function crcAt(ctx: CoreContext, fn: CrcFn, ptr: Ptr, len: number, crc: number): number {
  assert(Number.isSafeInteger(len) && len >= 0, "length must be a non-negative integer");
  assert(ptr + len <= ctx.memory.buffer.byteLength, "range lies outside the core memory");
  return fn(ptr, len, checkCrcSeed(crc)) >>> 0;
}
