// A worker for test/core/shared-memory-contract.test.ts: instantiates the core over the shared
// memory again and again, as the log's I/O thread does at every openLog, while the test's main
// thread computes CRCs and frames in the same memory.
import { workerData } from "node:worker_threads";
import { type CoreArena, instantiateCore } from "../../host/core/index.js";

export interface InstantiationWorkerData {
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly arena: CoreArena;
  readonly instantiations: number;
  /** Int32 [0]: instantiations done by all workers, [1]: workers finished, [2]: workers failed. */
  readonly progress: SharedArrayBuffer;
}

export const PROGRESS_INSTANTIATIONS = 0;
export const PROGRESS_FINISHED = 1;
export const PROGRESS_FAILED = 2;

function main(data: InstantiationWorkerData): void {
  const progress = new Int32Array(data.progress);
  try {
    for (let i = 0; i < data.instantiations; i++) {
      instantiateCore(data.memory, data.module, data.arena);
      Atomics.add(progress, PROGRESS_INSTANTIATIONS, 1);
    }
  } catch (error) {
    Atomics.add(progress, PROGRESS_FAILED, 1);
    throw error;
  } finally {
    // The main thread polls this in a loop of its own and never yields to see our messages.
    Atomics.add(progress, PROGRESS_FINISHED, 1);
  }
}

// Imported by the test for its constants; run only when started as a worker.
if (workerData !== null) main(workerData as InstantiationWorkerData);
