// spacelog/sim: the simulated disk (DESIGN section 8). A seeded PRNG decides every latency, fault
// and crash outcome; time is virtual; one seed gives one trace hash on Node, Bun and Deno.
//
//   const disk = new SimDisk({ seed, faults: { writeEioProbability: 0.01 } });
//   const io = createSimIo(core, disk);      // a StorageIo of kind "sim"
//   ... run the log over io ...
//   disk.crash("random-prefix");             // power loss; io is dead now
//   const reopened = createSimIo(core, disk); // the restarted process
//
// The crash simulations built on it: simulateLog({ seed, core }) for the log, simulateStore({ seed })
// for the store (crashStoreTurn crashes one multi-file turn at a chosen I/O step).
export { Prng } from "./prng.js";
export { type Clock, VirtualClock } from "./virtual-clock.js";
export { TraceHash, SimTrace } from "./trace-hash.js";
export { SimDisk, type SimDone, type SimDiskConfig, SIM_IN_FLIGHT_MAX, SIM_SEED_DEFAULT } from "./sim-disk.js";
export {
  type SimDiskOptions, type SimHandle, type SimLatency, type SimOpenOptions, SIM_LATENCY_DEFAULT, simIoError,
} from "./sim-file-system.js";
export { CRASH_MODELS, type CrashModel, type CrashLanding, isCrashModel } from "./sim-crash.js";
export {
  type SimFaults, type SimFaultRule, type SimFaultOp, type SimFaultKind, SIM_FAULTS_NONE, checkFaults,
} from "./sim-faults.js";
export { SECTOR_SIZE } from "./sim-inode.js";
export { normalizePath } from "./sim-paths.js";
export { SimIo, createSimIo } from "./sim-io.js";
export { simulateLog, SimulationFailure, type SimulateLogOptions, type SimulateLogResult } from "./simulate-log.js";
export {
  simulateStore, crashStoreTurn, STORE_TURN_VARIANTS, type SimulateStoreOptions, type SimulateStoreResult,
  type StoreTurnOptions, type StoreTurnResult, type StoreTurnVariant, type CrashPhase,
} from "./simulate-store.js";
export { CrashingIo, SimulatedCrash } from "./crashing-io.js";
