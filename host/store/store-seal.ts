// A seal of one space (docs/store-design.md "Seal"; DESIGN section 6):
//   1. the space's new records go to staging (writes never wait for the seal);
//   2. everything queued so far is made durable, so every record of the space at or below the
//      acknowledged revision R is in its live tail;
//   3. those records, every version, are sorted and encoded as blocks with the next manifest
//      (seal-plan.ts), one seal at a time for the whole store (each manifest replaces the last);
//   4. the I/O loop installs them in the background: blocks written, fdatasynced, the directory
//      fsynced, then the manifest (control-op.ts "install");
//   5. only then: the blocks join the space's reads, its tail drops what they hold, its hot
//      segments are removed and a new generation started, and its staged records are promoted
//      into it (copied, same revisions), after which it is direct again.
import { assert } from "../assert.js";
import { type Region } from "../core/index.js";
import { blockFileName } from "./block-format.js";
import { openBlock } from "./block-reader.js";
import { type ByteRef } from "./control-op.js";
import { encodeManifest } from "./manifest-encode.js";
import { type Manifest, type ManifestSpace } from "./manifest-format.js";
import { BLOCK_BYTES_MAX, planSealInSteps } from "./seal-plan.js";
import { type SealResult, type SpaceState } from "./space-state.js";
import { STEP_RECORDS, type Steps } from "./steps.js";
import { type RecoveredBlock } from "./store-recovery.js";
import { resetStagingIfClear } from "./staging-reset.js";
import { type Store } from "./store.js";
import { type VersionRecord } from "./version-record.js";

/**
 * Records per block of a seal: one block is one step of the seal's planning (about 50-100 ms of
 * sorting and encoding here), and a space's blocks split its key range (disjoint key ranges, so
 * a read still meets one block per key range of each seal).
 */
export const SEAL_BLOCK_RECORDS = 1 << 16;

/**
 * Lets pending work run before the next step. With the I/O thread or the threadpool backend the
 * acknowledgements arrive as tasks (a worker's wake, a libuv completion), so the step waits for a
 * macrotask: until it did, a seal's every step ran in one task and stalled every writer for the
 * whole seal (0.5-0.9 s for 256 Ki records, bench W=256). In-process with the sync backend (and
 * the simulator's storage) writes and their acknowledgements are all microtasks and a macrotask
 * never gets a turn under steady writes, so a step there waits a few dozen microtask hops.
 */
function nextTask(tasks: boolean): Promise<void> {
  if (tasks) {
    return new Promise<void>((resolve) => {
      if (typeof setImmediate === "function") setImmediate(resolve);
      else setTimeout(resolve, 0);
    });
  }
  return (async (): Promise<void> => {
    for (let hop = 0; hop < MICROTASK_HOPS; hop++) await null;
  })();
}

/** Whether the store's acknowledgements arrive as tasks (see nextTask). */
function acknowledgesInTasks(store: Store): boolean {
  return store.options.ioThread || (store.options.io === "threadpool" && !store.options.customStorage);
}

const MICROTASK_HOPS = 64;

/** One manifest change at a time: each install replaces the manifest the next plan starts from. */
const manifestTurns = new WeakMap<Store, Promise<unknown>>();

function inManifestTurn<T>(store: Store, body: () => Promise<T>): Promise<T> {
  const before = manifestTurns.get(store) ?? Promise.resolve();
  const turn = before.catch(() => undefined).then(body);
  manifestTurns.set(store, turn);
  return turn;
}

const jobsQueued = new WeakMap<Store, number>();

export async function sealSpace(store: Store, space: SpaceState): Promise<SealResult> {
  space.direct = false;
  space.unsealedRecords = 0;
  space.unsealedBytes = 0;
  await store.durableNow();
  return inManifestTurn(store, () => sealDurable(store, space));
}

async function sealDurable(store: Store, space: SpaceState): Promise<SealResult> {
  const revision = store.acknowledgedRevision;
  if (space.tail.publishedRevision < revision) space.tail.publish([], revision);
  const tasks = acknowledgesInTasks(store);
  // In steps of at most STEP_RECORDS records of work each, with writes running between them:
  // collecting, sorting and encoding are CPU on the writers' thread.
  const records = await runInSteps(recordsThrough(space, revision), tasks);
  const base = manifestListing(store, revision);
  const plan = await runInSteps(planSealInSteps(store.core, { spaceId: space.spaceId, records, manifest: base, sealRevision: revision, durableRevision: revision },
    { blockRecordsMax: SEAL_BLOCK_RECORDS, blockBytesMax: BLOCK_BYTES_MAX }), tasks);
  if (plan === null) {
    promote(store, space, revision);
    resetStagingIfClear(store);
    return { revision, blocks: 0, records: 0 };
  }
  const regions: Region[] = [];
  const refOf = (bytes: Uint8Array): ByteRef => {
    const region = store.core.allocateRegion(bytes.byteLength);
    regions.push(region);
    store.core.bytesOf(region).set(bytes);
    return { ptr: region.ptr, length: bytes.byteLength };
  };
  try {
    const job = (jobsQueued.get(store) ?? 0) + 1;
    jobsQueued.set(store, job);
    // One block copied into the core's memory per step (tens of MiB in all).
    const blocks: Array<{ name: string; bytes: ByteRef }> = [];
    for (const block of plan.blocks) {
      blocks.push({ name: blockFileName(block.blockId), bytes: refOf(block.blockBytes) });
      await nextTask(tasks);
    }
    store.queue.control({ op: "install", job, blocks, manifest: refOf(encodeManifest(store.core, plan.manifest)) });
    await store.drained();
    await store.waiters.waitJob(job);
  } finally {
    for (const region of regions) store.core.releaseRegion(region);
  }
  // The manifest is installed: from here the store's memory must follow it whole, or the store
  // fails (a reopen then recovers from the disk). The blocks are opened before anything changes.
  let opened: RecoveredBlock[];
  try {
    opened = plan.blocks.map((block) => ({ entry: block.entry, reader: openBlock(store.core, store.coldIo, store.dir, block.blockId, block.entry, store.blockShared) }));
  } catch (error) {
    store.failBy(error);
    throw error;
  }
  store.manifest = plan.manifest;
  for (const other of store.allSpaces()) if (plan.manifest.spaces.some((s) => s.spaceId === other.spaceId)) other.listed = true;
  space.sealedRevision = revision;
  space.blocks.push(...opened);
  space.tail.dropSealed(revision);
  store.counts.seals++;
  // The old generations hold nothing the blocks do not: remove them, start the next one.
  store.files.detach(store.queue, space.hot);
  store.files.remove(store.queue, space.hotFiles);
  space.hotGeneration += 1n;
  const hot = store.files.createHot(store.queue, space.spaceId, space.hotGeneration, store.nextRevisionValue);
  space.hot = hot.stream;
  space.hotFiles = [hot.name];
  promote(store, space, revision);
  resetStagingIfClear(store);
  return { revision, blocks: plan.blocks.length, records: records.length };
}

/** Every version of the space's tail at or below `revision` (a seal keeps history), from the view it starts on. */
function* recordsThrough(space: SpaceState, revision: bigint): Steps<VersionRecord[]> {
  const out: VersionRecord[] = [];
  let sinceYield = 0;
  for (const run of space.tail.view().runsForNextView()) {
    for (const record of run.records) {
      if (record.revision <= revision) out.push(record);
      if (++sinceYield === STEP_RECORDS) {
        sinceYield = 0;
        yield;
      }
    }
  }
  return out;
}

/**
 * Milliseconds of a seal's steps run back to back before pending work gets its turn (tasks mode):
 * a yield per step made a seal of 256 Ki records take seconds under steady writes, each step
 * waiting behind a whole turn of the event loop.
 */
const SEAL_SLICE_MS = 8;

/**
 * Runs stepped work, letting pending work run between slices of it (nextTask). In tasks mode a
 * slice is as many steps as fit SEAL_SLICE_MS; otherwise one step, so that the simulator's runs
 * never depend on the real clock.
 */
async function runInSteps<T>(steps: Steps<T>, tasks: boolean): Promise<T> {
  for (;;) {
    const sliceStart = tasks ? performance.now() : 0;
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
      if (!tasks || performance.now() - sliceStart >= SEAL_SLICE_MS) break;
    }
    await nextTask(tasks);
  }
}

/** The installed manifest, listing every space whose definition is at or below `revision`. */
function manifestListing(store: Store, revision: bigint): Manifest {
  const listed = new Map<number, ManifestSpace>(store.manifest.spaces.map((s) => [s.spaceId, s]));
  let nextSpaceId = store.manifest.nextSpaceId;
  for (const space of store.allSpaces()) {
    if (!listed.has(space.spaceId) && space.definedAt <= revision) {
      listed.set(space.spaceId, { spaceId: space.spaceId, name: space.name, dims: space.dims, bits: space.bits, sealedRevision: space.sealedRevision });
    }
    if (space.spaceId >= nextSpaceId) nextSpaceId = space.spaceId + 1;
  }
  const spaces = [...listed.values()].sort((a, b) => a.spaceId - b.spaceId);
  return { ...store.manifest, nextSpaceId, spaces };
}

/** Copies the space's staged records above `sealed` into its hot segment; it is direct again. */
function promote(store: Store, space: SpaceState, sealed: bigint): void {
  for (const record of space.staged) {
    if (record.revision <= sealed) continue;
    store.queue.push(record.copyTo(space.hot));
    store.counts.promoted++;
  }
  assert(space.sealing !== null, "promotion ends a seal");
  space.staged = [];
  space.direct = true;
}
