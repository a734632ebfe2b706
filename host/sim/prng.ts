// The simulator's seeded PRNG: xoshiro128** (Blackman and Vigna, "Scrambled linear pseudorandom
// number generators", 2018; https://prng.di.unimi.it/xoshiro128starstar.c), seeded through
// splitmix32. Every step is 32-bit integer arithmetic (Math.imul, shifts, >>> 0), so one seed gives
// one sequence on Node, Bun and Deno: no BigInt, no Math.random, no floating-point state
// (STYLE habit 7: randomness is a parameter).
import { assert } from "../assert.js";

const TWO_POW_32 = 4294967296;

/** The longest run of rejected draws below() allows: 64 rejections in a row has probability < 2^-64. */
const BELOW_REJECTIONS_MAX = 64;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** One step of splitmix32 (a Weyl sequence through a finaliser): spreads a seed over a word. */
function splitmix32(state: number): { state: number; word: number } {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  return { state: next, word: z };
}

/** FNV-1a (32-bit) of a label's UTF-16 code units, to give each fork its own stream. */
function labelHash(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h;
}

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** A generator for `seed`, any safe integer (negative seeds and seeds above 2^32 are distinct). */
  constructor(readonly seed: number) {
    assert(Number.isSafeInteger(seed), `a PRNG seed is a safe integer; got ${seed}`);
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    const words = [0, 0, 0, 0];
    let state = low;
    for (let i = 0; i < 4; i++) {
      const step = splitmix32(state ^ (i === 1 || i === 3 ? high : 0));
      state = step.state;
      words[i] = step.word;
    }
    this.s0 = this.s1 = this.s2 = this.s3 = 0;
    this.setState(words);
  }

  /** A generator with xoshiro128**'s state set directly (for reference vectors); words are u32, not all zero. */
  static fromState(words: readonly [number, number, number, number]): Prng {
    for (const word of words) assert(Number.isInteger(word) && word >= 0 && word < TWO_POW_32, "a state word is a u32");
    assert(words.some((word) => word !== 0), "xoshiro128**'s state is never all zeros");
    const prng = new Prng(0);
    prng.setState(words);
    return prng;
  }

  /** The next 32 random bits as a number in [0, 2^32). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform integer in [0, n) for 1 <= n <= 2^32, without modulo bias (rejection sampling). */
  below(n: number): number {
    assert(Number.isInteger(n) && n >= 1 && n <= TWO_POW_32, `below(n) needs 1 <= n <= 2^32; got ${n}`);
    // Draws at or above `limit` would make the low residues likelier: with n = 3, 2^32 % 3 = 1,
    // so the single draw 2^32 - 1 is rejected.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (let rejections = 0; rejections < BELOW_REJECTIONS_MAX; rejections++) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
    assert(false, "below(): 64 rejected draws in a row, so the generator is broken");
  }

  /** A uniform integer in [min, max] (both inclusive). */
  between(min: number, max: number): number {
    assert(Number.isSafeInteger(min) && Number.isSafeInteger(max), "between() takes integers");
    assert(min <= max, `between(${min}, ${max}) is empty`);
    return min + this.below(max - min + 1);
  }

  /** True with probability p (0 <= p <= 1). Always draws, so the stream does not depend on p. */
  chance(p: number): boolean {
    assert(p >= 0 && p <= 1, `a probability is in [0, 1]; got ${p}`);
    return this.nextU32() < p * TWO_POW_32;
  }

  /** A uniform float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.nextU32() / TWO_POW_32;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, "pick() from an empty array");
    return items[this.below(items.length)] as T;
  }

  /** Fills `bytes` with random bytes (four per draw). */
  fill(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i += 4) {
      let word = this.nextU32();
      for (let j = i; j < Math.min(i + 4, bytes.length); j++) {
        bytes[j] = word & 0xff;
        word >>>= 8;
      }
    }
  }

  /**
   * An independent generator for one purpose (latency, faults, crashes), so that drawing more
   * from one purpose does not shift the others. Takes one draw from this generator: forking the
   * same label twice gives two different streams.
   */
  fork(label: string): Prng {
    const child = new Prng(0);
    let state = (this.nextU32() ^ labelHash(label)) >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const step = splitmix32(state);
      state = step.state;
      words.push(step.word);
    }
    child.setState(words);
    return child;
  }

  private setState(words: readonly number[]): void {
    assert(words.length === 4, "xoshiro128** has four words of state");
    this.s0 = words[0] ?? 0;
    this.s1 = words[1] ?? 0;
    this.s2 = words[2] ?? 0;
    this.s3 = words[3] ?? 0;
    // xoshiro's one forbidden state is all zeros; splitmix32 cannot give four zero words in a row
    // from one Weyl sequence, but the check is one line.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }
}
