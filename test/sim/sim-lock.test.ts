// The simulated process and the LOCK (issue 9, parts 4 and 7): SimIo takes LOCKs as the
// simulated process (`sim=<crash count>`), so reopening after disk.crash() needs no option (it
// needed the undocumented lockOwnerAlive), a second open in the same simulated process is
// DirectoryInUseError, and nothing on the simulated disk depends on the real pid. `new SimDisk()`
// works with a default seed (it threw "Cannot read properties of undefined (reading 'clock')").
import { expect } from "chai";
import { type Core, loadCore } from "../../host/core/index.js";
import { Prng, SimDisk, createSimIo } from "../../host/sim/index.js";
import { SIM_SEED_DEFAULT } from "../../host/sim/sim-disk.js";
import { type Log, openLog } from "../../host/wal/index.js";
import { rejection } from "../support/rejection.js";

const DIR = "/data/log";
const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes ?? new Uint8Array(0)).trimEnd();

async function entries(log: Log): Promise<string[]> {
  const out: string[] = [];
  for await (const record of log.replay()) out.push(record.entry.type === "raw" ? new TextDecoder().decode(record.entry.bytes) : record.entry.type);
  return out;
}

describe("sim: the simulated process and the LOCK", () => {
  let core: Core;
  before(async () => {
    core = await loadCore();
  });

  it("newSimDiskWithoutOptionsUsesTheDefaultSeed", () => {
    const workload = (disk: SimDisk): bigint => {
      const handle = disk.open("/f", { create: true });
      disk.submitWrite(handle, [new Uint8Array(100)], 0, () => undefined);
      disk.submitDatasync(handle, () => undefined);
      while (disk.step());
      disk.close(handle);
      return disk.traceHash();
    };
    expect(workload(new SimDisk())).to.equal(workload(new SimDisk({ seed: SIM_SEED_DEFAULT })));
    expect(workload(new SimDisk({ seed: 5 }))).to.equal(workload(new SimDisk({ prng: new Prng(5) })));
    expect(workload(new SimDisk({ seed: 5 }))).to.not.equal(workload(new SimDisk({ seed: 6 })));
  });

  it("badSimDiskOptionsAreInvalidArgumentError", () => {
    for (const options of [{ seed: 1.5 }, { seed: "1" }, { seed: 1, prng: new Prng(1) }, null]) {
      expect(() => new SimDisk(options as never), JSON.stringify(options)).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
    }
  });

  it("aReopenAfterACrashTakesTheDeadProcesssLockWithoutOptions", async () => {
    const disk = new SimDisk({ seed: 3 });
    const storage = (c: Core): ReturnType<typeof createSimIo> => createSimIo(c, disk);
    const log = await openLog(DIR, { core, storage });
    await log.append(new TextEncoder().encode("kept"));
    expect(text(disk.liveBytes(`${DIR}/LOCK`))).to.equal("spacelog-lock 1 held sim=0");
    disk.crash("random-prefix");
    const reopened = await openLog(DIR, { core, storage });
    expect(text(disk.liveBytes(`${DIR}/LOCK`))).to.equal("spacelog-lock 1 held sim=1");
    expect(await entries(reopened)).to.deep.equal(["kept"]);
    await reopened.close();
    expect(text(disk.liveBytes(`${DIR}/LOCK`))).to.equal("spacelog-lock 1 free");
  });

  it("aSecondOpenInTheSameSimulatedProcessIsDirectoryInUseError", async () => {
    const disk = new SimDisk({ seed: 4 });
    const storage = (c: Core): ReturnType<typeof createSimIo> => createSimIo(c, disk);
    const log = await openLog(DIR, { core, storage });
    expect(await rejection(openLog(DIR, { core, storage }))).to.include({ name: "DirectoryInUseError", code: "SPACELOG_DIRECTORY_IN_USE" });
    await log.close();
    const again = await openLog(DIR, { core, storage });
    await again.close();
  });

  it("theDiskNeverHoldsTheRealPid", async () => {
    const disk = new SimDisk({ seed: 5 });
    const log = await openLog(DIR, { core, storage: (c) => createSimIo(c, disk) });
    expect(text(disk.liveBytes(`${DIR}/LOCK`))).to.not.include(String(process.pid));
    await log.close();
  });
});
