// The store's I/O thread: owns every store file descriptor the loop writes and runs the store's
// I/O loop over the sync backend (a blocking pwritev / fdatasync costs this thread nothing). It
// says "ready" once the core, the backend and the loop exist (the handshake of
// host/wal/io-thread.ts startLoopWorker).
import { parentPort, workerData } from "node:worker_threads";
import { Core, type CoreArena, instantiateCore } from "../core/index.js";
import { systemClock } from "../io/clock.js";
import { type IoLimits, createRealIo } from "../io/create-io.js";
import { CommitRing, type RingAddress } from "../wal/commit-ring.js";
import { type IoWorkerMessage } from "../wal/io-worker.js";
import { AtomicsWaker } from "../wal/loop-waker.js";
import { type StoreLoopConfig, StoreLoop } from "./store-loop.js";

export interface StoreWorkerData {
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly arena: CoreArena;
  readonly ring: RingAddress;
  readonly limits: IoLimits;
  readonly config: StoreLoopConfig;
}

async function main(data: StoreWorkerData): Promise<void> {
  const core = new Core(instantiateCore(data.memory, data.module, data.arena));
  const ring = new CommitRing(data.memory, data.ring);
  const io = createRealIo(core, "sync", data.limits);
  const loop = new StoreLoop(core, io, ring, new AtomicsWaker(ring), systemClock, data.config);
  const ready: IoWorkerMessage = { kind: "ready" };
  parentPort?.postMessage(ready);
  await loop.run();
}

await main(workerData as StoreWorkerData);
