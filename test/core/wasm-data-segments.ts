// Reads the data segments of a WebAssembly binary (the spec's binary format, section 11), so
// tests can check what an instantiation writes into the shared memory: every active segment is
// copied to its offset each time an instance is created.
import { readFileSync } from "node:fs";

export interface DataSegment {
  /** True for an active segment: written at `offset` by every instantiation. */
  readonly active: boolean;
  readonly offset: number;
  readonly bytes: Uint8Array;
}

const SECTION_DATA = 11;
const OPCODE_I32_CONST = 0x41;
const OPCODE_END = 0x0b;

class Reader {
  at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  byte(): number {
    const value = this.bytes[this.at];
    if (value === undefined) throw new RangeError(`wasm binary ends at byte ${this.at}`);
    this.at++;
    return value;
  }

  /** An unsigned LEB128 of at most 32 bits. */
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new RangeError(`LEB128 longer than 5 bytes at ${this.at}`);
  }

  /** A signed LEB128 of at most 32 bits (an i32.const immediate). */
  i32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while ((b & 0x80) !== 0 && shift < 35);
    if (shift < 32 && (b & 0x40) !== 0) result |= -1 << shift;
    return result;
  }

  take(length: number): Uint8Array {
    const out = this.bytes.subarray(this.at, this.at + length);
    if (out.byteLength !== length) throw new RangeError(`wasm binary ends inside a ${length}-byte field`);
    this.at += length;
    return out;
  }
}

/** An active segment's offset: `i32.const N end`, the only form asc emits for an imported memory. */
function readOffset(reader: Reader): number {
  const opcode = reader.byte();
  if (opcode !== OPCODE_I32_CONST) throw new RangeError(`data segment offset opcode 0x${opcode.toString(16)} is not i32.const`);
  const offset = reader.i32();
  if (reader.byte() !== OPCODE_END) throw new RangeError("data segment offset is not a single i32.const");
  return offset >>> 0;
}

function readSegment(reader: Reader): DataSegment {
  const flags = reader.u32();
  if (flags === 1) return { active: false, offset: 0, bytes: reader.take(reader.u32()) };
  if (flags === 2 && reader.u32() !== 0) throw new RangeError("data segment for a memory other than memory 0");
  if (flags !== 0 && flags !== 2) throw new RangeError(`data segment flags ${flags}`);
  const offset = readOffset(reader);
  return { active: true, offset, bytes: reader.take(reader.u32()) };
}

/** Every data segment of the module, in binary order. */
export function dataSegments(wasm: Uint8Array): DataSegment[] {
  const reader = new Reader(wasm);
  reader.take(8); // magic "\0asm" and version 1
  while (reader.at < wasm.byteLength) {
    const id = reader.byte();
    const size = reader.u32();
    const end = reader.at + size;
    if (id === SECTION_DATA) {
      const count = reader.u32();
      const segments: DataSegment[] = [];
      for (let i = 0; i < count; i++) segments.push(readSegment(reader));
      if (reader.at !== end) throw new RangeError("data section length does not match its segments");
      return segments;
    }
    reader.at = end;
  }
  return [];
}

/** The bytes of build/spacelog.wasm, the file coreModule() compiles (from dist/test/core). */
export function coreWasmBytes(): Uint8Array {
  return readFileSync(new URL("../../../build/spacelog.wasm", import.meta.url));
}
