// The spacelog WebAssembly core: pure functions over the imported shared memory.
// No I/O, no allocation (--runtime stub), no traps on bad data: codes out.
export { coreSetScratch, coreHeapBase } from "./scratch";
export { crc32, crc32c, crc32Table, crc32cTable } from "./crc32";
export { xxh64 } from "./xxh64";
export { frameEncodeBatch, frameScan } from "./frame";
export { frameHeaderSize, framePayloadMax, scanRecordSize } from "./frame-format";
export { sortTuples, sortScratchSize, sortTuplesMax, sortLeafTuplesMax, sortCachedTuplesMax } from "./radix-sort";
export { hilbertKeyChecked, hilbertPointChecked } from "./hilbert";
export { hilbertKeysBatch, hilbertBatchFailedIndex } from "./hilbert-batch";
export { hilbertRangesChecked, hilbertRangesWorkSize } from "./hilbert-ranges";
export {
  completionsTableSize, completionsInit, completionsOpenFile, completionsRegisterWrite, completionsRegisterDatasync,
  completionsRegisterClose, completionsComplete, completionsWrittenPosition, completionsSyncedPosition,
  completionsFileState, completionsPendingCount, completionsSlotsInUse,
} from "./completions";
