// A value the store accepts: the bytes of put(space, point, value). Pure; no copy.
//
// The rules, and why:
// - A value is a Uint8Array (a Node Buffer is one). Any other type, an ArrayBuffer, a DataView or
//   another typed array included, is an InvalidArgumentError: reinterpreting an Int16Array's bytes
//   would make the stored bytes depend on the machine's byte order, and a string has no single
//   byte form. The caller wraps what it has: new Uint8Array(buffer).
// - Its length is at most VALUE_SIZE_MAX (16 MiB - 1, the block format's limit: a record's length
//   field is 24 bits), else ValueTooLargeError. An empty value is a value, not a delete.
// - The check does not copy. The store must copy (or write) the bytes before put returns, since
//   the caller may reuse its buffer as soon as the call returns.
import { InvalidArgumentError, ValueTooLargeError } from "../errors.js";
import { VALUE_SIZE_MAX } from "./block-format.js";

export function checkValue(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    const kind = value === null ? "null" : typeof value === "object" ? value.constructor?.name ?? "object" : typeof value;
    throw new InvalidArgumentError(`a value must be a Uint8Array (or Buffer); got ${kind}`);
  }
  if (value.byteLength > VALUE_SIZE_MAX) {
    throw new ValueTooLargeError(`a value is at most ${VALUE_SIZE_MAX} bytes (16 MiB - 1); got ${value.byteLength}`,
      value.byteLength, VALUE_SIZE_MAX);
  }
  return value;
}
