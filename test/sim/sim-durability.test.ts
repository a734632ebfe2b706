// What survives a crash of the simulated disk: the datasync boundary and the three crash models,
// checked against models of the bytes (fast-check; SPACELOG_SEED replays; the disk seed is in
// every counterexample and every message).
import { expect } from "chai";
import fc from "fast-check";
import { CRASH_MODELS } from "../../host/sim/sim-crash.js";
import { type SimDisk } from "../../host/sim/sim-disk.js";
import { type SimHandle } from "../../host/sim/sim-file-system.js";
import { SECTOR_SIZE } from "../../host/sim/sim-inode.js";
import { propertySeed } from "../core/core-check.js";
import {
  applyWrites, datasyncAndWait, filled, outcomeSlot, randomBytes, runToIdle, sameBytes, seededDisk, withSeed,
  writeAndWait,
} from "./sim-fixtures.js";

const lengthsArb = fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 });

/** A disk with "/d" made and synced, and "/d/f" created, dir-synced and open. */
function diskWithFile(seed: number, latency?: { writeMs: [number, number]; datasyncMs: [number, number] }): { disk: SimDisk; h: SimHandle } {
  const disk = latency === undefined
    ? seededDisk(seed)
    : seededDisk(seed, { latency: { writeMsMin: latency.writeMs[0], writeMsMax: latency.writeMs[1], datasyncMsMin: latency.datasyncMs[0], datasyncMsMax: latency.datasyncMs[1] } });
  disk.mkdir("/d");
  const h = disk.open("/d/f", { create: true });
  disk.syncDirectory("/d");
  return { disk, h };
}

/** Submits appends of the given lengths (each its own byte value, from `value`), all in flight at once. */
function submitAppends(disk: SimDisk, h: SimHandle, lengths: readonly number[], start: number, value: number): Array<{ offset: number; bytes: Uint8Array }> {
  const writes: Array<{ offset: number; bytes: Uint8Array }> = [];
  let at = start;
  for (const [i, length] of lengths.entries()) {
    const bytes = filled(length, (value + i) & 0xff || 1);
    disk.submitWrite(h, [bytes], at, () => {});
    writes.push({ offset: at, bytes });
    at += length;
  }
  return writes;
}

describe("sim: durability across crashes", () => {
  it("unsyncedWritesAreLostUnderDropUnsynced", () => {
    fc.assert(
      fc.property(fc.nat(), lengthsArb, (seed, lengths) => {
        const { disk, h } = diskWithFile(seed);
        withSeed(seed, disk, () => {
          submitAppends(disk, h, lengths, 0, 1);
          runToIdle(disk);
          expect(disk.liveBytes("/d/f")?.byteLength).to.equal(lengths.reduce((a, b) => a + b, 0));
          disk.crash("drop-unsynced");
          expect(disk.exists("/d/f"), "the dir-synced file stays").to.equal(true);
          expect(disk.liveBytes("/d/f")?.byteLength, "its unsynced bytes do not").to.equal(0);
        });
      }),
      { seed: propertySeed(), numRuns: 60 },
    );
  });

  for (const model of CRASH_MODELS) {
    it(`syncedWritesSurviveCrashModel_${model}`, () => {
      fc.assert(
        fc.property(fc.nat(), lengthsArb, lengthsArb, fc.boolean(), (seed, synced, unsynced, leaveInFlight) => {
          const { disk, h } = diskWithFile(seed);
          withSeed(seed, disk, () => {
            const syncedWrites = submitAppends(disk, h, synced, 0, 1);
            runToIdle(disk);
            expect(datasyncAndWait(disk, h).errno).to.equal("");
            const expected = applyWrites(new Uint8Array(0), syncedWrites);
            submitAppends(disk, h, unsynced, expected.byteLength, 100);
            if (!leaveInFlight) runToIdle(disk);
            disk.crash(model);
            const durable = disk.durableBytes("/d/f");
            expect(durable !== undefined && durable.byteLength >= expected.byteLength, "the synced size survives").to.equal(true);
            expect(sameBytes(durable?.subarray(0, expected.byteLength), expected), "the synced bytes survive").to.equal(true);
          });
        }),
        { seed: propertySeed(), numRuns: 40 },
      );
    });
  }

  it("datasyncSubmittedBeforeAWriteCompletedDoesNotCoverIt", () => {
    // Write latency 5 ms, datasync latency 20 ms: the write completes first, but after the sync was submitted.
    const { disk, h } = diskWithFile(1, { writeMs: [5, 5], datasyncMs: [20, 20] });
    withSeed(1, disk, () => {
      const write = outcomeSlot();
      const sync = outcomeSlot();
      disk.submitWrite(h, [filled(10, 7)], 0, write.done);
      disk.submitDatasync(h, sync.done);
      runToIdle(disk);
      expect(write.outcome).to.deep.equal({ result: 10, errno: "" });
      expect(sync.outcome).to.deep.equal({ result: 0, errno: "" });
      expect(disk.pendingCount("/d/f"), "the write is still unsynced").to.equal(1);
      expect(disk.durableBytes("/d/f")?.byteLength).to.equal(0);
      expect(datasyncAndWait(disk, h).errno).to.equal("");
      expect(disk.pendingCount("/d/f")).to.equal(0);
      expect([...(disk.durableBytes("/d/f") ?? [])]).to.deep.equal([...filled(10, 7)]);
    });
  });

  it("datasyncCoversExactlyTheWritesCompletedAtItsSubmission", () => {
    type Step = "write" | "sync" | "step";
    const stepArb = fc.constantFrom<Step>("write", "write", "sync", "step", "step", "step");
    fc.assert(
      fc.property(fc.nat(), fc.array(stepArb, { minLength: 1, maxLength: 40 }), (seed, steps) => {
        const { disk, h } = diskWithFile(seed);
        withSeed(seed, disk, () => {
          const completed = new Set<number>();
          const durable = new Set<number>();
          const writes: Array<{ offset: number; bytes: Uint8Array }> = [];
          let end = 0;
          for (const step of steps) {
            if (step === "write") {
              const index = writes.length;
              const bytes = filled(1 + ((seed + index * 37) % 300), (index % 250) + 1);
              writes.push({ offset: end, bytes });
              end += bytes.byteLength;
              disk.submitWrite(h, [bytes], end - bytes.byteLength, (result) => {
                expect(result).to.equal(bytes.byteLength);
                completed.add(index);
              });
            } else if (step === "sync") {
              const covered = [...completed];
              disk.submitDatasync(h, (result) => {
                expect(result).to.equal(0);
                for (const index of covered) durable.add(index);
              });
            } else {
              disk.step();
            }
          }
          runToIdle(disk);
          disk.crash("drop-unsynced");
          const landed = writes.filter((_, index) => durable.has(index));
          expect(sameBytes(disk.durableBytes("/d/f"), applyWrites(new Uint8Array(0), landed)), "durable = the covered writes").to.equal(true);
        });
      }),
      { seed: propertySeed(), numRuns: 150 },
    );
  });

  it("randomPrefixKeepsAPrefixOfEachFilesWritesInSubmissionOrder", () => {
    const writeArb = fc.record({ offset: fc.nat({ max: 1500 }), length: fc.integer({ min: 1, max: 300 }) });
    fc.assert(
      fc.property(fc.nat(), fc.array(writeArb, { minLength: 1, maxLength: 7 }), fc.array(writeArb, { minLength: 1, maxLength: 7 }), (seed, first, second) => {
        const disk = seededDisk(seed);
        withSeed(seed, disk, () => {
          const files = [{ path: "/a", specs: first }, { path: "/b", specs: second }];
          const plans = files.map(({ path, specs }) => {
            const h = disk.open(path, { create: true });
            writeAndWait(disk, h, filled(1000, 0xee), 0); // the synced base
            datasyncAndWait(disk, h);
            // Each write completes before the next is submitted (no in-flight overlap), except the last.
            const writes = specs.map((spec, i) => ({ offset: spec.offset, bytes: filled(spec.length, i + 1) }));
            return { path, h, writes };
          });
          for (const plan of plans) {
            for (const [i, w] of plan.writes.entries()) {
              if (i < plan.writes.length - 1) writeAndWait(disk, plan.h, w.bytes, w.offset);
              else disk.submitWrite(plan.h, [w.bytes], w.offset, () => {});
            }
          }
          disk.syncDirectory("/");
          disk.crash("random-prefix");
          for (const plan of plans) {
            const durable = disk.durableBytes(plan.path);
            expect(isPrefixLanding(durable ?? new Uint8Array(0), filled(1000, 0xee), plan.writes), `${plan.path} holds a prefix of its writes`).to.equal(true);
          }
        });
      }),
      { seed: propertySeed(), numRuns: 150 },
    );
  });

  it("sectorsModelChangesOnlyBytesOfPendingWrites", () => {
    const spanArb = fc.record({ gap: fc.nat({ max: 700 }), length: fc.integer({ min: 1, max: 1300 }) });
    fc.assert(
      fc.property(fc.nat(), fc.array(spanArb, { minLength: 1, maxLength: 6 }), fc.boolean(), (seed, spans, leaveInFlight) => {
        const { disk, h } = diskWithFile(seed);
        withSeed(seed, disk, () => {
          const base = randomBytes(2000, seed);
          writeAndWait(disk, h, base, 0);
          datasyncAndWait(disk, h);
          // Non-overlapping pending writes, starting inside the synced bytes and running past them.
          let at = 100;
          const writes = spans.map((span, i) => {
            at += span.gap;
            const write = { offset: at, bytes: randomBytes(span.length, seed + i + 1) };
            at += span.length;
            disk.submitWrite(h, [write.bytes], write.offset, () => {});
            return write;
          });
          if (!leaveInFlight) runToIdle(disk);
          disk.crash("sectors");
          checkSectorLanding(disk, base, writes);
        });
      }),
      { seed: propertySeed(), numRuns: 120 },
    );
  });

  it("aWriteInFlightAtACrashNeverCompletes", () => {
    const { disk, h } = diskWithFile(3);
    let called = false;
    disk.submitWrite(h, [filled(10, 1)], 0, () => {
      called = true;
    });
    disk.crash("drop-unsynced");
    expect(disk.step()).to.equal(false);
    expect(called).to.equal(false);
    expect(() => disk.size(h), "a handle from before the crash is dead").to.throw().with.property("code", "SPACELOG_ASSERTION");
    expect(disk.pendingDirectoryChanges()).to.equal(0);
  });
});

/** True when `durable` is `base` with writes[0..k) applied and, perhaps, a prefix of writes[k]. */
function isPrefixLanding(durable: Uint8Array, base: Uint8Array, writes: ReadonlyArray<{ offset: number; bytes: Uint8Array }>): boolean {
  for (let k = 0; k <= writes.length; k++) {
    const landed = applyWrites(base, writes.slice(0, k));
    if (sameBytes(durable, landed)) return true;
    const next = writes[k];
    if (next === undefined) continue;
    // Write k fills its bytes with k + 1, a value nothing before it holds: count how far it got.
    let cut = 0;
    while (cut < next.bytes.byteLength && durable[next.offset + cut] === k + 1) cut++;
    if (cut > 0 && sameBytes(durable, applyWrites(landed, [{ offset: next.offset, bytes: next.bytes.subarray(0, cut) }]))) return true;
  }
  return false;
}

/** Per sector piece of each pending write: old bytes, new bytes, or garbage recorded as damage; elsewhere unchanged. */
function checkSectorLanding(disk: SimDisk, base: Uint8Array, writes: ReadonlyArray<{ offset: number; bytes: Uint8Array }>): void {
  const stored = disk.durableBytes("/d/f") ?? new Uint8Array(0);
  const pristine = disk.durableBytes("/d/f", { pristine: true }) ?? new Uint8Array(0);
  const damaged = new Set(disk.damagedOffsets("/d/f"));
  const covered = new Set<number>();
  for (const { offset, bytes } of writes) {
    for (let at = offset; at < offset + bytes.byteLength; ) {
      const end = Math.min(offset + bytes.byteLength, (Math.floor(at / SECTOR_SIZE) + 1) * SECTOR_SIZE);
      let isOld = true;
      let isNew = true;
      for (let i = at; i < end; i++) {
        covered.add(i);
        const old = i < base.byteLength ? base[i] : 0;
        if ((stored[i] ?? 0) !== old) isOld = false;
        if ((stored[i] ?? 0) !== bytes[i - offset]) isNew = false;
        if ((pristine[i] ?? 0) !== old && (pristine[i] ?? 0) !== bytes[i - offset]) expect.fail(`pristine byte ${i} is neither old nor new`);
      }
      if (!isOld && !isNew) {
        for (let i = at; i < end; i++) {
          if ((stored[i] ?? 0) !== (pristine[i] ?? 0)) expect(damaged.has(i), `garbage at ${i} is recorded as damage`).to.equal(true);
        }
      }
      at = end;
    }
  }
  for (let i = 0; i < base.byteLength; i++) {
    if (!covered.has(i)) expect(stored[i], `byte ${i}, outside every pending write, is unchanged`).to.equal(base[i]);
  }
}
