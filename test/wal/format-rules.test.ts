// One test per rule docs/FORMAT.md states about the log directory, segment headers and names,
// where the log starts, truncate markers and epochs, entries that do not decode, and how a reader
// looks for sync marks after a stop. Directories are built byte by byte (log-files.ts) and read by
// the real recovery; the end-to-end cases go through openLog.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Core, loadCore } from "../../host/core/index.js";
import { type LogRecord, openLog } from "../../host/wal/index.js";
import { encodeEpochBarrier, encodeTruncate } from "../../host/wal/log-entry.js";
import { SEGMENT_HEADER_SIZE, frameSeedOf } from "../../host/wal/segment-format.js";
import {
  type BuiltSegment, IDENTITY, closedState, crashedState, raw, recover, recoveryError, segmentNames, snapshot, syncMark, writeLog, writeLogState,
} from "./log-files.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

function entries(n: number, from = 0): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => raw(`entry ${from + i}`));
}

/** Rewrites the header of `segment` with `edit` applied, checksum sealed again (so it verifies). */
function resealHeader(core: Core, segment: BuiltSegment, edit: (header: Uint8Array, view: DataView) => void): void {
  const bytes = fs.readFileSync(segment.path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  edit(bytes, view);
  view.setBigUint64(56, core.xxh64(bytes.subarray(0, 56)), true);
  fs.writeFileSync(segment.path, bytes);
}

describe("wal: docs/FORMAT.md rules", () => {
  let core: Core;
  let dir: string;
  before(async () => {
    core = await loadCore();
  });
  beforeEach(() => {
    dir = makeTempDir("format");
  });
  afterEach(() => removeTempDir(dir));

  describe("log directory", () => {
    it("a SPACELOG.tmp beside SPACELOG is removed at open", async () => {
      await (await openLog(dir, { ioThread: false })).close();
      fs.writeFileSync(path.join(dir, "SPACELOG.tmp"), IDENTITY.slice(0, 5));
      const log = await openLog(dir, { ioThread: false });
      expect(fs.existsSync(path.join(dir, "SPACELOG.tmp"))).to.equal(false);
      await log.close();
    });

    it("a directory holding only SPACELOG.tmp and a LOCK that is not held is an initialisation that never finished: initialised", async () => {
      fs.writeFileSync(path.join(dir, "SPACELOG.tmp"), IDENTITY);
      fs.writeFileSync(path.join(dir, "LOCK"), "1234\n"); // no whole record: a LOCK write torn by a crash
      const log = await openLog(dir, { ioThread: false });
      expect(await log.append(new Uint8Array([1]))).to.equal(1n);
      await log.close();
      expect(fs.readFileSync(path.join(dir, "SPACELOG"), "utf8")).to.equal(IDENTITY);
      expect(fs.existsSync(path.join(dir, "SPACELOG.tmp"))).to.equal(false);
    });

    it("a directory without SPACELOG holding LOGSTATE or a segment is not a log (NotALogError), and is left as it was", async () => {
      fs.writeFileSync(path.join(dir, "LOGSTATE"), new Uint8Array(64));
      const before = snapshot(dir);
      let error: unknown = null;
      try {
        await openLog(dir, { ioThread: false });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.have.property("name", "NotALogError");
      expect([...snapshot(dir).keys()].filter((n) => n !== "LOCK")).to.deep.equal([...before.keys()]);
    });
  });

  describe("segment names", () => {
    it("a name like a segment's but not log-<16 lowercase hex digits>.seg (letter case, digit count, id 0) is CorruptLogError naming it; salvage leaves it and reports it", () => {
      const built = writeLog(core, dir, [{ payloads: entries(3) }]);
      writeLogState(core, dir, closedState(built));
      for (const name of ["log-000000000000000A.seg", "LOG-0000000000000002.SEG", "log-02.seg", "log-0000000000000000.seg"]) {
        fs.writeFileSync(path.join(dir, name), new Uint8Array(64));
        expect(recoveryError(core, dir), name).to.include({ name: "CorruptLogError", file: path.join(dir, name), offset: 0 });
        const salvaged = recover(core, dir, { salvage: true });
        expect(salvaged.report.acceptedDamage.map((f) => f.file)).to.deep.equal([name]);
        expect(fs.existsSync(path.join(dir, name)), "salvage does not remove a file that is not the log's").to.equal(true);
        fs.rmSync(path.join(dir, name));
      }
      fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
      expect(recoveryError(core, dir), "other names are not the log's, and are left alone").to.equal(null);
    });

    it("ids may have gaps: segments join by stream offset and LSN, not by id", () => {
      const built = writeLog(core, dir, [{ id: 1n, payloads: entries(2) }, { id: 4n, payloads: entries(2, 2) }, { id: 9n, payloads: entries(2, 4) }]);
      writeLogState(core, dir, closedState(built));
      const recovered = recover(core, dir);
      expect(recovered.segments.map((s) => s.header.segmentId)).to.deep.equal([1n, 4n, 9n]);
      expect(recovered.nextLsn).to.equal(7n);
      expect(recovered.nextSegmentId).to.equal(10n);
    });

    it("the id of a torn last segment that was removed is not given out again", () => {
      const built = writeLog(core, dir, [{ payloads: entries(2) }]);
      writeLogState(core, dir, closedState(built));
      fs.writeFileSync(path.join(dir, "log-0000000000000002.seg"), new Uint8Array([1, 2, 3]));
      const recovered = recover(core, dir);
      expect(recovered.report.removedTornSegments).to.deep.equal(["log-0000000000000002.seg"]);
      expect(recovered.nextSegmentId).to.equal(3n);
    });
  });

  describe("segment headers", () => {
    it("a header whose id is not the file name's (a renamed segment) is corruption naming the file (@M)", () => {
      const built = writeLog(core, dir, [{ payloads: entries(2) }, { payloads: entries(2, 2) }]);
      writeLogState(core, dir, { lastSegmentId: 5n, durableOffset: 64n });
      const renamed = path.join(dir, "log-0000000000000005.seg");
      fs.renameSync(built[1]?.path ?? "", renamed);
      const error = recoveryError(core, dir);
      expect(error).to.include({ name: "CorruptLogError", file: renamed, offset: 0 });
      expect(error).to.have.property("reason").that.matches(/holds id 2, not the file name's 5.*@M/);
    });

    it("a header that verifies but has a reserved byte set (offset 7, or 44..55) is corruption (@M)", () => {
      for (const at of [7, 44, 50, 55]) {
        removeTempDir(dir);
        const built = writeLog(core, dir, [{ payloads: entries(2) }]);
        writeLogState(core, dir, closedState(built));
        resealHeader(core, built[0] as BuiltSegment, (header) => (header[at] = 1));
        expect(recoveryError(core, dir), `byte ${at}`).to.have.property("reason").that.matches(/reserved.*@M/);
      }
    });

    it("a header that verifies but is of a kind other than 3 (log), of another version or magic, or with baseLsn 0, is corruption (@M)", () => {
      const cases: Array<[string, (h: Uint8Array, v: DataView) => void, RegExp]> = [
        ["kind 1", (h) => (h[6] = 1), /kind 1, not 3/],
        ["kind 4", (h) => (h[6] = 4), /\(kind\)/],
        ["version 2", (_, v) => v.setUint16(4, 2, true), /\(version\)/],
        ["magic", (h) => (h[0] = 0x54), /\(magic\)/],
        ["baseLsn 0", (_, v) => v.setBigUint64(24, 0n, true), /\(lsn\)/],
      ];
      for (const [what, edit, reason] of cases) {
        removeTempDir(dir);
        const built = writeLog(core, dir, [{ payloads: entries(2) }]);
        writeLogState(core, dir, closedState(built));
        resealHeader(core, built[0] as BuiltSegment, edit);
        const error = recoveryError(core, dir);
        expect(error, what).to.include({ name: "CorruptLogError", offset: 0 });
        expect(error, what).to.have.property("reason").that.matches(reason);
      }
    });

    it("an all-zero last segment of 64 bytes or more is empty: a torn creation, removed (@E); an all-zero header before data is invalid (@H)", () => {
      const built = writeLog(core, dir, [{ payloads: entries(2) }]);
      writeLogState(core, dir, closedState(built));
      const second = path.join(dir, "log-0000000000000002.seg");
      fs.writeFileSync(second, new Uint8Array(4096));
      const recovered = recover(core, dir);
      expect(recovered.report.removedTornSegments).to.deep.equal(["log-0000000000000002.seg"]);
      const withData = new Uint8Array(200);
      withData[150] = 1;
      fs.writeFileSync(second, withData);
      expect(recoveryError(core, dir)).to.have.property("reason").that.matches(/does not verify.*@H/);
    });

    it("an unverifiable last header followed only by zeros is a torn creation (@G); followed by any other byte it is corruption (@H)", () => {
      const built = writeLog(core, dir, [{ payloads: entries(2) }]);
      writeLogState(core, dir, closedState(built));
      const second = path.join(dir, "log-0000000000000002.seg");
      const garbage = new Uint8Array(SEGMENT_HEADER_SIZE + 512).fill(0x5a, 0, SEGMENT_HEADER_SIZE);
      fs.writeFileSync(second, garbage);
      expect(recover(core, dir).report.removedTornSegments).to.deep.equal(["log-0000000000000002.seg"]);
      garbage[SEGMENT_HEADER_SIZE + 500] = 1;
      fs.writeFileSync(second, garbage);
      expect(recoveryError(core, dir)).to.include({ name: "CorruptLogError", file: second, offset: 0 });
    });
  });

  describe("where the log starts", () => {
    it("the first segment missing (removed by hand) is CorruptLogError naming the new first one; salvage accepts and reports it", async () => {
      const log = await openLog(dir, { ioThread: false, segmentSizeMax: 4096, durability: "none" });
      await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(new Uint8Array(24).fill(i & 0xff))));
      await log.close();
      const names = segmentNames(dir);
      fs.rmSync(path.join(dir, names[0] ?? ""));
      let error: unknown = null;
      try {
        await openLog(dir, { ioThread: false, segmentSizeMax: 4096 });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.include({ name: "CorruptLogError", file: path.join(dir, names[1] ?? ""), offset: 0 });
      expect(error).to.have.property("reason").that.matches(/first segment is missing/);
      const salvaged = await openLog(dir, { ioThread: false, segmentSizeMax: 4096, salvage: true });
      expect(salvaged.recovery.acceptedDamage.map((f) => f.file)).to.deep.equal([names[1]]);
      const first = salvaged.replay()[Symbol.asyncIterator]();
      const firstLsn = (await first.next()).value?.lsn ?? 0n;
      await first.return?.(undefined);
      await salvaged.truncateBefore(firstLsn);
      await salvaged.close();
      const plain = await openLog(dir, { ioThread: false, segmentSizeMax: 4096 });
      expect(plain.recovery.acceptedDamage, "a truncate marker at the new start makes the log whole").to.deep.equal([]);
      await plain.close();
    });

    it("a first segment at LSN 1 starts the stream at offset 0", () => {
      const built = writeLog(core, dir, [{ payloads: entries(2), baseOffset: 64n }]);
      writeLogState(core, dir, closedState(built));
      expect(recoveryError(core, dir)).to.have.property("reason").that.matches(/starts at LSN 1 but at stream offset 64/);
    });

    it("a first segment after the retirement point (the highest kept truncate marker) is missing its predecessor; at or before it, the log opens", () => {
      const built = writeLog(core, dir, [{ payloads: entries(4), baseLsn: 11n, baseOffset: 5000n }, { payloads: [encodeTruncate(11n, 0n), ...entries(2)] }]);
      writeLogState(core, dir, closedState(built));
      expect(recoveryError(core, dir)).to.equal(null);
      removeTempDir(dir);
      const late = writeLog(core, dir, [{ payloads: entries(4), baseLsn: 12n, baseOffset: 5000n }, { payloads: [encodeTruncate(11n, 0n), ...entries(2)] }]);
      writeLogState(core, dir, closedState(late));
      expect(recoveryError(core, dir)).to.have.property("reason").that.matches(/starts at LSN 12.*the log starts at LSN 11/);
    });

    it("truncateBefore retires whole segments, and the log still opens: the first segment starts at or before the marker's LSN", async () => {
      const log = await openLog(dir, { ioThread: false, segmentSizeMax: 4096, durability: "none" });
      await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(new Uint8Array(24).fill(i & 0xff))));
      const removed = await log.truncateBefore(200n);
      expect(removed.length).to.be.greaterThan(0);
      await log.close();
      const again = await openLog(dir, { ioThread: false, segmentSizeMax: 4096 });
      expect(again.recovery.acceptedDamage).to.deep.equal([]);
      await again.close();
    });
  });

  describe("segments", () => {
    it("a segment with no frame that is not the last is read like any other, and the next joins it at its end", () => {
      const built = writeLog(core, dir, [{ payloads: entries(2) }, { payloads: [] }, { payloads: entries(2, 2) }]);
      writeLogState(core, dir, closedState(built));
      expect(recover(core, dir).nextLsn).to.equal(5n);
    });

    it("joins count entries, not frames: sync marks take no LSN", () => {
      const built = writeLog(core, dir, [{ payloads: [...entries(1), syncMark(64n), ...entries(1, 1)] }, { payloads: entries(1, 2) }]);
      expect(built[1]?.baseLsn).to.equal(3n);
      writeLogState(core, dir, closedState(built));
      expect(recover(core, dir).nextLsn).to.equal(4n);
      removeTempDir(dir);
      const miscounted = writeLog(core, dir, [{ payloads: [...entries(1), syncMark(64n), ...entries(1, 1)] }, { payloads: entries(1, 2), baseLsn: 4n }]);
      writeLogState(core, dir, closedState(miscounted));
      expect(recoveryError(core, dir)).to.have.property("reason").that.matches(/does not continue the previous one/);
    });

    it("segments wholly before the retirement point are removed at recovery, oldest first, never the last", () => {
      const built = writeLog(core, dir, [{ payloads: entries(2) }, { payloads: entries(2, 2) }, { payloads: [...entries(1, 4), encodeTruncate(5n, 0n)] }]);
      writeLogState(core, dir, closedState(built));
      const recovered = recover(core, dir);
      expect(recovered.report.retiredRemoved).to.deep.equal(["log-0000000000000001.seg", "log-0000000000000002.seg"]);
      expect(segmentNames(dir)).to.deep.equal(["log-0000000000000003.seg"]);
      expect(recovered.retiredBefore).to.equal(5n);
    });
  });

  describe("frames", () => {
    it("the worked example: raw \"hi\" framed with seed 0 and 0x5eed; zeros after it are ZeroTail at 11; cut to 10 bytes it is Torn at 0", () => {
      const frame = core.encodeFrames([new Uint8Array([1, 0x68, 0x69])], 0);
      expect(Buffer.from(frame).toString("hex")).to.equal("03000000" + "5b2386a2" + "016869");
      expect(Buffer.from(core.encodeFrames([new Uint8Array([1, 0x68, 0x69])], 0x5eed)).toString("hex")).to.equal("03000000" + "5c59bd54" + "016869");
      const zeros = new Uint8Array(11 + 4096);
      zeros.set(frame);
      expect(core.scanFrames(zeros, 0)).to.deep.include({ stop: "ZeroTail", stopOffset: 11 });
      expect(core.scanFrames(zeros, 0).frames).to.have.length(1);
      expect(core.scanFrames(frame.subarray(0, 10), 0)).to.deep.include({ stop: "Torn", stopOffset: 0, frames: [] });
    });
  });

  describe("truncate markers and epochs", () => {
    it("a marker whose beforeLsn lies past its own LSN is corruption at its frame, and removes nothing", () => {
      const built = writeLog(core, dir, [{ payloads: entries(3) }, { payloads: entries(3, 3) }, { payloads: [...entries(2, 6), encodeTruncate(1000n, 0n)] }]);
      writeLogState(core, dir, crashedState(built));
      const before = snapshot(dir);
      const error = recoveryError(core, dir);
      expect(error).to.include({ name: "CorruptLogError", file: built[2]?.path, offset: built[2]?.frameOffsets[2] });
      expect(error).to.have.property("reason").that.matches(/entry 9: a truncate marker retiring entries up to 1000, past itself/);
      expect(snapshot(dir)).to.deep.equal(before);
      const salvaged = recover(core, dir, { salvage: true });
      expect(salvaged.report.retiredRemoved).to.deep.equal([]);
      expect(salvaged.nextLsn).to.equal(9n);
    });

    it("a marker in a torn tail retires nothing: markers count only from frames recovery keeps", () => {
      const torn = new Uint8Array([40, 0, 0, 0, 1, 2, 3, 4, 1, 9, 9]);
      // A whole, valid marker after the torn frame (sealed with segment 2's seed), with no sync mark proving the stop.
      const marker = core.encodeFrames([encodeTruncate(7n, 0n)], frameSeedOf(core, 2n, 1n));
      const built = writeLog(core, dir, [{ payloads: entries(3) }, { payloads: entries(3, 3), tail: new Uint8Array([...torn, ...marker]) }]);
      writeLogState(core, dir, crashedState(built));
      const recovered = recover(core, dir);
      expect(recovered.report.tornTail).to.include({ file: built[1]?.name, offset: built[1]?.dataEnd });
      expect(recovered.report.retiredRemoved).to.deep.equal([]);
      expect(recovered.retiredBefore).to.equal(0n);
    });

    it("the epoch never goes back: a truncate marker carries the epoch in force, so retiring the barriers' segments keeps it", async () => {
      const log = await openLog(dir, { ioThread: false, segmentSizeMax: 4096, durability: "none" });
      await log.appendEpochBarrier();
      await log.appendEpochBarrier();
      await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(new Uint8Array(24).fill(i & 0xff))));
      expect(await log.truncateBefore(250n)).to.include("log-0000000000000001.seg");
      await log.close();
      const again = await openLog(dir, { ioThread: false, segmentSizeMax: 4096 });
      expect(again.epoch).to.equal(2n);
      await again.close();
    });

    it("recovery's epoch is the highest a kept barrier or truncate marker carries", () => {
      const built = writeLog(core, dir, [{ payloads: [encodeEpochBarrier(1n), encodeTruncate(1n, 5n), encodeEpochBarrier(3n)] }]);
      writeLogState(core, dir, closedState(built));
      expect(recover(core, dir).epoch).to.equal(5n);
    });
  });

  describe("entries", () => {
    it("an entry that passes its CRC but does not decode is CorruptLogError at its frame (@I); salvage cuts there", async () => {
      const built = writeLog(core, dir, [{ payloads: [...entries(3), new Uint8Array([9, 1, 2]), ...entries(2, 3)] }]);
      writeLogState(core, dir, crashedState(built));
      let error: unknown = null;
      try {
        await openLog(dir, { ioThread: false });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.include({ name: "CorruptLogError", file: built[0]?.path, offset: built[0]?.frameOffsets[3] });
      expect(error).to.have.property("reason").that.matches(/entry 4: unknown entry type 9.*@I/);
      const log = await openLog(dir, { ioThread: false, salvage: true });
      expect(log.recovery.salvaged).to.include({ offset: built[0]?.frameOffsets[3] });
      const records: LogRecord[] = [];
      for await (const record of log.replay()) records.push(record);
      expect(records.map((r) => r.lsn)).to.deep.equal([1n, 2n, 3n]);
      await log.close();
    });

    it("a sync mark claiming bytes past itself is corruption (@I)", () => {
      const built = writeLog(core, dir, [{ payloads: [...entries(2), syncMark(100_000n), ...entries(1, 2)] }]);
      writeLogState(core, dir, crashedState(built));
      expect(recoveryError(core, dir)).to.include({ name: "CorruptLogError", offset: built[0]?.frameOffsets[2] });
    });
  });

  describe("reading after a stop", () => {
    // entries(4) are 16-byte frames at file (and stream) offsets 64, 80, 96, 112; the third is damaged.
    const DAMAGED_AT = 96n;

    /** A last segment: 4 entries, the third damaged, then `after` (frames sealed with the segment's seed). */
    function damagedLast(after: Uint8Array[]): BuiltSegment {
      const built = writeLog(core, dir, [{ payloads: [...entries(4), ...after] }]);
      const segment = built[0] as BuiltSegment;
      expect(segment.frameOffsets.slice(0, 4)).to.deep.equal([64, 80, 96, 112]);
      writeLogState(core, dir, crashedState(built));
      const bytes = fs.readFileSync(segment.path);
      bytes[Number(DAMAGED_AT) + 9] = (bytes[Number(DAMAGED_AT) + 9] as number) ^ 0x10;
      fs.writeFileSync(segment.path, bytes);
      return segment;
    }

    it("valid frames after a stop, without a sync mark proving it, are a torn tail in the last segment (not corruption)", () => {
      damagedLast(entries(3, 4));
      expect(recover(core, dir).report.tornTail).to.include({ offset: Number(DAMAGED_AT) });
    });

    it("a sync mark after the stop whose durable offset is above the stop's offset proves it durable: corruption (@C)", () => {
      damagedLast([...entries(1, 4), syncMark(DAMAGED_AT + 1n), ...entries(1, 5)]);
      const error = recoveryError(core, dir);
      expect(error).to.include({ name: "CorruptLogError", offset: Number(DAMAGED_AT) });
      expect(error).to.have.property("reason").that.matches(/@C/);
    });

    it("a sync mark at any byte offset after the stop counts, not only on a frame boundary", () => {
      // A raw entry at 128 (the data's end) whose body hides a whole mark frame at 128 + 8 + 3 = 139: the frame chain
      // after the stop is unknown, so the search tries every byte.
      const hidden = core.encodeFrames([syncMark(DAMAGED_AT + 1n)], frameSeedOf(core, 1n, 1n));
      damagedLast([new Uint8Array([1, 0, 0, ...hidden])]);
      expect(recoveryError(core, dir)).to.include({ name: "CorruptLogError", offset: Number(DAMAGED_AT) });
    });

    it("a sync mark whose durable offset is at or below the stop, or past the mark itself, proves nothing: a torn tail", () => {
      damagedLast([...entries(1, 4), syncMark(DAMAGED_AT), syncMark(1_000_000n)]);
      expect(recover(core, dir).report.tornTail).to.include({ offset: Number(DAMAGED_AT) });
    });

    it("zeros after the last frame of a segment that is not the last are corruption (R2 cut them before the next began)", () => {
      const first = writeLog(core, dir, [{ payloads: entries(2), tail: new Uint8Array(100) }])[0] as BuiltSegment;
      const second = writeLog(core, dir, [{ payloads: entries(2, 2), id: 2n, baseLsn: 3n, baseOffset: BigInt(first.dataEnd + 100) }]);
      writeLogState(core, dir, closedState(second));
      expect(recoveryError(core, dir)).to.include({ name: "CorruptLogError", file: first.path, offset: first.dataEnd });
    });
  });
});
