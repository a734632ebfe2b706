// XXH64 wrappers (blocks and manifests are checksummed with XXH64; DESIGN section 4).
import { assert } from "../assert.js";
import { InvalidArgumentError } from "../errors.js";
import { type CoreContext, requireExport } from "./core-context.js";
import { type Ptr } from "./pointer.js";

type Xxh64Fn = (ptr: number, len: number, seed: bigint) => bigint;

export interface Xxh64Exports {
  xxh64: Xxh64Fn;
}

export function bindXxh64Exports(exports: WebAssembly.Exports): Xxh64Exports {
  return { xxh64: requireExport<Xxh64Fn>(exports, "xxh64") };
}

const U64_MAX = (1n << 64n) - 1n;

export function checkSeed64(seed: bigint): bigint {
  if (typeof seed !== "bigint" || seed < 0n || seed > U64_MAX) {
    throw new InvalidArgumentError(`an XXH64 seed is a u64 bigint; got ${String(seed)}`);
  }
  return seed;
}

export function xxh64OfBytes(ctx: CoreContext, fn: Xxh64Fn, bytes: Uint8Array, seed: bigint): bigint {
  checkSeed64(seed);
  const ptr = ctx.copyIn(bytes);
  return BigInt.asUintN(64, fn(ptr, bytes.byteLength, seed));
}

export function xxh64At(ctx: CoreContext, fn: Xxh64Fn, ptr: Ptr, len: number, seed: bigint): bigint {
  assert(Number.isSafeInteger(len) && len >= 0, "length must be a non-negative integer");
  assert(ptr + len <= ctx.memory.buffer.byteLength, "range lies outside the core memory");
  return BigInt.asUintN(64, fn(ptr, len, checkSeed64(seed)));
}
