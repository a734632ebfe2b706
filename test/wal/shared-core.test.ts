// Logs opened on one shared core while another log on it is busy (issue 9 part 1): every new
// I/O worker instantiates the core over the same shared memory, which used to wipe the CRC
// tables under the busy log's framing, so acknowledged frames went to disk with bad CRCs and the
// reopen failed (8 runs of 8). Now the reopen must find every acknowledged entry intact.
import { expect } from "chai";
import * as path from "node:path";
import { loadCore } from "../../host/core/index.js";
import { openLog } from "../../host/wal/index.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

describe("wal: logs sharing one core", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("shared-core");
  });
  afterEach(() => removeTempDir(dir));

  it("logsOpenedWhileAnotherAppendsLeaveEveryAcknowledgedFrameIntact", async () => {
    const core = await loadCore();
    for (let run = 0; run < 3; run++) {
      const busyDir = path.join(dir, `busy-${run}`);
      const busy = await openLog(busyDir, { core, durability: "sync" });
      let stop = false;
      const acknowledged: number[] = [];
      const writers = Array.from({ length: 64 }, async (_, writer) => {
        for (let i = 0; !stop; i++) {
          const value = writer * 1_000_000 + i;
          const bytes = new Uint8Array(200).fill(value & 0xff);
          new DataView(bytes.buffer).setUint32(0, value, true);
          await busy.append(bytes);
          acknowledged.push(value);
        }
      });
      const others = [];
      for (let i = 0; i < 5; i++) others.push(await openLog(path.join(dir, `other-${run}-${i}`), { core }));
      stop = true;
      await Promise.all(writers);
      for (const other of others) await other.close();
      await busy.close();
      const reopened = await openLog(busyDir, { core });
      const seen = new Set<number>();
      for await (const record of reopened.replay()) {
        if (record.entry.type === "raw") seen.add(new DataView(record.entry.bytes.buffer, record.entry.bytes.byteOffset).getUint32(0, true));
      }
      expect(reopened.recovery.tornTail).to.equal(null);
      expect(seen.size).to.equal(Number(reopened.nextLsn) - 1);
      for (const value of acknowledged) expect(seen.has(value), `acknowledged entry ${value}`).to.equal(true);
      await reopened.close();
    }
  });
});
