// SimIo beyond the shared behaviour: virtual time, out-of-order completions, the datasync boundary
// end to end (disk and completion table agree), crashes and restarts, and the asserts on what no
// real disk allows.
import { expect } from "chai";
import { constants } from "../../host/assert.js";
import { CompletionOutcome, type Core } from "../../host/core/index.js";
import { type IoCompletion } from "../../host/io/storage-io.js";
import { type SimDisk } from "../../host/sim/sim-disk.js";
import { type SimIo, createSimIo } from "../../host/sim/sim-io.js";
import { sharedCore } from "../core/core-suite.js";
import { filled, seededDisk, testSeeds, withSeedAsync } from "./sim-fixtures.js";
import { drainCompletions } from "../io/drain-completions.js";

const LIMITS = { opsMax: 64, filesMax: 8 };

const drain = drainCompletions;

function expectAssertion(call: () => unknown, what: RegExp): void {
  expect(call).to.throw().that.satisfies((error: { code?: string; message?: string }) => error.code === "SPACELOG_ASSERTION" && what.test(error.message ?? ""));
}

describe("sim: SimIo", () => {
  let core: Core;

  before(async () => {
    core = await sharedCore();
  });

  it("awaitCompletionAdvancesVirtualTimeToTheCompletion", async () => {
    const disk = seededDisk(1, { latency: { writeMsMin: 7, writeMsMax: 7, datasyncMsMin: 1, datasyncMsMax: 1 } });
    const io = createSimIo(core, disk, LIMITS);
    const file = io.openFile("/f", { create: true });
    io.submitWrite(file, [filled(10, 1)], 0);
    expect(io.pendingCount()).to.equal(1);
    expect(io.pollCompletions([]), "nothing is due at 0 ms").to.equal(0);
    await io.awaitCompletion();
    expect(disk.clock.nowMs()).to.equal(7);
    const out: IoCompletion[] = [];
    expect(io.pollCompletions(out)).to.equal(1);
    io.completions.complete(out[0]!.token, out[0]!.result);
    io.closeFile(file);
    io.dispose();
  });

  it("pollCompletionsReturnsWhatIsDueWhenTimeMovedOnElsewhere", () => {
    const disk = seededDisk(2);
    const io = createSimIo(core, disk, LIMITS);
    const file = io.openFile("/f", { create: true });
    io.submitWrite(file, [filled(10, 1)], 0);
    disk.clock.advanceBy(1000);
    const out: IoCompletion[] = [];
    expect(io.pollCompletions(out)).to.equal(1);
    io.completions.complete(out[0]!.token, out[0]!.result);
    io.closeFile(file);
    io.dispose();
  });

  it("completionsComeOutOfSubmissionOrderAcrossFiles", async () => {
    let reordered = 0;
    for (const seed of testSeeds(20)) {
      const disk = seededDisk(seed);
      const io = createSimIo(core, disk, LIMITS);
      const a = io.openFile("/a", { create: true });
      const b = io.openFile("/b", { create: true });
      const first = io.submitWrite(a, [filled(10, 1)], 0);
      io.submitWrite(b, [filled(10, 2)], 0);
      const done = await drain(io, 2);
      if (done[0]?.token !== first) reordered++;
      for (const c of done) io.completions.complete(c.token, c.result);
      io.closeFile(a);
      io.closeFile(b);
      io.dispose();
    }
    if (testSeeds(20).length > 1) expect(reordered, "some of 20 seeds complete b before a").to.be.within(1, 19);
  });

  it("aDatasyncSubmittedBeforeAWriteCompletedCoversItNeitherInTheTableNorOnDisk", async () => {
    for (const seed of testSeeds(10)) {
      const disk = seededDisk(seed);
      await withSeedAsync(seed, disk, async () => {
        const io = createSimIo(core, disk, LIMITS);
        const file = io.openFile("/f", { create: true });
        io.syncDirectory("/");
        io.submitWrite(file, [filled(100, 1)], 0);
        io.submitDatasync(file);
        for (const c of await drain(io, 2)) expect(io.completions.complete(c.token, c.result)).to.equal(CompletionOutcome.Ok);
        expect(io.completions.writtenPosition(file)).to.equal(100n);
        expect(io.completions.syncedPosition(file), "the table: the sync's boundary was 0").to.equal(0n);
        disk.crash("drop-unsynced");
        expect(disk.liveBytes("/f")?.byteLength, "the disk: the write was not covered").to.equal(0);
        io.dispose();
      });
    }
  });

  it("afterACrashTheOldSimIoIsDeadAndANewOneReadsTheDurableState", async () => {
    const disk = seededDisk(4);
    const io = createSimIo(core, disk, LIMITS);
    const file = io.openFile("/f", { create: true });
    io.submitWrite(file, [filled(100, 9)], 0);
    for (const c of await drain(io, 1)) io.completions.complete(c.token, c.result);
    io.syncFile(file);
    io.syncDirectory("/");
    io.submitWrite(file, [filled(50, 8)], 100); // in flight at the crash
    disk.crash("drop-unsynced");
    expectAssertion(() => io.openFile("/g", { create: true }), /died at a crash/);
    expectAssertion(() => io.pollCompletions([]), /died at a crash/);
    io.dispose(); // allowed: the process died with its files open
    const restarted = createSimIo(core, disk, LIMITS);
    const reopened = restarted.openFile("/f", { create: false });
    expect(restarted.completions.syncedPosition(reopened)).to.equal(100n);
    const back = new Uint8Array(200);
    expect(restarted.readAt(reopened, back, 0)).to.equal(100);
    expect([...back.subarray(0, 100)]).to.deep.equal([...filled(100, 9)]);
    restarted.closeFile(reopened);
    restarted.dispose();
  });

  describe("asserts what no real disk allows", () => {
    let disk: SimDisk;
    let io: SimIo;

    beforeEach(() => {
      disk = seededDisk(5);
      io = createSimIo(core, disk, LIMITS);
    });
    afterEach(() => {
      disk.crash("drop-unsynced"); // the ops left in flight die with the process
      io.dispose();
    });

    it("overlappingWritesInFlight", () => {
      const file = io.openFile("/f", { create: true });
      io.submitWrite(file, [filled(100, 1)], 0);
      expectAssertion(() => io.submitWrite(file, [filled(10, 2)], 99), /overlaps in-flight write/);
      io.submitWrite(file, [filled(10, 2)], 100); // adjacent is fine
    });

    it("aReadOfBytesAWriteIsStillWriting", () => {
      const file = io.openFile("/f", { create: true });
      io.submitWrite(file, [filled(100, 1)], 0);
      expectAssertion(() => io.readAt(file, new Uint8Array(10), 50), /overlaps in-flight write/);
      expectAssertion(() => io.truncate(file, 10), /overlaps in-flight write/);
    });

    it("aCloseWithAnOpInFlight", () => {
      const file = io.openFile("/f", { create: true });
      io.submitDatasync(file);
      expectAssertion(() => io.closeFile(file), /in flight/);
    });

    it("aBufferChangedWhileItsWriteIsInFlight", async () => {
      const file = io.openFile("/f", { create: true });
      const verify = constants.verify;
      constants.verify = true;
      try {
        const buffer = filled(10, 1);
        io.submitWrite(file, [buffer], 0);
        buffer[3] = 7;
        let caught: unknown = null;
        try {
          await io.awaitCompletion();
        } catch (error) {
          caught = error;
        }
        expect(caught).to.have.property("code", "SPACELOG_ASSERTION");
        expect(String((caught as Error).message)).to.match(/buffer changed/);
      } finally {
        constants.verify = verify;
      }
    });
  });
});
