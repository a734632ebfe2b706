// Copies of small values, cut from shared slabs: a put copies its value at the call (the caller
// may change its array afterwards), and an ArrayBuffer per copy costs more than the copy itself
// (an allocation of its own, and work for the collector). A slab lives while any value cut from
// it does (a live tail holds values until they are sealed), then goes with the last of them.
export const SLAB_SIZE = 1 << 20;
/** Values above this get an ArrayBuffer of their own: a slab is for the many small ones. */
export const SLAB_VALUE_MAX = 4096;

export class ValueSlab {
  private slab = new Uint8Array(SLAB_SIZE);
  private used = 0;

  copy(value: Uint8Array): Uint8Array {
    const length = value.byteLength;
    if (length > SLAB_VALUE_MAX) return value.slice();
    if (this.used + length > SLAB_SIZE) {
      this.slab = new Uint8Array(SLAB_SIZE);
      this.used = 0;
    }
    const copy = this.slab.subarray(this.used, this.used + length);
    copy.set(value);
    // 8-byte steps keep the next value's start aligned (cheaper copies of small values).
    this.used += (length + 7) & ~7;
    return copy;
  }
}
