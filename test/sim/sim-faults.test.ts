// Each fault of the simulated disk produces its documented completion (result, errno) and, fed to
// the core's completion table, its documented outcome; cold-path faults throw IoError/DiskFullError.
import { expect } from "chai";
import { CompletionOutcome, type Core } from "../../host/core/index.js";
import { type IoCompletion, type IoFile, type StorageIo } from "../../host/io/storage-io.js";
import { type SimDisk } from "../../host/sim/sim-disk.js";
import { type SimFaults } from "../../host/sim/sim-faults.js";
import { SECTOR_SIZE } from "../../host/sim/sim-inode.js";
import { type SimIo, createSimIo } from "../../host/sim/sim-io.js";
import { sharedCore } from "../core/core-suite.js";
import { datasyncAndWait, filled, randomBytes, seededDisk, testSeeds, withSeed, writeAndWait } from "./sim-fixtures.js";
import { drainCompletions } from "../io/drain-completions.js";

const drain = drainCompletions;

/** Submits one write and returns its completion and the table's outcome for it. */
async function writeThrough(io: StorageIo, file: IoFile, bytes: Uint8Array, position: number): Promise<{ completion: IoCompletion; outcome: CompletionOutcome }> {
  const token = io.submitWrite(file, [bytes], position);
  expect(token).to.be.a("bigint");
  const [completion] = await drain(io, 1);
  expect(completion?.token).to.equal(token);
  return { completion: completion!, outcome: io.completions.complete(completion!.token, completion!.result) };
}

async function datasyncThrough(io: StorageIo, file: IoFile): Promise<{ completion: IoCompletion; outcome: CompletionOutcome }> {
  const token = io.submitDatasync(file);
  const [completion] = await drain(io, 1);
  expect(completion?.token).to.equal(token);
  return { completion: completion!, outcome: io.completions.complete(completion!.token, completion!.result) };
}

describe("sim: faults and their completions", () => {
  let core: Core;
  let disk: SimDisk;
  let io: SimIo | undefined;
  const seed = testSeeds(1, 17)[0] ?? 17;

  before(async () => {
    core = await sharedCore();
  });

  /** A fresh disk with `faults` and a SimIo over it, with "/f" open. */
  function start(faults: SimFaults): { io: SimIo; file: IoFile } {
    disk = seededDisk(seed, { faults });
    io = createSimIo(core, disk, { opsMax: 64, filesMax: 8 });
    return { io, file: io.openFile("/f", { create: true }) };
  }

  afterEach(() => {
    io?.dispose();
    io = undefined;
  });

  it("writeEioCompletesWithEioAndFailsTheFile", async () => {
    const { io, file } = start({ schedule: [{ op: "write", nth: 2, fault: "EIO" }] });
    expect((await writeThrough(io, file, filled(100, 1), 0)).outcome).to.equal(CompletionOutcome.Ok);
    const { completion, outcome } = await writeThrough(io, file, filled(100, 2), 100);
    expect({ result: completion.result, errno: completion.errno }).to.deep.equal({ result: -5, errno: "EIO" });
    expect(outcome).to.equal(CompletionOutcome.WriteFailed);
    expect(io.completions.fileFailed(file)).to.equal(true);
    expect(io.completions.writtenPosition(file)).to.equal(100n);
    // Part of the failed write may have reached the page cache, never more than it asked.
    expect(io.fileSize(file)).to.be.within(100, 200);
    io.closeFile(file);
  });

  it("writeEioProbabilityOneFailsEveryWrite", async () => {
    const { io, file } = start({ writeEioProbability: 1 });
    for (let i = 0; i < 3; i++) expect((await writeThrough(io, file, filled(10, 1), i * 10)).completion.errno).to.equal("EIO");
    io.closeFile(file);
  });

  it("datasyncEioCompletesWithEioAndFreezesTheSyncedPosition", async () => {
    const { io, file } = start({ schedule: [{ op: "datasync", nth: 1, fault: "EIO" }] });
    await writeThrough(io, file, filled(100, 1), 0);
    const failed = await datasyncThrough(io, file);
    expect({ result: failed.completion.result, errno: failed.completion.errno }).to.deep.equal({ result: -5, errno: "EIO" });
    expect(failed.outcome).to.equal(CompletionOutcome.DatasyncFailed);
    const retried = await datasyncThrough(io, file);
    expect(retried.completion.errno).to.equal("");
    expect(io.completions.syncedPosition(file), "a later sync never counts after a failed one").to.equal(0n);
    io.closeFile(file);
  });

  it("aFailedDatasyncMayDropTheWritesItCoveredEvenIfALaterSyncSucceeds", () => {
    const seen = new Set<string>();
    for (const s of testSeeds(32)) {
      const d = seededDisk(s, { faults: { schedule: [{ op: "datasync", nth: 1, fault: "EIO" }] } });
      withSeed(s, d, () => {
        const h = d.open("/f", { create: true });
        d.syncDirectory("/");
        writeAndWait(d, h, filled(10, 1), 0);
        expect(datasyncAndWait(d, h).errno).to.equal("EIO");
        expect(datasyncAndWait(d, h).errno).to.equal("");
        expect(d.liveBytes("/f")?.byteLength, "the process still reads the bytes").to.equal(10);
        d.crash("drop-unsynced");
        seen.add(String(d.liveBytes("/f")?.byteLength));
      });
    }
    expect([...seen].sort()).to.deep.equal(testSeeds(32).length > 1 ? ["0", "10"] : [...seen].sort());
  });

  it("capacityCutsAWriteShortThenFailsTheNextWithEnospc", async () => {
    const { io, file } = start({ capacityBytes: 100 });
    expect((await writeThrough(io, file, filled(60, 1), 0)).completion.result).to.equal(60);
    const short = await writeThrough(io, file, filled(60, 2), 60);
    expect({ result: short.completion.result, errno: short.completion.errno }).to.deep.equal({ result: 40, errno: "" });
    expect(short.outcome).to.equal(CompletionOutcome.WriteShort);
    const full = await writeThrough(io, file, filled(10, 3), 100);
    expect({ result: full.completion.result, errno: full.completion.errno }).to.deep.equal({ result: -28, errno: "ENOSPC" });
    expect(full.outcome).to.equal(CompletionOutcome.WriteFailed);
    // Overwriting bytes the file already has needs no space.
    const second = disk.open("/f", { create: false });
    expect(disk.writeNow(second, filled(50, 4), 0)).to.equal(50);
    disk.close(second);
    io.closeFile(file);
  });

  it("writeEnospcProbabilityOneFailsWithEnospcAndWritesNothing", async () => {
    const { io, file } = start({ writeEnospcProbability: 1 });
    const { completion, outcome } = await writeThrough(io, file, filled(10, 1), 0);
    expect({ result: completion.result, errno: completion.errno }).to.deep.equal({ result: -28, errno: "ENOSPC" });
    expect(outcome).to.equal(CompletionOutcome.WriteFailed);
    expect(io.fileSize(file)).to.equal(0);
    io.closeFile(file);
  });

  it("createSmallFileOnAFullDiskThrowsDiskFullError", () => {
    // With 3 bytes free the write would be short, and createSmallFile (like RealFiles') does not check the count.
    const { io, file } = start({ capacityBytes: 0 });
    io.closeFile(file);
    expect(() => io.createSmallFile("/marker", filled(10, 1)))
      .to.throw().that.includes({ name: "DiskFullError", code: "SPACELOG_DISK_FULL", errno: "ENOSPC" });
  });

  it("aShortWriteCompletesWithFewerBytesAndWritesThatPrefix", async () => {
    const { io, file } = start({ schedule: [{ op: "write", nth: 1, fault: "short" }] });
    const bytes = randomBytes(300, seed);
    const { completion, outcome } = await writeThrough(io, file, bytes, 0);
    expect(completion.errno).to.equal("");
    expect(completion.result).to.be.within(0, 299);
    expect(outcome).to.equal(CompletionOutcome.WriteShort);
    expect([...(disk.liveBytes("/f") ?? [])]).to.deep.equal([...bytes.subarray(0, completion.result)]);
    io.closeFile(file);
  });

  it("aScheduledFaultWithAPathCountsOnlyOpsOnThatPath", async () => {
    const { io, file } = start({ schedule: [{ op: "write", nth: 2, fault: "EIO", path: "/b" }] });
    const a = io.openFile("/a", { create: true });
    const b = io.openFile("/b", { create: true });
    const errnos: string[] = [];
    for (let i = 0; i < 3; i++) {
      errnos.push((await writeThrough(io, a, filled(5, 1), i * 5)).completion.errno);
      errnos.push((await writeThrough(io, b, filled(5, 1), i * 5)).completion.errno);
    }
    expect(errnos).to.deep.equal(["", "", "", "EIO", "", ""]);
    io.closeFile(a);
    io.closeFile(b);
    io.closeFile(file);
  });

  it("readEioThrowsIoErrorOnTheScheduledRead", async () => {
    const { io, file } = start({ schedule: [{ op: "read", nth: 2, fault: "EIO" }] });
    await writeThrough(io, file, filled(10, 1), 0);
    const buffer = new Uint8Array(10);
    expect(io.readAt(file, buffer, 0)).to.equal(10);
    expect(() => io.readAt(file, buffer, 0)).to.throw().that.includes({ name: "IoError", code: "SPACELOG_IO", errno: "EIO" });
    expect(io.readAt(file, buffer, 0)).to.equal(10);
    io.closeFile(file);
  });

  it("aLatentSectorErrorFailsReadsOfThatSectorUntilRewritten", async () => {
    const { io, file } = start({});
    await writeThrough(io, file, filled(3 * SECTOR_SIZE, 1), 0);
    disk.injectReadError("/f", SECTOR_SIZE + 7);
    expect(io.readAt(file, new Uint8Array(SECTOR_SIZE), 0)).to.equal(SECTOR_SIZE);
    expect(io.readAt(file, new Uint8Array(SECTOR_SIZE), 2 * SECTOR_SIZE)).to.equal(SECTOR_SIZE);
    expect(() => io.readAt(file, new Uint8Array(10), SECTOR_SIZE + 500)).to.throw().that.includes({ errno: "EIO" });
    await writeThrough(io, file, filled(SECTOR_SIZE, 2), SECTOR_SIZE);
    expect(io.readAt(file, new Uint8Array(3 * SECTOR_SIZE), 0)).to.equal(3 * SECTOR_SIZE);
    io.closeFile(file);
  });

  it("readErrorsAtCrashLeaveOneUnreadableSectorPerFile", () => {
    const { io, file } = start({ readErrorAtCrashProbability: 1 });
    io.closeFile(file);
    const h = disk.open("/f", { create: false });
    writeAndWait(disk, h, filled(4 * SECTOR_SIZE, 1), 0);
    datasyncAndWait(disk, h);
    disk.syncDirectory("/");
    disk.crash("drop-unsynced");
    const reopened = disk.open("/f", { create: false });
    expect(() => disk.readAt(reopened, new Uint8Array(4 * SECTOR_SIZE), 0)).to.throw().that.includes({ errno: "EIO" });
    let readable = 0;
    for (let sector = 0; sector < 4; sector++) {
      try {
        disk.readAt(reopened, new Uint8Array(SECTOR_SIZE), sector * SECTOR_SIZE);
        readable++;
      } catch (error) {
        expect(error).to.include({ errno: "EIO" });
      }
    }
    expect(readable).to.equal(3);
    disk.close(reopened);
  });

  it("flipRandomBitCorruptsOneStoredBitAndARewriteHealsIt", async () => {
    const { io, file } = start({});
    const bytes = randomBytes(1000, seed);
    await writeThrough(io, file, bytes, 0);
    await datasyncThrough(io, file);
    io.syncDirectory("/"); // durableBytes() finds a file by its durable name
    const flip = disk.flipRandomBit("/f");
    expect(flip).to.not.equal(null);
    const { offset, bit } = flip!;
    expect(disk.damagedOffsets("/f")).to.deep.equal([offset]);
    const stored = disk.durableBytes("/f")!;
    const pristine = disk.durableBytes("/f", { pristine: true })!;
    expect([...pristine]).to.deep.equal([...bytes]);
    expect(stored[offset]).to.equal((bytes[offset] ?? 0) ^ (1 << bit));
    const back = new Uint8Array(1);
    io.readAt(file, back, offset);
    expect(back[0], "the process reads the flipped bit").to.equal(stored[offset]);
    await writeThrough(io, file, bytes.subarray(offset, offset + 1), offset);
    await datasyncThrough(io, file);
    expect(disk.damagedOffsets("/f")).to.deep.equal([]);
    io.closeFile(file);
  });

  it("bitFlipsAtCrashFlipExactlyOneBitPerFile", () => {
    const { io, file } = start({ bitFlipAtCrashProbability: 1 });
    io.closeFile(file);
    const bytes = randomBytes(700, seed);
    for (const path of ["/f", "/g"]) {
      const h = disk.open(path, { create: true });
      writeAndWait(disk, h, bytes, 0);
      datasyncAndWait(disk, h);
    }
    disk.syncDirectory("/");
    disk.crash("random-prefix");
    for (const path of ["/f", "/g"]) {
      const stored = disk.durableBytes(path)!;
      let bits = 0;
      for (let i = 0; i < stored.byteLength; i++) {
        let x = (stored[i] ?? 0) ^ (bytes[i] ?? 0);
        for (; x !== 0; x &= x - 1) bits++;
      }
      expect(bits, `bits flipped in ${path}`).to.equal(1);
      expect(disk.damagedOffsets(path)).to.have.length(1);
    }
  });

  it("knobsNoDiskCouldFollowAreInvalidArgumentErrors", () => {
    const { io, file } = start({});
    expect(() => disk.setFaults({ writeEioProbability: 2 })).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(() => disk.setFaults({ schedule: [{ op: "write", nth: 0, fault: "EIO" }] })).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(() => disk.setFaults({ schedule: [{ op: "datasync", nth: 1, fault: "short" }] })).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
    expect(() => disk.setFaults({ capacityBytes: -1 })).to.throw().with.property("code", "SPACELOG_INVALID_ARGUMENT");
    io.closeFile(file);
  });
});
