// The contents of one simulated file: a size and a growable buffer. Bytes between the last write
// and the size (a hole, or a file grown by truncate) read as zeros, as on a real file system.
import { assert } from "../assert.js";

/** Files in the simulator stay small; a larger size is a caller bug (a garbage offset), not a disk state. */
export const SIM_FILE_SIZE_MAX = 1 << 30;

export class FileBytes {
  private data: Uint8Array;
  private length: number;

  constructor(data: Uint8Array = new Uint8Array(0), size = data.byteLength) {
    assert(size <= data.byteLength, "a file's size fits its buffer");
    this.data = data;
    this.length = size;
  }

  get size(): number {
    return this.length;
  }

  /** Copies up to out.byteLength bytes from `position`; returns the count (short at the end). */
  read(position: number, out: Uint8Array): number {
    if (position >= this.length) return 0;
    const count = Math.min(out.byteLength, this.length - position);
    out.set(this.data.subarray(position, position + count));
    return count;
  }

  byteAt(offset: number): number {
    assert(offset >= 0 && offset < this.length, `byte ${offset} is outside the file (size ${this.length})`);
    return this.data[offset] ?? 0;
  }

  setByte(offset: number, value: number): void {
    assert(offset >= 0 && offset < this.length, `byte ${offset} is outside the file (size ${this.length})`);
    this.data[offset] = value;
  }

  /** Writes `bytes` at `position`, growing the file (zero-filling any hole) if it ends past the size. */
  write(position: number, bytes: Uint8Array): void {
    const end = position + bytes.byteLength;
    if (end > this.length) this.resize(end);
    this.data.set(bytes, position);
  }

  /** Sets the size: shrinking forgets the cut bytes, growing adds zeros. */
  resize(size: number): void {
    assert(Number.isSafeInteger(size) && size >= 0, `a file size is a non-negative integer; got ${size}`);
    assert(size <= SIM_FILE_SIZE_MAX, `a simulated file is at most ${SIM_FILE_SIZE_MAX} bytes; asked ${size}`);
    if (size < this.length) this.data.fill(0, size, this.length); // a later growth reads zeros there
    if (size > this.data.byteLength) {
      const grown = new Uint8Array(Math.max(size, Math.min(SIM_FILE_SIZE_MAX, this.data.byteLength * 2)));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.length = size;
  }

  copy(): FileBytes {
    return new FileBytes(this.data.slice(0, this.length));
  }

  /** The bytes, copied. */
  toBytes(): Uint8Array {
    return this.data.slice(0, this.length);
  }
}
