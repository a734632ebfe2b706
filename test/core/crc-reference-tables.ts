// CRC slicing tables computed in the test, independently of the core and of
// scripts/generate-crc-tables.mjs: what the module's constant tables must equal.

export const POLY_CRC32 = 0xedb88320;
export const POLY_CRC32C = 0x82f63b78;

/** Slicing-by-8 tables: 8 tables of 256 u32s, little-endian; table s is table s-1 after one more zero byte. */
export function slicingTables(poly: number): Uint8Array {
  const words = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    words[i] = c >>> 0;
  }
  for (let s = 1; s < 8; s++) {
    for (let i = 0; i < 256; i++) {
      const prev = words[(s - 1) * 256 + i] ?? 0;
      words[s * 256 + i] = ((prev >>> 8) ^ (words[prev & 0xff] ?? 0)) >>> 0;
    }
  }
  const bytes = new Uint8Array(words.byteLength);
  const view = new DataView(bytes.buffer);
  words.forEach((word, i) => view.setUint32(i * 4, word, true));
  return bytes;
}
