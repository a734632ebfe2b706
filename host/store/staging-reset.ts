// Staging is cut by starting a new generation once nothing in it is needed: every staged record
// has been promoted (or sealed). The new staging log gets copies of the definitions of spaces no
// manifest lists yet; the old one is detached and removed after them in ring order, and the loop
// syncs everything before a control op runs, so no record is ever in neither place.
import { type Store } from "./store.js";

export function resetStagingIfClear(store: Store): void {
  const spaces = store.allSpaces();
  if (store.stagingRecords === 0) return;
  if (spaces.some((space) => !space.direct || space.staged.length > 0)) return;
  const old = store.files.createStaging(store.queue, store.files.stagingGeneration + 1n, store.nextRevisionValue);
  restageDefinitions(store);
  if (old === null) return;
  store.files.detach(store.queue, old);
  store.files.remove(store.queue, [old.name]);
}

/**
 * Copies the definitions of spaces no manifest lists into the current staging generation, oldest
 * first (same revisions: a copy, as history-prefix.ts allows), so that they outlive the old one.
 */
export function restageDefinitions(store: Store): void {
  store.stagingRecords = 0;
  const unlisted = store.allSpaces().filter((space) => !space.listed).sort((a, b) => (a.definedAt < b.definedAt ? -1 : 1));
  for (const space of unlisted) {
    store.queue.record(store.files.staging, { type: "space", revision: space.definedAt, batchEnd: space.definedAt, spaceId: space.spaceId, dims: space.dims, bits: space.bits, name: space.name });
    store.stagingRecords++;
  }
}
