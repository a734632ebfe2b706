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
 * Lets pending work run before the next step: a macrotask (the I/O thread's acknowledgements
 * arrive as tasks), or a few dozen microtask hops, whichever is first. The hops matter in-process
 * with the sync backend: there writes and their acknowledgements are all microtasks, timers never
 * get a turn under steady writes, and a seal that waited for one never finished.
 */
function nextTask(): Promise<void> {
  const macrotask = new Promise<void>((resolve) => {
    if (typeof setImmediate === "function") setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
  const hops = (async (): Promise<void> => {
    for (let hop = 0; hop < MICROTASK_HOPS; hop++) await null;
  })();
  return Promise.race([macrotask, hops]);
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
  const records = recordsThrough(space, revision);
  const base = manifestListing(store, revision);
  // In steps, one block of at most SEAL_BLOCK_RECORDS per step, with writes running between
  // them: the sort and the encoding are CPU on the writers' thread.
  const steps = planSealInSteps(store.core, { spaceId: space.spaceId, records, manifest: base, sealRevision: revision, durableRevision: revision },
    { blockRecordsMax: SEAL_BLOCK_RECORDS, blockBytesMax: BLOCK_BYTES_MAX });
  let step = steps.next();
  while (step.done !== true) {
    await nextTask();
    step = steps.next();
  }
  const plan = step.value;
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
    store.queue.control({
      op: "install", job,
      blocks: plan.blocks.map((block) => ({ name: blockFileName(block.blockId), bytes: refOf(block.blockBytes) })),
      manifest: refOf(encodeManifest(store.core, plan.manifest)),
    });
    await store.drained();
    await store.waiters.waitJob(job);
  } finally {
    for (const region of regions) store.core.releaseRegion(region);
  }
  // The manifest is installed: from here the store's memory must follow it whole, or the store
  // fails (a reopen then recovers from the disk). The blocks are opened before anything changes.
  let opened: RecoveredBlock[];
  try {
    opened = plan.blocks.map((block) => ({ entry: block.entry, reader: openBlock(store.core, store.coldIo, store.dir, block.blockId, block.entry, store.chunkCache) }));
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

/** Every version of the space's tail at or below `revision` (a seal keeps history). */
function recordsThrough(space: SpaceState, revision: bigint): VersionRecord[] {
  const out: VersionRecord[] = [];
  for (const run of space.tail.view().runsForNextView()) for (const record of run.records) if (record.revision <= revision) out.push(record);
  return out;
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
