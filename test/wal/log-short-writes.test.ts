// Short writes on the simulated disk. A short write is not an error: the I/O loop continues it
// with its rest at the advanced offset (io-loop.ts writeAt). The disk filling up is a short
// write followed by ENOSPC, and that is a DiskFullError, rolled back before anything of it is
// acknowledged. The same on a real, full ext4: npm run test:enospc (test/enospc/).
import { expect } from "chai";
import { type Core, loadCore } from "../../host/core/index.js";
import { Prng, SimDisk, createSimIo } from "../../host/sim/index.js";
import { type Log, type LogOptions, openLog } from "../../host/wal/index.js";

const DIR = "/short/log";
const SEGMENT = `${DIR}/log-0000000000000001.seg`;

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

function bytesOf(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

async function rejection(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call(); // a call may also throw at once: both count
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

/** The log's own failure: the error, or the cause of a later call's StoreFailedError. */
function failureOf(error: Error): Error {
  return error.name === "StoreFailedError" && error.cause instanceof Error ? error.cause : error;
}

async function entries(log: Log): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const r of log.replay()) out.push(r.entry.type === "raw" ? r.entry.bytes : new Uint8Array(0));
  return out;
}

interface SubmittedWrite {
  readonly offset: number;
  readonly length: number;
  readonly fault: string;
}

describe("wal: short writes on the simulated disk", () => {
  let core: Core;
  let disk: SimDisk;
  before(async () => {
    core = await loadCore();
  });
  beforeEach(() => {
    disk = new SimDisk({ prng: new Prng(7), traceLinesMax: 100_000 });
  });

  const open = (options: LogOptions = {}): Promise<Log> =>
    openLog(DIR, { storage: (c) => createSimIo(c, disk), core, segmentSizeMax: 1 << 22, preallocate: false, ...options });

  /** Every write the disk took so far (submitted, or written at once by the cold path). */
  const writesSoFar = (): number => disk.traceLines().filter((l) => / (submit-write|write-now) /.test(l)).length;

  /** The submitted writes after the first `skip` trace lines. */
  function submittedWrites(skip: number): SubmittedWrite[] {
    return disk.traceLines().slice(skip).filter((l) => l.includes(" submit-write ")).map((line) => {
      const fields = line.split(" ");
      const at = fields.indexOf("submit-write");
      return { offset: Number(fields[at + 3]), length: Number(fields[at + 4]), fault: fields[at + 6] ?? "" };
    });
  }

  /** Bytes all files of the log directory hold now (what SimDisk's capacityBytes counts). */
  const usedBytes = (): number => disk.list(DIR).reduce((sum, name) => sum + (disk.liveBytes(`${DIR}/${name}`)?.byteLength ?? 0), 0);

  it("a short write is continued with its rest at the advanced offset, and the entry is acknowledged", async () => {
    const log = await open();
    await log.append(text("kept"));
    const lines = disk.traceLines().length;
    disk.setFaults({ schedule: [{ op: "write", nth: writesSoFar() + 1, fault: "short" }] });
    const big = bytesOf(300, 7);
    const lsn = await log.append(big);
    const [short, rest] = submittedWrites(lines);
    expect(short?.fault, "the first write of the turn was cut short").to.equal("short");
    const written = (rest?.offset ?? 0) - (short?.offset ?? 0);
    expect(written, "the short write wrote some bytes (this seed's draw)").to.be.within(1, (short?.length ?? 0) - 1);
    expect(rest?.length, "the rest is submitted at the advanced offset").to.equal((short?.length ?? 0) - written);
    expect(log.syncedPosition).to.equal(log.position);
    disk.setFaults({});
    expect(await log.append(text("after")), "the log goes on").to.equal(lsn + 1n);
    await log.close();
    const again = await open();
    expect((await entries(again)).map((b) => b.byteLength)).to.deep.equal([4, 300, 5]);
    expect([...((await entries(again))[1] ?? [])]).to.deep.equal([...big]);
    expect(again.recovery.tornTail).to.equal(null);
    await again.close();
  });

  it("a short write followed by ENOSPC (the disk filled) is a DiskFullError, rolled back before anything is acknowledged", async () => {
    const log = await open();
    await log.append(text("kept"));
    const size = disk.liveBytes(SEGMENT)?.byteLength ?? -1;
    const lines = disk.traceLines().length;
    disk.setFaults({ capacityBytes: usedBytes() + 40 }); // 40 of the frame's 308 bytes fit
    const error = await rejection(() => log.append(bytesOf(300, 9)));
    expect(error).to.include({ name: "DiskFullError", code: "SPACELOG_DISK_FULL", errno: "ENOSPC" });
    const [short, rest] = submittedWrites(lines);
    expect(rest?.offset, "the short write wrote 40 bytes; the rest was submitted after them").to.equal((short?.offset ?? 0) + 40);
    expect(disk.liveBytes(SEGMENT)?.byteLength, "rolled back to where the turn began").to.equal(size);
    const later = await rejection(() => log.append(text("x")));
    expect(later).to.include({ code: "SPACELOG_STORE_FAILED" });
    expect(failureOf(later)).to.include({ name: "DiskFullError" });
    disk.setFaults({});
    await log.close();
    const again = await open();
    expect((await entries(again)).map((b) => new TextDecoder().decode(b))).to.deep.equal(["kept"]);
    expect(again.recovery.tornTail).to.equal(null);
    await again.close();
  });

  it("with preallocation, a zero step cut short by a full disk is a DiskFullError; every acknowledged entry survives", async () => {
    const log = await open({ preallocate: true });
    await log.append(text("kept")); // its turn is followed by the first 1 MiB step of zeros
    disk.setFaults({ capacityBytes: usedBytes() + 100_000 });
    const acknowledged: number[] = [];
    let failure: Error | null = null;
    for (let i = 0; i < 64 && failure === null; i++) {
      // 64 KiB turns overwrite the zeros; once less than half a step is ahead, the next step is
      // 1 MiB of zeros of which 100 000 bytes fit.
      try {
        await log.append(bytesOf(65_536, i));
        acknowledged.push(i);
      } catch (error) {
        failure = failureOf(error as Error);
      }
    }
    expect(failure).to.include({ name: "DiskFullError", errno: "ENOSPC" });
    expect(acknowledged.length, "the failure came from a zero step, after some 64 KiB entries").to.be.within(7, 9);
    disk.setFaults({});
    await log.close();
    const again = await open({ preallocate: true });
    const replayed = await entries(again);
    expect(replayed.map((b) => b[0])).to.deep.equal([text("kept")[0], ...acknowledged]);
    expect(again.recovery.tornTail).to.equal(null);
    await again.close();
  });

  it("a write that comes back short until it writes nothing fails with IoError, rolled back", async () => {
    const log = await open();
    await log.append(text("kept"));
    const size = disk.liveBytes(SEGMENT)?.byteLength ?? -1;
    const lines = disk.traceLines().length;
    disk.setFaults({ writeShortProbability: 1 });
    const error = await rejection(() => log.append(bytesOf(300, 3)));
    expect(error).to.include({ name: "IoError", code: "SPACELOG_IO", errno: "EIO" });
    expect(submittedWrites(lines).length, "the short parts were continued before the one that wrote nothing").to.be.greaterThan(1);
    expect(disk.liveBytes(SEGMENT)?.byteLength).to.equal(size);
    disk.setFaults({});
    await log.close();
    const again = await open();
    expect((await entries(again)).map((b) => new TextDecoder().decode(b))).to.deep.equal(["kept"]);
    await again.close();
  });
});
