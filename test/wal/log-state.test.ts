// LOGSTATE (docs/FORMAT.md "Log state"): its bytes, and the recovery rules it makes possible. A
// log that was closed cleanly has every byte proven durable, so damage anywhere is corruption,
// never a torn tail; a segment missing at the end is corruption; a log without a LOGSTATE is only
// a log caught while being created.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Core, loadCore } from "../../host/core/index.js";
import { type Log, openLog } from "../../host/wal/index.js";
import { type LogState, type LogStateProblem, type StoredLogState, decodeLogState, encodeLogState, encodeLogStateRecord } from "../../host/wal/log-state.js";
import { decodeSegmentHeader } from "../../host/wal/segment-format.js";
import {
  closedState, crashedState, flipByte, raw, recover, recoveryError, segmentNames, snapshot, writeLog, writeLogState,
} from "./log-files.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

async function entryCount(log: Log): Promise<number> {
  let n = 0;
  for await (const _ of log.replay()) n++;
  return n;
}

/** A decoded state without its generation (which only says which slot the next one takes). */
function stateOf(decoded: StoredLogState | LogStateProblem): LogState | LogStateProblem {
  if (typeof decoded === "string") return decoded;
  return { lastSegmentId: decoded.lastSegmentId, durableOffset: decoded.durableOffset };
}

function entries(n: number, from = 0): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => raw(`entry ${from + i}`));
}

describe("wal: LOGSTATE", () => {
  let core: Core;
  let dir: string;
  before(async () => {
    core = await loadCore();
  });
  beforeEach(() => {
    dir = makeTempDir("logstate");
  });
  afterEach(() => removeTempDir(dir));

  describe("the file", () => {
    it("is two 512-byte sectors, each led by a 64-byte record (magic SPLS, version 1, 2 reserved, generation, lastSegmentId, durableOffset, 24 reserved, XXH64 of bytes 0..56); a new file holds generation 1 in slot 0", () => {
      const bytes = encodeLogState(core, { lastSegmentId: 3n, durableOffset: 4096n });
      expect(bytes.byteLength).to.equal(1024);
      expect(Buffer.from(bytes.subarray(0, 32)).toString("hex")).to.equal("53504c53" + "0100" + "0000" + "0100000000000000" + "0300000000000000" + "0010000000000000");
      expect(bytes.subarray(32, 56).every((b) => b === 0)).to.equal(true);
      expect(bytes.subarray(64).every((b) => b === 0), "the padding and slot 1 are zero").to.equal(true);
      const view = new DataView(bytes.buffer);
      expect(view.getBigUint64(56, true)).to.equal(core.xxh64(bytes.subarray(0, 56)));
      // docs/FORMAT.md's worked example gives this checksum.
      expect(view.getBigUint64(56, true).toString(16)).to.equal(FORMAT_EXAMPLE_CHECKSUM);
      expect(decodeLogState(core, bytes)).to.deep.equal({ generation: 1n, lastSegmentId: 3n, durableOffset: 4096n });
    });

    it("the next generation goes to the other slot; a reader takes the highest valid generation, and passes over a torn slot", () => {
      const bytes = encodeLogState(core, { lastSegmentId: 3n, durableOffset: 4096n });
      bytes.set(encodeLogStateRecord(core, { lastSegmentId: 4n, durableOffset: 70000n }, 2n), 512);
      expect(decodeLogState(core, bytes)).to.deep.equal({ generation: 2n, lastSegmentId: 4n, durableOffset: 70000n });
      bytes.set(encodeLogStateRecord(core, { lastSegmentId: 4n, durableOffset: 90000n }, 3n), 0);
      expect(decodeLogState(core, bytes)).to.deep.equal({ generation: 3n, lastSegmentId: 4n, durableOffset: 90000n });
      bytes[20] = (bytes[20] as number) ^ 1; // generation 3's write torn by a crash
      expect(decodeLogState(core, bytes), "the state before it").to.deep.equal({ generation: 2n, lastSegmentId: 4n, durableOffset: 70000n });
      bytes[530] = (bytes[530] as number) ^ 1;
      expect(decodeLogState(core, bytes), "no slot verifies").to.equal("checksum");
    });

    it("does not decode when short, with non-zero padding, no record, a record in the wrong slot, another magic or version, a bad checksum, reserved bytes set, or lastSegmentId 0", () => {
      const good = encodeLogState(core, { lastSegmentId: 3n, durableOffset: 4096n });
      const resealed = (edit: (b: Uint8Array) => void): Uint8Array => {
        const b = good.slice();
        edit(b);
        new DataView(b.buffer).setBigUint64(56, core.xxh64(b.subarray(0, 56)), true);
        return b;
      };
      expect(decodeLogState(core, good.subarray(0, 1023))).to.equal("short");
      expect(decodeLogState(core, new Uint8Array([...good, 0]))).to.equal("short");
      expect(decodeLogState(core, new Uint8Array(1024))).to.equal("empty");
      const padded = good.slice();
      padded[700] = 1;
      expect(decodeLogState(core, padded)).to.equal("padding");
      const moved = new Uint8Array(1024);
      moved.set(good.subarray(0, 64), 512);
      expect(decodeLogState(core, moved), "generation 1 belongs in slot 0").to.equal("slot");
      expect(decodeLogState(core, resealed((b) => (b[0] = 0)))).to.equal("magic");
      const flipped = good.slice();
      flipped[16] = (flipped[16] as number) ^ 1;
      expect(decodeLogState(core, flipped)).to.equal("checksum");
      expect(decodeLogState(core, resealed((b) => (b[4] = 2)))).to.equal("version");
      expect(decodeLogState(core, resealed((b) => (b[6] = 1)))).to.equal("reserved");
      expect(decodeLogState(core, resealed((b) => (b[40] = 1)))).to.equal("reserved");
      expect(decodeLogState(core, resealed((b) => b.fill(0, 16, 24)))).to.equal("segment");
    });
  });

  describe("recovery", () => {
    it("LOGSTATE.tmp (a crash mid-install) is removed at open, and LOGSTATE stays", () => {
      const built = writeLog(core, dir, [{ payloads: entries(3) }]);
      writeLogState(core, dir, closedState(built));
      fs.writeFileSync(path.join(dir, "LOGSTATE.tmp"), new Uint8Array(20).fill(7));
      recover(core, dir);
      expect(fs.existsSync(path.join(dir, "LOGSTATE.tmp"))).to.equal(false);
      expect(stateOf(decodeLogState(core, fs.readFileSync(path.join(dir, "LOGSTATE"))))).to.deep.equal(closedState(built));
    });

    it("no LOGSTATE and a segment with frames: CorruptLogError naming LOGSTATE; salvage accepts and reports it", () => {
      writeLog(core, dir, [{ payloads: entries(3) }]);
      const before = snapshot(dir);
      expect(recoveryError(core, dir)).to.include({ name: "CorruptLogError", file: path.join(dir, "LOGSTATE"), offset: 0 });
      expect(snapshot(dir)).to.deep.equal(before);
      expect(recoveryError(core, dir, { strict: false }), "the interim switch accepts it").to.equal(null);
      const salvaged = recover(core, dir, { salvage: true });
      expect(salvaged.nextLsn).to.equal(4n);
      expect(salvaged.report.acceptedDamage).to.have.length(1);
      expect(salvaged.report.acceptedDamage[0]).to.include({ file: "LOGSTATE", offset: 0 });
      expect(salvaged.report.acceptedDamage[0]?.reason).to.match(/LOGSTATE is missing/);
      expect(recover(core, dir).report.acceptedDamage, "salvage installed a LOGSTATE").to.deep.equal([]);
    });

    it("no LOGSTATE and two segments without frames: CorruptLogError naming LOGSTATE", () => {
      writeLog(core, dir, [{ payloads: [] }, { payloads: [] }]);
      expect(recoveryError(core, dir)).to.include({ name: "CorruptLogError", file: path.join(dir, "LOGSTATE") });
    });

    it("no LOGSTATE and only a segment holding no frame (a crash while the log was created): accepted, or removed if its header is torn", () => {
      writeLog(core, dir, [{ payloads: [], tail: new Uint8Array(4096) }]);
      const recovered = recover(core, dir);
      expect(recovered.segments.map((s) => s.header.segmentId)).to.deep.equal([1n]);
      expect(recovered.position).to.equal(64n);
      expect(fs.statSync(path.join(dir, segmentNames(dir)[0] ?? "")).size, "the zeros are cut").to.equal(64);
      fs.writeFileSync(path.join(dir, segmentNames(dir)[0] ?? ""), new Uint8Array([0x53, 0x50]));
      const again = recover(core, dir);
      expect(again.report.removedTornSegments).to.deep.equal(["log-0000000000000001.seg"]);
      expect(again.nextSegmentId, "ids are never reused").to.equal(2n);
    });

    it("a LOGSTATE that does not decode is CorruptLogError naming LOGSTATE at offset 0 (no slot verifies, and a torn write only ever damages one); salvage accepts", () => {
      const built = writeLog(core, dir, [{ payloads: entries(3) }]);
      writeLogState(core, dir, closedState(built));
      flipByte(path.join(dir, "LOGSTATE"), 20);
      const error = recoveryError(core, dir);
      expect(error).to.include({ name: "CorruptLogError", file: path.join(dir, "LOGSTATE"), offset: 0 });
      expect(error).to.have.property("reason").that.matches(/does not decode \(checksum\)/);
      expect(recoveryError(core, dir, { strict: false }), "also under the interim switch").to.have.property("name", "CorruptLogError");
      const salvaged = recover(core, dir, { salvage: true });
      expect(salvaged.report.acceptedDamage[0]).to.include({ file: "LOGSTATE", offset: 0 });
      expect(salvaged.nextLsn).to.equal(4n);
    });

    it("the segment LOGSTATE names, missing (the last whole segment removed), is CorruptLogError naming it; salvage accepts and reports it", () => {
      const built = writeLog(core, dir, [{ payloads: entries(3) }, { payloads: entries(3, 3) }]);
      writeLogState(core, dir, crashedState(built));
      fs.rmSync(built[1]?.path ?? "");
      const error = recoveryError(core, dir);
      expect(error).to.include({ name: "CorruptLogError", file: built[1]?.path, offset: 0 });
      expect(error).to.have.property("reason").that.matches(/named by LOGSTATE .* is missing/);
      const salvaged = recover(core, dir, { salvage: true });
      expect(salvaged.report.acceptedDamage.map((f) => f.file)).to.include("log-0000000000000002.seg");
      expect(salvaged.nextLsn).to.equal(4n);
      expect(salvaged.nextSegmentId, "the missing id is not reused by this open").to.equal(3n);
    });

    it("a segment above LOGSTATE's last one (a rotation caught before LOGSTATE named it): accepted if its header is whole and it holds no frame", () => {
      const built = writeLog(core, dir, [{ payloads: entries(3) }, { payloads: [] }]);
      writeLogState(core, dir, crashedState(built.slice(0, 1)));
      const recovered = recover(core, dir);
      expect(recovered.segments.map((s) => s.header.segmentId)).to.deep.equal([1n, 2n]);
      expect(recovered.report.removedTornSegments).to.deep.equal([]);
    });

    it("a segment above LOGSTATE's last one with a torn header is removed as a torn creation", () => {
      const built = writeLog(core, dir, [{ payloads: entries(3) }]);
      writeLogState(core, dir, closedState(built));
      fs.writeFileSync(path.join(dir, "log-0000000000000002.seg"), new Uint8Array([0x53, 0x50, 0x4c, 0x47, 1]));
      expect(recover(core, dir).report.removedTornSegments).to.deep.equal(["log-0000000000000002.seg"]);
    });

    it("a segment above LOGSTATE's last one that holds a frame, or two such segments, is corruption (@L); salvage keeps the header", () => {
      const built = writeLog(core, dir, [{ payloads: entries(3) }, { payloads: entries(1, 3) }]);
      writeLogState(core, dir, closedState(built.slice(0, 1)));
      expect(recoveryError(core, dir)).to.include({ name: "CorruptLogError", file: built[1]?.path, offset: 64 });
      expect(recoveryError(core, dir)).to.have.property("reason").that.matches(/@L/);
      const salvaged = recover(core, dir, { salvage: true });
      expect(salvaged.report.salvaged).to.include({ file: "log-0000000000000002.seg", offset: 64 });
      expect(fs.statSync(built[1]?.path ?? "").size).to.equal(64);

      removeTempDir(dir);
      const two = writeLog(core, dir, [{ payloads: entries(3) }, { payloads: [] }, { payloads: [] }]);
      writeLogState(core, dir, closedState(two.slice(0, 1)));
      expect(recoveryError(core, dir)).to.include({ name: "CorruptLogError", file: two[1]?.path });
    });

    it("a header LOGSTATE names, torn or unverifiable, is corruption even in the last segment (@F, @H)", () => {
      const built = writeLog(core, dir, [{ payloads: entries(3) }, { payloads: [] }]);
      writeLogState(core, dir, crashedState(built));
      fs.writeFileSync(built[1]?.path ?? "", new Uint8Array([0x53, 0x50, 0x4c]));
      expect(recoveryError(core, dir)).to.include({ name: "CorruptLogError", file: built[1]?.path, offset: 0 });
      expect(recoveryError(core, dir)).to.have.property("reason").that.matches(/@F/);
      fs.writeFileSync(built[1]?.path ?? "", new Uint8Array(64).fill(0x5a));
      expect(recoveryError(core, dir)).to.have.property("reason").that.matches(/@H/);
    });

    it("a bad frame below LOGSTATE's durable offset is corruption, even with no sync mark after it (@C)", () => {
      const built = writeLog(core, dir, [{ payloads: entries(10) }]);
      writeLogState(core, dir, closedState(built));
      const target = built[0]?.frameOffsets[9] ?? 0;
      flipByte(built[0]?.path ?? "", target + 10);
      expect(recoveryError(core, dir)).to.include({ name: "CorruptLogError", file: built[0]?.path, offset: target });
      writeLogState(core, dir, crashedState(built));
      expect(recover(core, dir).report.tornTail, "above the floor it is a torn tail").to.include({ offset: target });
    });

    it("a log whose data ends below LOGSTATE's durable offset (a file cut at a frame boundary) is corruption (@J); salvage installs a LOGSTATE for what is left", () => {
      const built = writeLog(core, dir, [{ payloads: entries(10) }]);
      writeLogState(core, dir, closedState(built));
      const cutAt = built[0]?.frameOffsets[6] ?? 0;
      fs.truncateSync(built[0]?.path ?? "", cutAt);
      const error = recoveryError(core, dir);
      expect(error).to.include({ name: "CorruptLogError", file: built[0]?.path, offset: cutAt });
      expect(error).to.have.property("reason").that.matches(/@J/);
      fs.appendFileSync(built[0]?.path ?? "", new Uint8Array(100));
      expect(recoveryError(core, dir), "zeros where the frames were: the same").to.include({ name: "CorruptLogError", offset: cutAt });
      const salvaged = recover(core, dir, { salvage: true });
      expect(salvaged.nextLsn).to.equal(7n);
      expect(stateOf(decodeLogState(core, fs.readFileSync(path.join(dir, "LOGSTATE"))))).to.deep.equal({ lastSegmentId: 1n, durableOffset: BigInt(cutAt) });
      expect(recoveryError(core, dir), "the next open finds nothing").to.equal(null);
    });
  });

  describe("through openLog", () => {
    async function writeClosed(n: number, options: Parameters<typeof openLog>[1] = {}): Promise<void> {
      const log = await openLog(dir, { ioThread: false, durability: "none", ...options });
      await Promise.all(Array.from({ length: n }, (_, i) => log.append(new Uint8Array(24).fill(i & 0xff))));
      await log.close();
    }

    function lastSegment(): string {
      return path.join(dir, segmentNames(dir)[segmentNames(dir).length - 1] ?? "");
    }

    it("the writer installs { segment, baseOffset + 64 } when a segment is created, and { last segment, end } at close", async () => {
      const state = (): unknown => stateOf(decodeLogState(core, fs.readFileSync(path.join(dir, "LOGSTATE"))));
      const log = await openLog(dir, { ioThread: false, segmentSizeMax: 4096 });
      await log.append(new Uint8Array(10));
      expect(state(), "a new log").to.deep.equal({ lastSegmentId: 1n, durableOffset: 64n });
      const inode = fs.statSync(path.join(dir, "LOGSTATE")).ino;
      await Promise.all(Array.from({ length: 300 }, () => log.append(new Uint8Array(24))));
      const header = decodeSegmentHeader(core, fs.readFileSync(lastSegment()));
      if (typeof header === "string") throw new Error(`last segment: header ${header}`);
      expect(header.segmentId > 1n, "the log rotated").to.equal(true);
      const lastId = header.segmentId;
      const lastBase = header.baseOffset;
      expect(state(), "after rotations").to.deep.equal({ lastSegmentId: lastId, durableOffset: lastBase + 64n });
      const end = log.position;
      await log.close();
      expect(state(), "after close").to.deep.equal({ lastSegmentId: lastId, durableOffset: end });
      expect(fs.statSync(path.join(dir, "LOGSTATE")).ino, "later states are written in place, never by a new file").to.equal(inode);
    });

    it("after a clean close, one flipped bit in any frame of the last segment is CorruptLogError naming file and offset, never a torn tail", async () => {
      await writeClosed(200);
      const file = lastSegment();
      const pristine = fs.readFileSync(file);
      const frameSize = 8 + 1 + 24;
      const size = pristine.byteLength;
      // Frames of the last 20 entries, each hit in its length, CRC and payload (sync marks are 17 bytes
      // and "none" places none, so the frames sit at fixed offsets from the end).
      for (let k = 1; k <= 20; k++) {
        const frame = size - k * frameSize;
        for (const within of [0, 5, 8, 20, frameSize - 1]) {
          fs.writeFileSync(file, pristine);
          flipByte(file, frame + within, 1 << (k % 8));
          let error: unknown = null;
          try {
            const log = await openLog(dir, { ioThread: false });
            await log.close();
          } catch (caught) {
            error = caught;
          }
          expect(error, `frame at ${frame}, byte ${within}`).to.include({ name: "CorruptLogError", file, offset: frame });
        }
      }
      fs.writeFileSync(file, pristine);
      const log = await openLog(dir, { ioThread: false });
      expect(log.recovery.tornTail).to.equal(null);
      expect(await entryCount(log)).to.equal(200);
      await log.close();
    });

    it("after a clean close, one flipped bit in any header byte of the first or the last segment is CorruptLogError at offset 0", async () => {
      await writeClosed(300, { segmentSizeMax: 4096 });
      const names = segmentNames(dir);
      for (const name of [names[0] ?? "", names[names.length - 1] ?? ""]) {
        const file = path.join(dir, name);
        const pristine = fs.readFileSync(file);
        for (let at = 0; at < 64; at++) {
          flipByte(file, at, 1 << (at % 8));
          let error: unknown = null;
          try {
            const log = await openLog(dir, { ioThread: false, segmentSizeMax: 4096 });
            await log.close();
          } catch (caught) {
            error = caught;
          }
          expect(error, `${name} byte ${at}`).to.include({ name: "CorruptLogError", file, offset: 0 });
          fs.writeFileSync(file, pristine);
        }
      }
    });

    it("after a clean close, removing the last whole segment is CorruptLogError naming it; salvage opens what is left and reports it", async () => {
      await writeClosed(300, { segmentSizeMax: 4096 });
      const names = segmentNames(dir);
      expect(names.length).to.be.greaterThan(2);
      const file = lastSegment();
      fs.rmSync(file);
      let error: unknown = null;
      try {
        await openLog(dir, { ioThread: false, segmentSizeMax: 4096 });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.include({ name: "CorruptLogError", file, offset: 0 });
      const log = await openLog(dir, { ioThread: false, segmentSizeMax: 4096, salvage: true });
      expect(log.recovery.acceptedDamage.map((f) => f.file)).to.include(path.basename(file));
      expect(await entryCount(log)).to.be.lessThan(300);
      await log.close();
      const again = await openLog(dir, { ioThread: false, segmentSizeMax: 4096 });
      expect(again.recovery.acceptedDamage, "the open installed a LOGSTATE for what is left").to.deep.equal([]);
      await again.close();
    });
  });
});

/** XXH64 of the worked example's first 56 bytes ({ lastSegmentId: 3, durableOffset: 4096 }), as docs/FORMAT.md prints it. */
const FORMAT_EXAMPLE_CHECKSUM = "999b227054b6e543";
