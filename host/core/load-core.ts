// Loads the WebAssembly core. We use the raw WebAssembly API, not @assemblyscript/loader: the
// core is built with --runtime stub and takes only numbers and pointers, so the loader's job
// (lifting strings and arrays through __new/__pin) has nothing to do here, and the raw exports
// keep their exact wasm types (i64 arrives as bigint). See README "Dependencies".
import { readFileSync } from "node:fs";
import { CoreLoadError } from "../errors.js";
import { CoreContext, requireExport } from "./core-context.js";
import { asPtr } from "./pointer.js";
import { RegionAllocator, WASM_PAGE_SIZE } from "./region-allocator.js";

/** Pages the memory starts with, and its declared maximum (1 GiB), matching asconfig.json. */
export const CORE_PAGES_INITIAL = 64;
export const CORE_PAGES_MAX = 16384;
/** Per-instance scratch: the CRC ring (8 KiB) and room for the core's other per-call state. */
export const CORE_SCRATCH_SIZE = 1 << 20;

let compiled: WebAssembly.Module | null = null;

function wasmUrl(): URL {
  // dist/host/core/load-core.js -> build/spacelog.wasm
  return new URL("../../../build/spacelog.wasm", import.meta.url);
}

/** The compiled module, compiled once per thread and shareable with workers by postMessage. */
export function coreModule(): WebAssembly.Module {
  if (compiled === null) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(wasmUrl());
    } catch (error) {
      throw new CoreLoadError(`cannot read the core at ${wasmUrl().pathname}: run "npm run build"`, { cause: error });
    }
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

export function createCoreMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: CORE_PAGES_INITIAL, maximum: CORE_PAGES_MAX, shared: true });
}

function abort(): never {
  throw new CoreLoadError("the core aborted: an internal assertion failed");
}

/** Where a second instance (another thread) over the same memory may allocate: a region the first gave it. */
export interface CoreArena {
  readonly ptr: number;
  readonly sizeBytes: number;
}

/**
 * Instantiates the core over `memory`. The first instance over a memory owns the memory above the
 * core's static data; a second instance (another thread over the same memory) is given an arena,
 * a region the first instance allocated for it, and allocates its scratch and tables only there.
 */
export function instantiateCore(memory: WebAssembly.Memory, module: WebAssembly.Module = coreModule(), arena?: CoreArena): CoreContext {
  const instance = new WebAssembly.Instance(module, { env: { memory, abort } });
  const exports = instance.exports;
  const heapBase = requireExport<() => number>(exports, "coreHeapBase")();
  const regions = arena === undefined
    ? new RegionAllocator(memory, heapBase, CORE_PAGES_MAX)
    : new RegionAllocator(memory, arena.ptr, CORE_PAGES_MAX, arena.ptr + arena.sizeBytes);
  const scratch = regions.allocate(CORE_SCRATCH_SIZE);
  const setScratch = requireExport<(ptr: number, size: number) => number>(exports, "coreSetScratch");
  if (setScratch(asPtr(scratch.ptr), scratch.sizeBytes) !== 0) throw new CoreLoadError("the core refused its scratch region");
  // Nothing else to initialise: the CRC tables are constant data (assembly/crc32.ts, "Tables"), so
  // this instantiation rewrote only bytes that were already there, and other threads reading them
  // see no change (test/core/shared-memory-contract.test.ts).
  return new CoreContext(memory, exports, regions, scratch);
}

export function coreMemoryBytesMax(): number {
  return CORE_PAGES_MAX * WASM_PAGE_SIZE;
}
