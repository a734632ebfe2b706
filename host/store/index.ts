// The store's public surface (package "spacelog"; DESIGN section 2).
export { open } from "./open-store.js";
export { Store, type BatchOp, type QueryOptions, type QueryResult, type ReadOptions, type StoreStats, type WriteResult } from "./store.js";
export { type StoreOptions } from "./store-options.js";
export { type SpaceInfo, type SealResult } from "./space-state.js";
export { type RecoveryReport } from "./store-recovery.js";
export { type Point } from "./point-codec.js";
export { PUT_VALUE_SIZE_MAX as VALUE_SIZE_MAX } from "./store-record.js";
