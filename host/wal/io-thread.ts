// Hosting the I/O loop: in a worker thread (the default) or on the calling thread (ioThread:
// false, and the simulator). Either way the log gets a LoopHandle: a poke to wake the loop, a
// promise that the loop has started, and one that it has ended. Failures of the host itself (a
// thread that cannot start, or dies) are reported once through `onFailure`, with their cause.
import { Worker } from "node:worker_threads";
import { type Core, type Region, CORE_SCRATCH_SIZE, coreModule } from "../core/index.js";
import { IoThreadError, StoreFailedError } from "../errors.js";
import { type Clock } from "../io/clock.js";
import { IO_LIMITS_DEFAULT } from "../io/create-io.js";
import { type StorageIo } from "../io/storage-io.js";
import { type CommitRing, RingState } from "./commit-ring.js";
import { type IoLoopConfig, IoLoop } from "./io-loop.js";
import { type IoWorkerData, type IoWorkerMessage } from "./io-worker.js";
import { PokeWaker, type TimerSource } from "./loop-waker.js";
import { failureOfRing } from "./log-failure.js";

export const IO_THREAD_ARENA_SIZE = 4 * CORE_SCRATCH_SIZE;

export interface LoopHandle {
  /** Resolves once the loop runs; rejects (IoThreadError, with the cause) if it could not start. */
  readonly started: Promise<void>;
  /** Resolves once the loop has ended: closed, failed, or its thread gone. Never rejects. */
  readonly done: Promise<void>;
  poke(): void;
  /** Stops the thread, if there is one (after close, or to give up on a failed log). */
  terminate(): Promise<void>;
}

/** The worker script; a test may point it elsewhere to see a start failure (ioThreadScriptForTests). */
let ioWorkerUrl: URL = new URL("./io-worker.js", import.meta.url);

/** For tests only: runs `body` with the I/O thread started from another script. */
export async function withIoThreadScript<T>(url: URL, body: () => Promise<T>): Promise<T> {
  const saved = ioWorkerUrl;
  ioWorkerUrl = url;
  try {
    return await body();
  } finally {
    ioWorkerUrl = saved;
  }
}

/** Threads started by live logs and stores, by directory, so a test can make one die (terminateIoThreadForTests). */
const liveWorkers = new Map<string, Worker>();

/** For tests only: kills the I/O thread of the log or store open in `dir`, as a crash of the thread would. */
export async function terminateIoThreadForTests(dir: string): Promise<void> {
  await liveWorkers.get(dir)?.terminate();
}

export function startIoThread(core: Core, ring: CommitRing, config: IoLoopConfig, arena: Region, dir: string, onFailure: (error: Error) => void): LoopHandle {
  const data: IoWorkerData = {
    memory: core.memory,
    module: coreModule(),
    arena: { ptr: arena.ptr, sizeBytes: arena.sizeBytes },
    ring: ring.address,
    limits: IO_LIMITS_DEFAULT,
    config,
  };
  return startLoopWorker({ script: ioWorkerUrl, data, ring, dir, what: "log", failureOf: () => failureOfRing(ring, dir), onFailure });
}

export interface LoopWorkerStart {
  /** The worker script: it posts { kind: "ready" } once its loop exists, then runs it. */
  readonly script: URL;
  readonly data: unknown;
  readonly ring: CommitRing;
  readonly dir: string;
  /** Whose thread it is, for messages: "log" or "store". */
  readonly what: string;
  /** The failure the loop recorded in the ring, as the owner words it. */
  readonly failureOf: () => Error;
  readonly onFailure: (error: Error) => void;
}

/** Starts an I/O loop's worker thread, with the ready handshake and one report of its failure. */
export function startLoopWorker(start: LoopWorkerStart): LoopHandle {
  const { ring, dir, what, onFailure } = start;
  // An explicit, empty execArgv: the worker must not inherit the parent's flags. Under
  // `node --input-type=module -e "..."` an inherited --input-type kills the worker at start
  // (ERR_INPUT_TYPE_NOT_ALLOWED), and flags like --eval or --test make no sense for it.
  const worker = new Worker(start.script, { workerData: start.data, execArgv: [] });
  liveWorkers.set(dir, worker);
  let ready = false;
  let startSettled = false;
  let resolveStarted: () => void = () => undefined;
  let rejectStarted: (error: Error) => void = () => undefined;
  const started = new Promise<void>((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  const startFailed = (error: Error): void => {
    if (startSettled) return;
    startSettled = true;
    rejectStarted(error);
  };
  worker.on("message", (message: IoWorkerMessage) => {
    if (message.kind !== "ready" || startSettled) return;
    ready = true;
    startSettled = true;
    resolveStarted();
  });
  const done = new Promise<void>((resolve) => {
    worker.once("error", (error) => {
      const failure = ready
        ? new IoThreadError(`${dir}: the ${what}'s I/O thread died: ${error.message}`, { cause: error })
        : new IoThreadError(`${dir}: the ${what}'s I/O thread failed to start: ${error.message}`, { cause: error });
      onFailure(failure);
      startFailed(failure);
    });
    worker.once("exit", (code) => {
      if (liveWorkers.get(dir) === worker) liveWorkers.delete(dir);
      const when = ready ? `while the ${what} was open` : "before it started";
      // A failure the loop recorded in the ring came first; a clean close is no failure at all.
      const failure = ring.state === RingState.Failed ? start.failureOf()
        : ring.state === RingState.Closed ? null
        : new IoThreadError(`${dir}: the ${what}'s I/O thread exited (code ${code}) ${when}`, { cause: new Error(`worker exit code ${code}`) });
      if (failure !== null) onFailure(failure);
      startFailed(failure ?? new IoThreadError(`${dir}: the ${what}'s I/O thread exited (code ${code}) ${when}`));
      resolve();
    });
  });
  // No poke: every publish, request and state change wakes the thread through the ring already
  // (CommitRing.wakeLoop), and a second wake per append costs an atomic add, or a futex call when
  // the thread sleeps.
  return { started, done, poke: () => undefined, terminate: async () => void (await worker.terminate()) };
}

export function startInProcessLoop(
  core: Core, io: StorageIo, ring: CommitRing, config: IoLoopConfig, timers: TimerSource, clock: Clock,
  onProgress: () => void, dir: string, onFailure: (error: Error) => void,
): LoopHandle {
  const waker = new PokeWaker(timers);
  const loop = new IoLoop(core, io, ring, waker, clock, config, onProgress);
  const done = loop.run().catch((error: unknown) => {
    // A throw out of the loop is a bug or an I/O call that broke its contract; the log fails.
    onFailure(new StoreFailedError(`${dir}: the log's I/O loop stopped: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
  });
  return { started: Promise.resolve(), done, poke: () => waker.poke(), terminate: () => Promise.resolve() };
}
