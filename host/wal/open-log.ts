// openLog: checks the arguments, takes the directory's LOCK, recovers what is on disk, and starts
// the I/O loop. Anything that fails on the way releases what was taken and changes nothing else.
import { type Core, type Region, loadCore } from "../core/index.js";
import { InvalidArgumentError, IoError, NotALogError } from "../errors.js";
import { systemClock } from "../io/clock.js";
import { createRealIo } from "../io/create-io.js";
import { type StorageIo } from "../io/storage-io.js";
import { CommitRing } from "./commit-ring.js";
import { DirectoryLock } from "./directory-lock.js";
import { type IoLoopConfig } from "./io-loop.js";
import { IO_THREAD_ARENA_SIZE, startInProcessLoop, startIoThread } from "./io-thread.js";
import { Log } from "./log.js";
import { type LoopHost, startLog } from "./log-internals.js";
import { prepareLogDirectory } from "./log-directory.js";
import { type LogOptions, type ResolvedLogOptions, resolveLogOptions } from "./log-options.js";
import { recoverLog } from "./log-recovery.js";
import { realTimers } from "./loop-waker.js";
import { RingAppender } from "./ring-appender.js";
import { SegmentChain } from "./segment-chain.js";

/** A path that exists but is not a directory is refused by name, before anything is created. */
function checkIsDirectory(io: StorageIo, dir: string): void {
  if (!io.exists(dir)) return;
  try {
    io.listDirectory(dir);
  } catch (error) {
    if (error instanceof IoError && error.errno === "ENOTDIR") throw new NotALogError(`${dir} is a file, not a directory: openLog needs a log directory (it is created if missing)`);
    throw error;
  }
}

/** Opens (creating if needed) the log in `dir`, recovers it, and starts its I/O loop. */
export async function openLog(dir: string, options: LogOptions = {}): Promise<Log> {
  if (typeof dir !== "string" || dir.length === 0) throw new InvalidArgumentError(`openLog needs a directory path (a non-empty string); got ${String(dir)}`);
  const resolved = resolveLogOptions(options);
  const core = options.core ?? (await loadCore());
  const storage = options.storage?.(core) ?? null;
  const coldIo = storage ?? createRealIo(core, "sync");
  let lock: DirectoryLock | null = null;
  let log: Log | null = null;
  try {
    checkIsDirectory(coldIo, dir);
    if (!coldIo.exists(dir)) coldIo.makeDirectory(dir);
    lock = DirectoryLock.acquire(coldIo, dir);
    prepareLogDirectory(coldIo, dir);
    const recovered = recoverLog(core, coldIo, dir, resolved.salvage);
    const { ring, region } = CommitRing.allocate(core, { ringSizeBytes: resolved.ringSizeBytes, spillSizeBytes: resolved.entrySizeMax + 4096 });
    const regions = [region];
    ring.reset(recovered.position);
    const lengths = core.allocateRegion(64);
    regions.push(lengths);
    const chain = new SegmentChain(recovered);
    const appender = new RingAppender(core, ring, chain, resolved, lengths, recovered.position, recovered.nextLsn);
    log = new Log({ core, coldIo, dir, options: resolved, ring, regions, lock, recovered, appender, timers: options.timers ?? realTimers });
    const config: IoLoopConfig = {
      dir, durability: resolved.durability, preallocateBytes: resolved.preallocateBytes, segmentSizeMax: resolved.segmentSizeMax, current: chain.currentStart(),
    };
    await startLog(log, loopHost(core, ring, config, regions, resolved, storage, options, dir));
    return log;
  } catch (error) {
    if (log !== null) await log.close().catch(() => undefined);
    else {
      lock?.release();
      coldIo.dispose();
    }
    throw error;
  }
}

function loopHost(
  core: Core, ring: CommitRing, config: IoLoopConfig, regions: Region[], resolved: ResolvedLogOptions,
  storage: StorageIo | null, options: LogOptions, dir: string,
): LoopHost {
  return (onFailure, onProgress) => {
    if (resolved.ioThread) {
      const arena = core.allocateRegion(IO_THREAD_ARENA_SIZE);
      regions.push(arena);
      return startIoThread(core, ring, config, arena, dir, onFailure);
    }
    const io = storage ?? createRealIo(core, resolved.io);
    return startInProcessLoop(core, io, ring, config, options.timers ?? realTimers, options.clock ?? systemClock, onProgress, dir, onFailure);
  };
}
