// A value the store accepts: the bytes of put(space, point, value). Pure; no copy.
//
// The rules, and why:
// - A value is a Uint8Array (a Node Buffer is one). Any other type, an ArrayBuffer, a DataView or
//   another typed array included, is an InvalidArgumentError: reinterpreting an Int16Array's bytes
//   would make the stored bytes depend on the machine's byte order, and a string has no single
//   byte form. The caller wraps what it has: new Uint8Array(buffer).
// - Its length is at most PUT_VALUE_SIZE_MAX (16 MiB - 29: a put record's 29 fixed bytes and its
//   value fill one frame of at most 2^24 bytes; below the block format's VALUE_SIZE_MAX, so a
//   value that is accepted can also be sealed), else ValueTooLargeError. An empty value is a
//   value, not a delete.
// - The check does not copy. The store must copy (or write) the bytes before put returns, since
//   the caller may reuse its buffer as soon as the call returns.
import { assert } from "../assert.js";
import { InvalidArgumentError, ValueTooLargeError } from "../errors.js";
import { VALUE_SIZE_MAX } from "./block-format.js";
import { PUT_VALUE_SIZE_MAX } from "./store-record.js";

assert(PUT_VALUE_SIZE_MAX <= VALUE_SIZE_MAX, "every value a put accepts fits a sealed block's record");

export function checkValue(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    const kind = value === null ? "null" : typeof value === "object" ? value.constructor?.name ?? "object" : typeof value;
    throw new InvalidArgumentError(`a value must be a Uint8Array (or Buffer); got ${kind}`);
  }
  if (value.byteLength > PUT_VALUE_SIZE_MAX) {
    throw new ValueTooLargeError(`a value is at most ${PUT_VALUE_SIZE_MAX} bytes (16 MiB - 29: a put and its value fill one frame); got ${value.byteLength}`,
      value.byteLength, PUT_VALUE_SIZE_MAX);
  }
  return value;
}
