// Per-instance scratch region.
//
// Wasm globals are per instance, and every thread instantiates the module on its own, so a
// scratch pointer kept in a global gives each thread its own scratch region inside the one
// shared memory. The host assigns the region (the core never allocates) and passes it here
// once, right after instantiation.

// @ts-ignore: decorator
@inline export const SCRATCH_SIZE_MIN: usize = 64 * 1024;

let scratchBase: usize = 0;
let scratchSize: usize = 0;

/** Assigns this instance's scratch region. Returns 0, or -1 if the region is too small or misaligned. */
export function coreSetScratch(ptr: usize, size: usize): i32 {
  if (size < SCRATCH_SIZE_MIN) return -1;
  if ((ptr & 63) != 0) return -1;
  scratchBase = ptr;
  scratchSize = size;
  return 0;
}

/** The scratch region of this instance; 0 until the host assigned one. */
export function scratchPointer(): usize {
  return scratchBase;
}

/** The first byte the host may use for its own regions: everything below is the core's static data. */
export function coreHeapBase(): usize {
  return (__heap_base + 63) & ~<usize>63;
}
