// One instantiated core: its shared memory, its raw exports, its region allocator and scratch.
//
// Boundary rules (after undici's guard around llhttp, STYLE habit 13):
// - views into the memory are re-taken after every grow: a SharedArrayBuffer never moves, but a
//   grow gives `memory.buffer` a new, longer object, and old views keep their old length;
// - inputs that the wrappers copy in go to this instance's input region, which is grown to fit;
// - the core is not re-entrant per instance (its scratch is per instance), so calls are
//   synchronous and never overlap on one thread.
import { assert } from "../assert.js";
import { CoreLoadError } from "../errors.js";
import { type Ptr } from "./pointer.js";
import { type Region, RegionAllocator } from "./region-allocator.js";

export type RawExport = (...args: never[]) => unknown;

/** Takes a named function export, or fails loading with a clear message. */
export function requireExport<F>(exports: WebAssembly.Exports, name: string): F {
  const value: unknown = exports[name];
  if (typeof value !== "function") throw new CoreLoadError(`core export "${name}" is missing`);
  return value as F;
}

export class CoreContext {
  private inputRegion: Region | null = null;
  private viewBuffer: ArrayBufferLike | null = null;
  private viewU8: Uint8Array = new Uint8Array(0);
  private viewDataBuffer: ArrayBufferLike | null = null;
  private viewData: DataView = new DataView(new ArrayBuffer(0));

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly exports: WebAssembly.Exports,
    readonly regions: RegionAllocator,
    readonly scratch: Region,
  ) {}

  /** A byte view of the whole memory, valid until the next grow. */
  get u8(): Uint8Array {
    const buffer = this.memory.buffer;
    if (buffer !== this.viewBuffer) {
      this.viewBuffer = buffer;
      this.viewU8 = new Uint8Array(buffer);
    }
    return this.viewU8;
  }

  /** A DataView over the whole memory, valid until the next grow: hot paths index it by pointer, with no view per call. */
  get data(): DataView {
    const buffer = this.memory.buffer;
    if (buffer !== this.viewDataBuffer) {
      this.viewDataBuffer = buffer;
      this.viewData = new DataView(buffer);
    }
    return this.viewData;
  }

  /** A DataView over [ptr, ptr + length). */
  dataView(ptr: Ptr, length: number): DataView {
    return new DataView(this.memory.buffer, ptr, length);
  }

  /** Copies bytes into this instance's input region and returns where they are. */
  copyIn(bytes: Uint8Array): Ptr {
    const region = this.input(bytes.byteLength);
    this.u8.set(bytes, region.ptr);
    return region.ptr;
  }

  /** This instance's input region, at least `sizeBytes` long (contents not preserved). */
  input(sizeBytes: number): Region {
    const wanted = Math.max(sizeBytes, 4096);
    if (this.inputRegion === null || this.inputRegion.sizeBytes < wanted) {
      if (this.inputRegion !== null) this.regions.release(this.inputRegion);
      this.inputRegion = this.regions.allocate(wanted);
    }
    assert(this.inputRegion.sizeBytes >= sizeBytes, "input region too small");
    return this.inputRegion;
  }
}
