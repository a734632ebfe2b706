// The shared StorageIo behaviour, on SimIo and, as the reference it must match, on the real sync
// and threadpool backends.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRealIo } from "../../host/io/create-io.js";
import { createSimIo } from "../../host/sim/sim-io.js";
import { seededDisk, testSeeds } from "./sim-fixtures.js";
import { describeStorageIoBehaviour } from "./storage-io-behaviour.js";

const seed = testSeeds(1, 99)[0] ?? 99;

describeStorageIoBehaviour(`SimIo, disk seed ${seed}`, (core, limits) => {
  const disk = seededDisk(seed);
  disk.mkdir("/work");
  return { io: createSimIo(core, disk, limits), root: "/work", cleanup: () => {} };
});

for (const kind of ["sync", "threadpool"] as const) {
  describeStorageIoBehaviour(`${kind} backend on real files`, (core, limits) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "spacelog-sim-ref-"));
    return { io: createRealIo(core, kind, limits), root, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
  });
}
