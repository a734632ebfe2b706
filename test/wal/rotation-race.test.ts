// Rotation under many writers with the I/O thread: the loop used to take segment starts before it
// read the published offset, so a writer that pushed a start and published the new segment's
// header between the two reads had that header and its frames planned into the previous file
// (R1 skipped). A cleanly closed log then refused to open (the power-loss stage found it; this
// test failed in about 2 runs of 3 before the fix).
import { expect } from "chai";
import { openLog } from "../../host/wal/index.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

describe("wal: rotation under many writers", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("rotation-race");
  });
  afterEach(() => removeTempDir(dir));

  it("everySegmentsBytesLandInItsOwnFileWhenWritersRotateWhileTheLoopPlans", async () => {
    const log = await openLog(dir, { durability: "sync", segmentSizeMax: 4096 });
    const total = 100_000;
    let next = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < total) await log.append(new Uint8Array(100 + (next++ % 50)).fill(next & 0xff));
    }));
    await log.close();
    const again = await openLog(dir, { ioThread: false });
    let count = 0;
    for await (const record of again.replay()) if (record.entry.type === "raw") count++;
    expect(count).to.equal(total);
    expect(again.recovery.tornTail).to.equal(null);
    await again.close();
  });
});
