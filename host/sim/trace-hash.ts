// A running 64-bit FNV-1a hash of the simulator's trace: every op and its outcome is fed in, so one
// seed gives one hash, and two runs that differ anywhere (an op, a byte count, an errno, a crash
// decision) give different hashes with overwhelming probability. u32 arithmetic only, so the hash is
// the same on Node, Bun and Deno.
//
// The 64-bit multiply by the FNV prime 0x100000001b3 = 2^40 + 0x1b3, on h = hi * 2^32 + lo:
//   h * 0x1b3  = hi * 0x1b3 * 2^32 + lo * 0x1b3        (lo * 0x1b3 < 2^41: exact in a double)
//   h * 2^40   = lo * 2^40 (mod 2^64) = (lo << 8) * 2^32  (hi * 2^72 vanishes mod 2^64)
// so lo' = (lo * 0x1b3) mod 2^32 and hi' = hi * 0x1b3 + carry + (lo << 8), mod 2^32.
import { assert } from "../assert.js";

const TWO_POW_32 = 4294967296;
const FNV_PRIME_LOW = 0x1b3;

export class TraceHash {
  private hi = 0xcbf29ce4; // FNV-1a 64-bit offset basis 0xcbf29ce484222325
  private lo = 0x84222325;

  addByte(byte: number): void {
    this.lo = (this.lo ^ (byte & 0xff)) >>> 0;
    const low = this.lo * FNV_PRIME_LOW;
    const carry = Math.floor(low / TWO_POW_32);
    const high = this.hi * FNV_PRIME_LOW + carry + ((this.lo << 8) >>> 0);
    this.lo = low >>> 0;
    this.hi = high >>> 0;
  }

  addU32(word: number): void {
    for (let shift = 0; shift < 32; shift += 8) this.addByte(word >>> shift);
  }

  /** A safe integer (negative errno results included): sign, low word, high word. */
  addNumber(value: number): void {
    assert(Number.isSafeInteger(value), `the trace takes safe integers; got ${value}`);
    const magnitude = Math.abs(value);
    this.addByte(value < 0 ? 1 : 0);
    this.addU32(magnitude >>> 0);
    this.addU32(Math.floor(magnitude / TWO_POW_32) >>> 0);
  }

  /** A string's UTF-16 code units, then its length, so "ab" + "c" differs from "a" + "bc". */
  addString(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      this.addByte(unit);
      this.addByte(unit >>> 8);
    }
    this.addU32(text.length);
  }

  value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

/**
 * The simulator's trace: every event goes into the hash; the last `linesMax` also stay as text
 * lines ("12 ms complete op 7 -> 4096"), for reading a failing seed's history.
 */
export class SimTrace {
  private readonly hash = new TraceHash();
  private readonly lines: string[] = [];
  private next = 0;

  constructor(private readonly linesMax: number) {
    assert(Number.isSafeInteger(linesMax) && linesMax >= 0, `traceLinesMax is a non-negative integer; got ${linesMax}`);
  }

  add(nowMs: number, event: string, values: ReadonlyArray<number | string>): void {
    this.hash.addNumber(nowMs);
    this.hash.addString(event);
    for (const value of values) {
      if (typeof value === "number") this.hash.addNumber(value);
      else this.hash.addString(value);
    }
    if (this.linesMax === 0) return;
    const line = `${nowMs} ms ${event} ${values.join(" ")}`;
    if (this.lines.length < this.linesMax) this.lines.push(line);
    else this.lines[this.next % this.linesMax] = line;
    this.next++;
  }

  value(): bigint {
    return this.hash.value();
  }

  /** The kept lines, oldest first. */
  recentLines(): string[] {
    if (this.lines.length < this.linesMax) return [...this.lines];
    const at = this.next % this.linesMax;
    return [...this.lines.slice(at), ...this.lines.slice(0, at)];
  }
}
