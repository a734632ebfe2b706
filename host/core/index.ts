// spacelog/core: the WebAssembly core and its typed wrappers.
import { Core } from "./core.js";
import { createCoreMemory, instantiateCore } from "./load-core.js";

export { Core } from "./core.js";
export { type Ptr, asPtr } from "./pointer.js";
export { type Region } from "./region-allocator.js";
export { coreModule, createCoreMemory, instantiateCore, CORE_PAGES_MAX, CORE_SCRATCH_SIZE } from "./load-core.js";

/** Creates the shared memory, instantiates the core over it, and returns the typed wrappers. */
export async function loadCore(): Promise<Core> {
  return new Core(instantiateCore(createCoreMemory()));
}
