// Hosting the store's I/O loop: in a worker thread (the default) or on the calling thread
// (ioThread: false, and the simulator), as host/wal/io-thread.ts hosts the log's.
import { type Core, type Region, coreModule } from "../core/index.js";
import { StoreFailedError } from "../errors.js";
import { type Clock } from "../io/clock.js";
import { type IoLimits } from "../io/create-io.js";
import { type StorageIo } from "../io/storage-io.js";
import { type CommitRing } from "../wal/commit-ring.js";
import { type LoopHandle, startLoopWorker } from "../wal/io-thread.js";
import { PokeWaker, type TimerSource } from "../wal/loop-waker.js";
import { storeFailureOfRing } from "./store-failure.js";
import { type StoreLoopConfig, StoreLoop } from "./store-loop.js";
import { type StoreWorkerData } from "./store-worker.js";

/** Files the store's loop holds open at once: every space's hot segment, staging, one block, the manifest. */
export const STORE_IO_LIMITS: IoLimits = { opsMax: 1024, filesMax: 1024 };

const storeWorkerUrl = new URL("./store-worker.js", import.meta.url);

export function startStoreThread(core: Core, ring: CommitRing, config: StoreLoopConfig, arena: Region, onFailure: (error: Error) => void): LoopHandle {
  const data: StoreWorkerData = {
    memory: core.memory,
    module: coreModule(),
    arena: { ptr: arena.ptr, sizeBytes: arena.sizeBytes },
    ring: ring.address,
    limits: STORE_IO_LIMITS,
    config,
  };
  return startLoopWorker({ script: storeWorkerUrl, data, ring, dir: config.dir, what: "store", failureOf: () => storeFailureOfRing(ring, config.dir), onFailure });
}

export function startInProcessStoreLoop(
  core: Core, io: StorageIo, ring: CommitRing, config: StoreLoopConfig, timers: TimerSource, clock: Clock,
  onProgress: () => void, onFailure: (error: Error) => void,
): LoopHandle {
  const waker = new PokeWaker(timers);
  const loop = new StoreLoop(core, io, ring, waker, clock, config, onProgress);
  const done = loop.run().catch((error: unknown) => {
    // A throw out of the loop is a bug or an I/O call that broke its contract; the store fails.
    onFailure(new StoreFailedError(`${config.dir}: the store's I/O loop stopped: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
  });
  return { started: Promise.resolve(), done, poke: () => waker.poke(), terminate: () => Promise.resolve() };
}
