// The directory LOCK (host/wal/directory-lock.ts, docs/FORMAT.md "LOCK"): the decision table
// against every combination of its facts, the fixed-size record, the process identity
// (pid + start time + boot id), and the lock on real directories: this process, its worker
// threads, other processes alive and killed, torn and foreign records.
import { expect } from "chai";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type Core, loadCore } from "../../host/core/index.js";
import { DirectoryInUseError, DirectoryLockedError } from "../../host/errors.js";
import { type AdvisoryLock, type LockOwner, type LockOwnerStatus } from "../../host/io/lock-owner.js";
import { parseProcStat, processLockOwner } from "../../host/io/process-lock-owner.js";
import { SimDisk, createSimIo } from "../../host/sim/index.js";
import { DirectoryLock, type LockKernel, decideLock } from "../../host/wal/directory-lock.js";
import { openLog } from "../../host/wal/index.js";
import { LOCK_RECORD_SIZE, type LockRead, decodeLockRecord, encodeLockRecord } from "../../host/wal/lock-record.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";
import { rejection } from "../support/rejection.js";
import { firstLine } from "../support/child-lines.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const holderScript = path.join(here, "lock-holder.js");
const walIndex = path.join(here, "..", "..", "host", "wal", "index.js");

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const lockText = (dir: string): string => fs.readFileSync(path.join(dir, "LOCK"), "latin1").trimEnd();
const heldBy = (identity: string): Uint8Array => encodeLockRecord({ state: "held", identity });

// --- the table, written out a second time as predicates, one per row (as recovery_cases) ---

type RecordFact = "absent" | "unreadable" | "free" | "held" | "held-flock";
const KERNELS: readonly LockKernel[] = ["none", "taken", "refused"];
const RECORDS: readonly RecordFact[] = ["absent", "unreadable", "free", "held", "held-flock"];
const STATUSES: readonly LockOwnerStatus[] = ["self", "running", "gone", "unknown"];

interface Facts { kernel: LockKernel; record: RecordFact; status: LockOwnerStatus }
const isHeld = (f: Facts): boolean => f.record === "held" || f.record === "held-flock";
const ROWS: ReadonlyArray<{ row: string; when: (f: Facts) => boolean }> = [
  { row: "A", when: (f) => f.kernel === "refused" && isHeld(f) && f.status === "self" },
  { row: "B", when: (f) => f.kernel === "refused" && !(isHeld(f) && f.status === "self") },
  { row: "C", when: (f) => f.kernel !== "refused" && f.record === "absent" },
  { row: "D", when: (f) => f.kernel !== "refused" && (f.record === "unreadable" || f.record === "free") },
  { row: "E", when: (f) => f.kernel === "taken" && f.record === "held-flock" },
  { row: "F", when: (f) => f.kernel !== "refused" && isHeld(f) && !(f.kernel === "taken" && f.record === "held-flock") && f.status === "self" },
  { row: "G", when: (f) => f.kernel !== "refused" && isHeld(f) && !(f.kernel === "taken" && f.record === "held-flock") && f.status === "running" },
  { row: "H", when: (f) => f.kernel !== "refused" && isHeld(f) && !(f.kernel === "taken" && f.record === "held-flock") && f.status === "gone" },
  { row: "I", when: (f) => f.kernel !== "refused" && isHeld(f) && !(f.kernel === "taken" && f.record === "held-flock") && f.status === "unknown" },
];

function recordOf(fact: RecordFact): LockRead | "absent" {
  if (fact === "absent") return "absent";
  if (fact === "unreadable") return { state: "unreadable", why: "test" };
  if (fact === "free") return { state: "free" };
  return { state: fact, identity: "pid=7" };
}

/** An owner whose answers the test sets, with an in-memory advisory lock (one holder per path). */
function fakeOwner(overwrite: (path: string, record: Uint8Array) => void, status: LockOwnerStatus, held: Set<string> | null, log: string[] = []): LockOwner {
  const advisoryLock: AdvisoryLock | null = held === null ? null : {
    tryLock(path: string) {
      if (held.has(path)) return null;
      held.add(path);
      log.push("lock");
      return { unlock: () => { log.push("unlock"); held.delete(path); } };
    },
  };
  return {
    identity: "pid=7 start=1",
    limits: "the test cannot tell",
    advisoryLock,
    statusOf: (identity) => (identity === "pid=7 start=1" ? "self" : status),
    overwrite: (path, record) => {
      log.push(`write ${text(record).trim()}`);
      overwrite(path, record);
    },
  };
}

describe("wal: the directory LOCK", () => {
  let core: Core;
  before(async () => {
    core = await loadCore();
  });

  describe("the decision table", () => {
    it("everyCombinationOfFactsMatchesExactlyOneRow", () => {
      let combinations = 0;
      for (const kernel of KERNELS) {
        for (const record of RECORDS) {
          for (const status of STATUSES) {
            const facts = { kernel, record, status };
            const rows = ROWS.filter((r) => r.when(facts)).map((r) => r.row);
            expect(rows, JSON.stringify(facts)).to.have.length(1);
            expect(decideLock(kernel, recordOf(record), () => status).row, JSON.stringify(facts)).to.equal(rows[0]);
            combinations++;
          }
        }
      }
      expect(combinations).to.equal(3 * 5 * 4);
    });

    it("statusIsAskedOnlyOfAHeldRecord", () => {
      for (const kernel of KERNELS) {
        for (const record of ["absent", "unreadable", "free"] as const) {
          decideLock(kernel, recordOf(record), () => expect.fail(`asked about a ${record} record`));
        }
      }
    });
  });

  describe("the record", () => {
    it("freeHeldAndHeldFlockRoundTripIn128Bytes", () => {
      for (const record of [{ state: "free" }, { state: "held", identity: "pid=1 start=99 boot=0f-1e" }, { state: "held-flock", identity: "sim=3" }] as const) {
        const bytes = encodeLockRecord(record);
        expect(bytes.byteLength).to.equal(LOCK_RECORD_SIZE);
        expect(bytes[LOCK_RECORD_SIZE - 1]).to.equal(0x0a);
        expect(decodeLockRecord(bytes)).to.deep.equal(record);
      }
    });

    it("everyPrefixOfARecordIsUnreadable", () => {
      const bytes = heldBy("pid=123 start=456 boot=abc");
      for (let length = 0; length < LOCK_RECORD_SIZE; length++) {
        expect(decodeLockRecord(bytes.subarray(0, length)).state, `${length} bytes`).to.equal("unreadable");
      }
      const longer = new Uint8Array(LOCK_RECORD_SIZE + 1);
      longer.set(bytes);
      expect(decodeLockRecord(longer).state).to.equal("unreadable");
    });

    it("aTornOverwriteIsUnreadableOrAGrammaticalRecord", () => {
      // A crash mid-overwrite leaves the new record's first k bytes over the old one's rest.
      const old = heldBy("pid=98765 start=1234567 boot=aaaa-bbbb");
      const next = encodeLockRecord({ state: "free" });
      for (let k = 0; k <= LOCK_RECORD_SIZE; k++) {
        const torn = new Uint8Array(old);
        torn.set(next.subarray(0, k));
        const read = decodeLockRecord(torn);
        if (read.state === "held" || read.state === "held-flock") expect(read.identity).to.match(/^[a-z]+=[0-9a-z-]+( [a-z]+=[0-9a-z-]+)*$/);
      }
    });

    it("aPidOnlyLockFromTheOldFormatIsUnreadable", () => {
      expect(decodeLockRecord(new TextEncoder().encode("12345\n")).state).to.equal("unreadable");
    });
  });

  describe("the process identity", () => {
    const owner = processLockOwner();
    const linux = fs.existsSync("/proc/self/stat");

    it("parseProcStatSplitsAfterTheLastParenthesis", () => {
      // comm "a) b (c)" holds spaces and parentheses; fields 3.. follow the last ")".
      const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
      fields[0] = "S";
      fields[22 - 3] = "777";
      expect(parseProcStat(`4242 (a) b (c)) ${fields.join(" ")}\n`)).to.deep.equal({ state: "S", startTime: "777" });
      expect(parseProcStat("4242 (no close")).to.equal(null);
    });

    it("thisProcessIsPidStartTimeAndBootIdAndIsSelf", function () {
      if (!linux) this.skip(); // no /proc here: the identity is pid=<pid>, checked by kill(pid, 0)
      expect(owner.identity).to.match(new RegExp(`^pid=${process.pid} start=[0-9]+ boot=[0-9a-f-]+$`));
      expect(owner.statusOf(owner.identity)).to.equal("self");
    });

    it("thisPidWithAnotherStartTimeIsGone", function () {
      if (!linux) this.skip();
      // A container restarts its service as the same pid: the pid matches, the start time does not.
      expect(owner.statusOf(owner.identity.replace(/start=[0-9]+/, "start=1"))).to.equal("gone");
    });

    it("anotherBootIdIsGone", function () {
      if (!linux) this.skip();
      expect(owner.statusOf(owner.identity.replace(/boot=[0-9a-f-]+/, "boot=00000000-0000-0000-0000-000000000000"))).to.equal("gone");
    });

    it("aRunningProcessIsRunningUntilItExitsAndThenGone", async function () {
      if (!linux) this.skip();
      const child = spawn("sleep", ["30"], { stdio: "ignore" });
      const pid = child.pid as number;
      const start = parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, "latin1"))?.startTime;
      const identity = owner.identity.replace(/pid=[0-9]+/, `pid=${pid}`).replace(/start=[0-9]+/, `start=${start}`);
      expect(owner.statusOf(identity)).to.equal("running");
      expect(owner.statusOf(identity.replace(/start=[0-9]+/, "start=1")), "the same pid with another start time").to.equal("gone");
      await killAndWait(child);
      expect(owner.statusOf(identity)).to.equal("gone");
    });

    it("aZombieIsGone", function () {
      if (!linux) this.skip();
      // sh starts `sleep 0`, prints its pid, and becomes `sleep 3`, which never reaps it: a zombie.
      const shell = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 3"], { stdio: ["ignore", "pipe", "ignore"] });
      return new Promise<void>((resolve, reject) => {
        shell.stdout.once("data", (chunk: Buffer) => {
          const pid = Number(chunk.toString().trim());
          setTimeout(() => {
            try {
              const stat = parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, "latin1"));
              expect(stat?.state).to.equal("Z");
              const identity = owner.identity.replace(/pid=[0-9]+/, `pid=${pid}`).replace(/start=[0-9]+/, `start=${stat?.startTime}`);
              expect(owner.statusOf(identity)).to.equal("gone");
              shell.kill("SIGKILL");
              resolve();
            } catch (error) {
              shell.kill("SIGKILL");
              reject(error);
            }
          }, 300);
        });
      });
    });

    it("anIdentityThatIsNoProcessIsGone", () => {
      for (const identity of ["sim=3", "pid=0", "pid=x", "nonsense"]) expect(owner.statusOf(identity), identity).to.equal("gone");
    });
  });

  describe("on a real directory", () => {
    let dir: string;
    beforeEach(() => {
      dir = makeTempDir("lock");
    });
    afterEach(() => removeTempDir(dir));

    it("aSecondOpenInThisProcessIsDirectoryInUseError", async () => {
      const log = await openLog(dir, { ioThread: false });
      const error = await rejection(openLog(dir, { ioThread: false }));
      expect(error).to.be.instanceOf(DirectoryInUseError);
      expect(error).to.include({ name: "DirectoryInUseError", code: "SPACELOG_DIRECTORY_IN_USE" });
      expect(error).not.to.be.instanceOf(DirectoryLockedError);
      await log.close();
      const again = await openLog(dir, { ioThread: false });
      await again.close();
    });

    it("anOpenFromAWorkerThreadOfThisProcessIsDirectoryInUseError", async () => {
      const log = await openLog(dir, {});
      const code = `import("${walIndex}").then(({ openLog }) => openLog(${JSON.stringify(dir)}, {})).then(
        (log) => log.close().then(() => require("node:worker_threads").parentPort.postMessage("OPENED")),
        (error) => require("node:worker_threads").parentPort.postMessage(error.code))`;
      const worker = new Worker(code, { eval: true });
      const answer = await new Promise((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      await worker.terminate();
      expect(answer).to.equal("SPACELOG_DIRECTORY_IN_USE");
      await log.close();
    });

    it("closeKeepsTheLockFileAndMarksItFree", async () => {
      const log = await openLog(dir, { ioThread: false });
      expect(lockText(dir)).to.equal(`spacelog-lock 1 held ${processLockOwner().identity}`);
      await log.close();
      expect(fs.statSync(path.join(dir, "LOCK")).size).to.equal(LOCK_RECORD_SIZE);
      expect(lockText(dir)).to.equal("spacelog-lock 1 free");
    });

    it("aFailedOpenOfAFolderThatIsNotALogLeavesNoLock", async () => {
      fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
      expect(await rejection(openLog(dir, {}))).to.have.property("code", "SPACELOG_NOT_A_LOG");
      expect(fs.readdirSync(dir)).to.deep.equal(["notes.txt"]);
    });

    it("aLockHeldByALiveProcessIsDirectoryLockedErrorAndTakenOverOnceItIsKilled", async () => {
      const holder = spawn(process.execPath, [holderScript, dir, "hold"], { stdio: ["ignore", "pipe", "inherit"] });
      expect(await firstLine(holder)).to.equal("OPEN 1");
      const error = await rejection(openLog(dir, { ioThread: false }));
      expect(error).to.include({ code: "SPACELOG_DIRECTORY_LOCKED" });
      expect((error as Error).message).to.include(`pid=${holder.pid} start=`);
      await killAndWait(holder);
      const log = await openLog(dir, { ioThread: false });
      let entries = 0;
      for await (const _ of log.replay()) entries++;
      expect(entries).to.equal(1);
      await log.close();
    });

    it("aLockNamingThisPidWithAnotherStartTimeIsTakenOver", async function () {
      if (!fs.existsSync("/proc/self/stat")) this.skip();
      // What a restarted container finds: its own pid in LOCK, written by the process it replaced.
      await (await openLog(dir, { ioThread: false })).close();
      fs.writeFileSync(path.join(dir, "LOCK"), heldBy(processLockOwner().identity.replace(/start=[0-9]+/, "start=1")));
      const log = await openLog(dir, { ioThread: false });
      await log.close();
    });

    it("aLockNamingARunningProcessOfThisBootIsDirectoryLockedError", async function () {
      if (!fs.existsSync("/proc/1/stat")) this.skip();
      const start = parseProcStat(fs.readFileSync("/proc/1/stat", "latin1"))?.startTime;
      const identity = processLockOwner().identity.replace(/pid=[0-9]+/, "pid=1").replace(/start=[0-9]+/, `start=${start}`);
      fs.writeFileSync(path.join(dir, "LOCK"), heldBy(identity));
      expect(await rejection(openLog(dir, { ioThread: false }))).to.include({ code: "SPACELOG_DIRECTORY_LOCKED" });
      expect(text(fs.readFileSync(path.join(dir, "LOCK")))).to.include(identity);
    });

    it("aTornOrForeignLockIsTakenOver", async () => {
      for (const content of ["", "999999999\n", text(heldBy("pid=1 start=2")).slice(0, 40)]) {
        fs.writeFileSync(path.join(dir, "LOCK"), content);
        const log = await openLog(dir, { ioThread: false });
        await log.close();
      }
    });

    it("anotherProcessOpensTheLogAfterThisOneClosesIt", async () => {
      await (await openLog(dir, { ioThread: false })).close();
      const child = spawnSync(process.execPath, [holderScript, dir, "close"], { encoding: "utf8", timeout: 30_000 });
      expect(child.stdout.trim()).to.equal("OPEN 1");
      expect(lockText(dir)).to.equal("spacelog-lock 1 free");
    });
  });

  describe("the advisory lock seam", () => {
    const DIR = "/locks/log";
    let disk: SimDisk;
    beforeEach(() => {
      disk = new SimDisk({ seed: 9 });
      disk.mkdir("/locks");
      disk.mkdir(DIR);
    });

    function acquireWith(status: LockOwnerStatus, held: Set<string>, log: string[] = []): DirectoryLock {
      const io = createSimIo(core, disk);
      try {
        return DirectoryLock.acquire(io, DIR, { owner: fakeOwner((p, r) => io.overwriteSmallFile(p, r), status, held, log) });
      } finally {
        io.dispose();
      }
    }

    it("aFlockHeldElsewhereIsDirectoryLockedErrorWhateverTheRecordSays", () => {
      const held = new Set([`${DIR}/LOCK`]);
      writeSimFile(disk, `${DIR}/LOCK`, encodeLockRecord({ state: "free" }));
      expect(() => acquireWith("gone", held)).to.throw(DirectoryLockedError, /holds the flock/);
    });

    it("aFlockHeldByThisProcessIsDirectoryInUseError", () => {
      const held = new Set([`${DIR}/LOCK`]);
      writeSimFile(disk, `${DIR}/LOCK`, encodeLockRecord({ state: "held-flock", identity: "pid=7 start=1" }));
      expect(() => acquireWith("gone", held)).to.throw(DirectoryInUseError);
    });

    it("aHeldFlockRecordIsTakenOverOnceTheKernelGrantsTheFlock", () => {
      // The record names a process the owner would call running: the kernel knows better.
      writeSimFile(disk, `${DIR}/LOCK`, encodeLockRecord({ state: "held-flock", identity: "pid=8" }));
      const held = new Set<string>();
      const order: string[] = [];
      const lock = acquireWith("running", held, order);
      expect(text(disk.liveBytes(`${DIR}/LOCK`) ?? new Uint8Array(0)).trim()).to.equal("spacelog-lock 1 held-flock pid=7 start=1");
      lock.release();
      expect(order, "the free record is written before the flock is dropped").to.deep.equal([
        "lock", "write spacelog-lock 1 held-flock pid=7 start=1", "write spacelog-lock 1 free", "unlock",
      ]);
      expect(held.size).to.equal(0);
    });

    it("aPlainHeldRecordOfARunningOwnerStaysLockedEvenWithTheFlock", () => {
      // A holder without the kernel lock (Node) is not excluded by the flock: its identity decides.
      writeSimFile(disk, `${DIR}/LOCK`, heldBy("pid=8"));
      const held = new Set<string>();
      expect(() => acquireWith("running", held)).to.throw(DirectoryLockedError);
      expect(held.size, "the flock is dropped when the LOCK is refused").to.equal(0);
      expect(() => acquireWith("unknown", held)).to.throw(DirectoryLockedError, /cannot tell whether its holder still runs: the test cannot tell/);
    });
  });
});

/** Puts `bytes` at `path` on the simulated disk, durably, as a process before this one left it. */
function writeSimFile(disk: SimDisk, path: string, bytes: Uint8Array): void {
  const handle = disk.open(path, { create: true });
  for (let done = 0; done < bytes.byteLength;) done += disk.writeNow(handle, bytes.subarray(done), done);
  disk.sync(handle);
  disk.close(handle);
  disk.syncDirectory(path.slice(0, path.lastIndexOf("/")));
}

function killAndWait(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}
