// open(): checks the arguments, takes the directory's LOCK, recovers what is on disk
// (store-recovery.ts), starts the I/O loop, and makes the recovered state the store's own before
// the first write: every kept hot segment is attached (or a new generation created), a new staging
// generation is started with the definitions no manifest lists yet, records only staging held are
// promoted into their hot segments, and the old staging files are removed after all of it is
// durable. Anything that fails on the way releases what was taken.
import { dirname } from "node:path";
import { type Core, loadCore } from "../core/index.js";
import { InvalidArgumentError, IoError, NotAStoreError } from "../errors.js";
import { systemClock } from "../io/clock.js";
import { createRealIo } from "../io/create-io.js";
import { type StorageIo } from "../io/storage-io.js";
import { CommitRing, FailureKind, RingState } from "../wal/commit-ring.js";
import { DirectoryLock } from "../wal/directory-lock.js";
import { IO_THREAD_ARENA_SIZE, type LoopHandle } from "../wal/io-thread.js";
import { prepareSpacelogDirectory } from "../wal/log-directory.js";
import { realTimers } from "../wal/loop-waker.js";
import { LiveTail } from "./live-tail.js";
import { LENGTHS_REGION_SIZE, PieceWriter } from "./piece-writer.js";
import { type SpaceState } from "./space-state.js";
import { restageDefinitions } from "./staging-reset.js";
import { Store } from "./store.js";
import { STORE_IDENTITY } from "./store-files.js";
import { StoreFiles } from "./store-file-set.js";
import { type StoreLoopConfig } from "./store-loop.js";
import { type ResolvedStoreOptions, type StoreOptions, STORE_RING_SIZE, resolveStoreOptions } from "./store-options.js";
import { BLOCK_FILES_OPEN_DEFAULT, BlockFilePool } from "./block-file-pool.js";
import { ChunkCache } from "./chunk-cache.js";
import { type RecoveredSpace, type StoreRecovery, recoverStore } from "./store-recovery.js";
import { startInProcessStoreLoop, startStoreThread } from "./store-thread.js";
import { StoreWaiters } from "./store-waiters.js";
import { WriteQueue } from "./write-queue.js";
import { storeFailureOfRing } from "./store-failure.js";

/** The main thread's backend: recovery, block reads and LOCK. Every sealed block holds one open file. */
const COLD_IO_LIMITS = { opsMax: 64, filesMax: 4096 };

/** Calls waiting on the store at most: queued records bound writes first; this bounds the rest. */
const WAITERS_MAX = 1 << 22;

function checkIsDirectory(io: StorageIo, dir: string): void {
  if (!io.exists(dir)) return;
  try {
    io.listDirectory(dir);
  } catch (error) {
    if (error instanceof IoError && error.errno === "ENOTDIR") throw new NotAStoreError(`${dir} is a file, not a directory: open needs a store directory (it is created if missing)`);
    throw error;
  }
}

/** Opens (creating if needed) the store in `dir`, recovers it, and starts its I/O loop. */
export async function open(dir: string, options: StoreOptions = {}): Promise<Store> {
  if (typeof dir !== "string" || dir.length === 0) throw new InvalidArgumentError(`open needs a directory path (a non-empty string); got ${String(dir)}`);
  const resolved = resolveStoreOptions(options);
  const core = options.core ?? (await loadCore());
  const storage = options.storage?.(core) ?? null;
  const coldIo = storage ?? createRealIo(core, "sync", COLD_IO_LIMITS);
  let lock: DirectoryLock | null = null;
  let store: Store | null = null;
  try {
    checkIsDirectory(coldIo, dir);
    if (!coldIo.exists(dir)) {
      // A new store's directory entry is durable before anything in it can be acknowledged.
      coldIo.makeDirectory(dir);
      coldIo.syncDirectory(dirname(dir));
    }
    lock = DirectoryLock.acquire(coldIo, dir);
    prepareSpacelogDirectory(coldIo, dir, { identity: STORE_IDENTITY, noun: "store", refuse: (message) => new NotAStoreError(message) });
    const blockShared = { cache: new ChunkCache(resolved.cacheBytes), files: new BlockFilePool(coldIo, BLOCK_FILES_OPEN_DEFAULT) };
    const recovered = recoverStore(core, coldIo, dir, blockShared);
    const { ring, region } = CommitRing.allocate(core, { ringSizeBytes: STORE_RING_SIZE, spillSizeBytes: 0 });
    ring.reset(0n);
    const lengths = core.allocateRegion(LENGTHS_REGION_SIZE);
    const regions = [region, lengths];
    const queue = new WriteQueue(new PieceWriter(core, ring, lengths));
    const files = new StoreFiles(core);
    const spaces = recovered.spaces.map((space) => spaceStateOf(space, queue, files, recovered.nextRevision));
    store = new Store({
      core, coldIo, dir, options: resolved, ring, regions, lock, queue, files, blockShared, manifest: recovered.manifest, spaces,
      nextSpaceId: recovered.nextSpaceId, nextRevision: recovered.nextRevision, recovery: recovered.report,
    });
    adoptRecovered(store, recovered);
    const config: StoreLoopConfig = { dir, durability: resolved.durability, preallocateBytes: resolved.preallocateBytes };
    const opened = store;
    // The first failure the store knows of (a loop that threw, a thread that died) is the one
    // every wait rejects with; else the failure the loop recorded in the ring.
    const waiters = new StoreWaiters(ring, resolved.ioThread, () => opened.firstFailure ?? storeFailureOfRing(ring, dir), (durable, written) => opened.onWatermarks(durable, written), WAITERS_MAX,
      () => opened.needsWatermarks);
    waiters.onFailed = (error) => opened.failBy(error);
    const onFailure = (error: Error): void => {
      // The loop or its thread is gone: the ring is failed first (as the log's recordFailure
      // does), so every wait on it settles, not only the acknowledgements.
      if (ring.state !== RingState.Failed && ring.state !== RingState.Closed) ring.fail(FailureKind.LoopStopped, 0);
      opened.failBy(error);
      waiters.check();
    };
    const loop = startLoop(core, ring, config, regions, resolved, storage, options, onFailure, () => waiters.check());
    store.attachLoop(loop, waiters);
    await loop.started;
    // The open's own writes (attachments, the new staging, promotions) are durable before any call.
    await store.durableNow();
    return store;
  } catch (error) {
    if (store !== null) {
      store.failBy(error);
      await store.close().catch(() => undefined);
    } else {
      lock?.release();
      coldIo.dispose();
    }
    throw error;
  }
}

function startLoop(
  core: Core, ring: CommitRing, config: StoreLoopConfig, regions: ReturnType<Core["allocateRegion"]>[], resolved: ResolvedStoreOptions,
  storage: StorageIo | null, options: StoreOptions, onFailure: (error: Error) => void, onProgress: () => void,
): LoopHandle {
  if (resolved.ioThread) {
    const arena = core.allocateRegion(IO_THREAD_ARENA_SIZE);
    regions.push(arena);
    return startStoreThread(core, ring, config, arena, onFailure);
  }
  const io = storage ?? createRealIo(core, resolved.io, { opsMax: 1024, filesMax: 1024 });
  return startInProcessStoreLoop(core, io, ring, config, options.timers ?? realTimers, options.clock ?? systemClock, onProgress, onFailure);
}

/**
 * A recovered space as the open store holds it. Appends continue in its newest hot segment,
 * unless records only staging holds would go there below its last revision (a file's revisions
 * increase): then, and when it has none, a new generation is created.
 */
function spaceStateOf(space: RecoveredSpace, queue: WriteQueue, files: StoreFiles, nextRevision: bigint): SpaceState {
  const tail = new LiveTail();
  if (space.records.length > 0) tail.publish(space.records);
  const firstStaged = space.stagedOnly[0]?.revision;
  const continueHot = space.hot !== null && (firstStaged === undefined || firstStaged > space.hot.lastRevision);
  let hotFiles = [...space.olderHot];
  let generation: bigint;
  let hot;
  if (continueHot && space.hot !== null) {
    generation = space.hot.generation;
    hot = files.attachHot(queue, space.spaceId, generation, space.hot.size);
    hotFiles.push(space.hot.name);
  } else {
    if (space.hot !== null) hotFiles.push(space.hot.name);
    generation = space.generationMax + 1n;
    const created = files.createHot(queue, space.spaceId, generation, nextRevision);
    hot = created.stream;
    hotFiles = [...hotFiles, created.name];
  }
  let bytes = 0;
  for (const record of space.records) bytes += 16 + (record.value?.byteLength ?? 0);
  return {
    spaceId: space.spaceId, name: space.name, dims: space.dims, bits: space.bits, definedAt: space.definedAt, listed: space.listed,
    sealedRevision: space.sealedRevision, blocks: [...space.blocks], tail, hot, hotGeneration: generation, hotFiles,
    direct: true, staged: [], unsealedRecords: space.records.length, unsealedBytes: bytes, sealing: null,
  };
}

/** A new staging generation with the unlisted definitions, the staged-only records promoted, the old staging removed. */
function adoptRecovered(store: Store, recovered: StoreRecovery): void {
  store.files.createStaging(store.queue, recovered.stagingGenerationMax + 1n, recovered.nextRevision);
  restageDefinitions(store);
  for (const space of recovered.spaces) {
    const state = store.spacesByName.get(space.name);
    if (state === undefined) continue;
    for (const record of space.stagedOnly) {
      store.queue.record(state.hot, record);
      store.counts.promoted++;
    }
  }
  // Ring order: these run after everything above is durable (the loop syncs before a control op).
  store.files.remove(store.queue, recovered.stagingFiles);
}
