// spacelog/core: the WebAssembly core and its typed wrappers.
import { Core } from "./core.js";
import { createCoreMemory, instantiateCore } from "./load-core.js";

export { Core } from "./core.js";
export { type Ptr, asPtr } from "./pointer.js";
export { type Region } from "./region-allocator.js";
export { type FrameScan, type ScannedFrame } from "./frame.js";
export { ScanStop, type ScanStopName, FRAME_HEADER_SIZE, FRAME_PAYLOAD_MAX } from "./frame-format.js";
export { type HilbertBox, type HilbertRanges, type HilbertRangesOptions } from "./hilbert-ranges.js";
export { type SortTuple, SORT_TUPLE_SIZE } from "./radix-sort.js";
export { CompletionTable, CompletionOutcome, type CompletionTableOptions, type CompletionFileState } from "./completions.js";
export { type CoreArena, coreModule, createCoreMemory, instantiateCore, CORE_PAGES_MAX, CORE_SCRATCH_SIZE } from "./load-core.js";

/** Creates the shared memory, instantiates the core over it, and returns the typed wrappers. */
export async function loadCore(): Promise<Core> {
  return new Core(instantiateCore(createCoreMemory()));
}
