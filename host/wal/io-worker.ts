// The I/O thread: owns the segment descriptors and runs the I/O loop over the sync backend. A
// blocking pwritev / fdatasync costs this thread nothing (it has no other work), and the writers'
// thread never waits on a system call.
import { workerData } from "node:worker_threads";
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

async function main(data: IoWorkerData): Promise<void> {
  const core = new Core(instantiateCore(data.memory, data.module, data.arena));
  const ring = new CommitRing(data.memory, data.ring);
  const io = createRealIo(core, "sync", data.limits);
  await new IoLoop(io, ring, new AtomicsWaker(ring), systemClock, data.config).run();
}

await main(workerData as IoWorkerData);
