// The I/O thread: owns the segment descriptors and runs the I/O loop over the sync backend. A
// blocking pwritev / fdatasync costs this thread nothing (it has no other work), and the writers'
// thread never waits on a system call. It says "ready" once the core, the backend and the loop
// exist (the start handshake io-thread.ts waits for); anything thrown before or after reaches
// the host as the worker's error, with its cause.
import { parentPort, workerData } from "node:worker_threads";
import { Core, type CoreArena, instantiateCore } from "../core/index.js";
import { systemClock } from "../io/clock.js";
import { type IoLimits, createRealIo } from "../io/create-io.js";
import { CommitRing, type RingAddress } from "./commit-ring.js";
import { type IoLoopConfig, IoLoop } from "./io-loop.js";
import { AtomicsWaker } from "./loop-waker.js";

export interface IoWorkerData {
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly arena: CoreArena;
  readonly ring: RingAddress;
  readonly limits: IoLimits;
  readonly config: IoLoopConfig;
}

export type IoWorkerMessage = { readonly kind: "ready" };

async function main(data: IoWorkerData): Promise<void> {
  const core = new Core(instantiateCore(data.memory, data.module, data.arena));
  const ring = new CommitRing(data.memory, data.ring);
  const io = createRealIo(core, "sync", data.limits);
  const loop = new IoLoop(core, io, ring, new AtomicsWaker(ring), systemClock, data.config);
  const ready: IoWorkerMessage = { kind: "ready" };
  parentPort?.postMessage(ready);
  await loop.run();
}

await main(workerData as IoWorkerData);
