// A reference Hilbert curve for the tests: a direct, readable transcription of John Skilling's
// AxestoTranspose / TransposetoAxes ("Programming the Hilbert curve", AIP Conf. Proc. 707, 2004)
// with BigInt words, branches as published, and a bit-by-bit interleave. It shares no code with
// the core, which uses selects, SIMD lanes and magic-mask spreads instead.

/** Skilling's AxestoTranspose on a copy of the point. */
function axesToTranspose(point: readonly bigint[], bits: number): bigint[] {
  const x = [...point];
  const n = x.length;
  const m = 1n << BigInt(bits - 1);
  // Inverse undo.
  for (let q = m; q > 1n; q >>= 1n) {
    const p = q - 1n;
    for (let i = 0; i < n; i++) {
      if ((x[i]! & q) !== 0n) {
        x[0] = x[0]! ^ p; // invert
      } else {
        const t = (x[0]! ^ x[i]!) & p; // exchange
        x[0] = x[0]! ^ t;
        x[i] = x[i]! ^ t;
      }
    }
  }
  // Gray encode.
  for (let i = 1; i < n; i++) x[i] = x[i]! ^ x[i - 1]!;
  let t = 0n;
  for (let q = m; q > 1n; q >>= 1n) if ((x[n - 1]! & q) !== 0n) t ^= q - 1n;
  for (let i = 0; i < n; i++) x[i] = x[i]! ^ t;
  return x;
}

/** Skilling's TransposetoAxes on a copy (the Gray decode loop stops at i = 1: X[-1] does not exist). */
function transposeToAxes(transposed: readonly bigint[], bits: number): bigint[] {
  const x = [...transposed];
  const n = x.length;
  const top = 2n << BigInt(bits - 1);
  // Gray decode by H ^ (H/2).
  const t = x[n - 1]! >> 1n;
  for (let i = n - 1; i > 0; i--) x[i] = x[i]! ^ x[i - 1]!;
  x[0] = x[0]! ^ t;
  // Undo excess work.
  for (let q = 2n; q !== top; q <<= 1n) {
    const p = q - 1n;
    for (let i = n - 1; i >= 0; i--) {
      if ((x[i]! & q) !== 0n) {
        x[0] = x[0]! ^ p;
      } else {
        const t2: bigint = (x[0]! ^ x[i]!) & p;
        x[0] = x[0]! ^ t2;
        x[i] = x[i]! ^ t2;
      }
    }
  }
  return x;
}

/** The key: transposed words interleaved, bit bits-1 of X[0] first. */
export function referenceKey(point: readonly bigint[], bits: number): bigint {
  const x = axesToTranspose(point, bits);
  let key = 0n;
  for (let j = bits - 1; j >= 0; j--) {
    for (const word of x) key = (key << 1n) | ((word >> BigInt(j)) & 1n);
  }
  return key;
}

export function referencePoint(dims: number, bits: number, key: bigint): bigint[] {
  const x: bigint[] = new Array<bigint>(dims).fill(0n);
  let shift = BigInt(dims * bits - 1);
  for (let j = bits - 1; j >= 0; j--) {
    for (let i = 0; i < dims; i++) {
      x[i] = x[i]! | (((key >> shift) & 1n) << BigInt(j));
      shift--;
    }
  }
  return transposeToAxes(x, bits);
}
