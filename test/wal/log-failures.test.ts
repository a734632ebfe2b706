// Failures on the simulated disk, one at a time: a failed fdatasync poisons the log (every waiter
// and every later call gets StoreFailedError, and it never syncs again); a failed, full (ENOSPC) or
// short write is rolled back to the last good offset before anything is acknowledged.
import { expect } from "chai";
import { type Core, loadCore } from "../../host/core/index.js";
import { Prng, SimDisk, type SimFaults, createSimIo } from "../../host/sim/index.js";
import { type Log, openLog } from "../../host/wal/index.js";
import { rejection } from "../support/rejection.js";

const DIR = "/failures/log";

async function entries(log: Log): Promise<string[]> {
  const out: string[] = [];
  for await (const r of log.replay()) out.push(r.entry.type === "raw" ? new TextDecoder().decode(r.entry.bytes) : r.entry.type);
  return out;
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

describe("wal: failures on the simulated disk", () => {
  let core: Core;
  let disk: SimDisk;
  before(async () => {
    core = await loadCore();
  });
  beforeEach(() => {
    disk = new SimDisk({ prng: new Prng(7), traceLinesMax: 100_000 });
  });

  const open = (): Promise<Log> => openLog(DIR, { storage: (c) => createSimIo(c, disk), core, segmentSizeMax: 4096 });

  async function failNextWith(log: Log, faults: SimFaults): Promise<Error> {
    disk.setFaults(faults);
    return rejection(log.append(text("doomed")));
  }

  it("a failed fdatasync rejects the waiters with StoreFailedError, every later call too, and never syncs again", async () => {
    const log = await open();
    await log.append(text("a"));
    disk.setFaults({ datasyncEioProbability: 1 });
    const syncsBefore = disk.traceLines().filter((l) => l.includes("submit-datasync")).length;
    const [first, second] = await Promise.all([rejection(log.append(text("b"))), rejection(log.append(text("c")))]);
    expect(first).to.include({ name: "StoreFailedError", code: "SPACELOG_STORE_FAILED" });
    expect(second).to.include({ code: "SPACELOG_STORE_FAILED" });
    expect(await rejection(log.append(text("d")))).to.have.property("code", "SPACELOG_STORE_FAILED");
    await rejection(log.sync().then(() => undefined)).catch(() => undefined);
    disk.setFaults({});
    await new Promise((resolve) => setTimeout(resolve, 10));
    const syncsAfter = disk.traceLines().filter((l) => l.includes("submit-datasync")).length;
    expect(syncsAfter - syncsBefore, "exactly one fdatasync was tried: no retry").to.equal(1);
    await log.close();
    const again = await open();
    expect((await entries(again))[0]).to.equal("a");
    await again.close();
  });

  it("ENOSPC is a DiskFullError; the write is rolled back; later calls are StoreFailedError; reopen keeps the acknowledged", async () => {
    const log = await open();
    await log.append(text("kept"));
    const size = Number(log.position); // the first segment starts the stream: file offset = stream offset
    const error = await failNextWith(log, { writeEnospcProbability: 1 });
    expect(error).to.include({ name: "DiskFullError", code: "SPACELOG_DISK_FULL", errno: "ENOSPC" });
    expect(disk.liveBytes(`${DIR}/log-0000000000000001.seg`)?.byteLength, "rolled back to the last good offset").to.equal(size);
    const later = (await rejection(log.append(text("x")))) as Error & { cause?: unknown };
    expect(later).to.include({ code: "SPACELOG_STORE_FAILED" });
    expect(later?.cause).to.include({ code: "SPACELOG_DISK_FULL" });
    disk.setFaults({});
    await log.close();
    const again = await open();
    expect(await entries(again)).to.deep.equal(["kept"]);
    expect(again.recovery.tornTail).to.equal(null);
    await again.close();
  });

  for (const [name, faults, errno] of [
    ["a short write", { writeShortProbability: 1 }, "EIO"],
    ["an EIO write", { writeEioProbability: 1 }, "EIO"],
  ] as const) {
    it(`${name} is rolled back before anything is acknowledged`, async () => {
      const log = await open();
      await log.append(text("kept"));
      const size = Number(log.position); // the file is cut to here, preallocated zeros included
      const error = await failNextWith(log, faults);
      expect(error).to.include({ name: "IoError", code: "SPACELOG_IO", errno });
      expect(disk.liveBytes(`${DIR}/log-0000000000000001.seg`)?.byteLength).to.equal(size);
      disk.setFaults({});
      await log.close();
      const again = await open();
      expect(await entries(again)).to.deep.equal(["kept"]);
      await again.close();
    });
  }
});
