// Pointers into the core's shared memory are branded numbers (STYLE habit 13), so a length or
// an offset in a file cannot be passed where an address is meant.
import { assert } from "../assert.js";

export type Ptr = number & { readonly __ptr: unique symbol };

export function asPtr(address: number): Ptr {
  assert(Number.isSafeInteger(address) && address >= 0, "pointer must be a non-negative integer");
  return address as Ptr;
}

export function ptrAdd(ptr: Ptr, bytes: number): Ptr {
  return asPtr(ptr + bytes);
}
