// spacelog/wal: the log alone (DESIGN section 5).
export { Log, type LogStats } from "./log.js";
export { openLog } from "./open-log.js";
export { type LogOptions } from "./log-options.js";
export { type LogRecord } from "./log-record.js";
export { type LogEntry, EntryType } from "./log-entry.js";
export { type RecoveryReport } from "./log-recovery.js";
export { type DurabilityOption } from "./durability.js";
export { recoveryRows, decideRecovery, type SegmentFacts } from "./recovery-table.js";
