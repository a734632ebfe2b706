// The log on real files, as a user drives it: appends of every entry type, replay, reopen,
// rotation, retirement, durability modes, backpressure; in a worker thread and in-process.
import { expect } from "chai";
import * as fs from "node:fs";
import { type Log, type LogRecord, openLog } from "../../host/wal/index.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

async function collect(log: Log, fromLsn?: bigint): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const record of log.replay(fromLsn === undefined ? {} : { fromLsn })) out.push(record);
  return out;
}

for (const ioThread of [true, false]) {
  describe(`wal: log basics (${ioThread ? "I/O thread" : "in-process"})`, () => {
    let dir: string;
    beforeEach(() => {
      dir = makeTempDir("log");
    });
    afterEach(() => removeTempDir(dir));

    it("appends every entry type, replays them in LSN order, and reopens where it left off", async () => {
      const log = await openLog(dir, { ioThread });
      expect(await log.append(bytes("raw"))).to.equal(1n);
      expect(await log.appendPut(bytes("k"), bytes("v"))).to.equal(2n);
      expect(await log.appendDelete(bytes("k"))).to.equal(3n);
      expect(await log.appendCheckpoint(7n)).to.equal(4n);
      expect(await log.appendEpochBarrier()).to.equal(5n);
      expect(await log.appendCommit(new Map([["topic-a", 10n], ["b", 2n]]), -5n)).to.equal(6n);
      const last = log.appendCommit({ x: 1n });
      // Read before the await: once everything is durable the log may add a trailing sync mark.
      const end = log.position;
      expect(await last).to.equal(7n);
      expect(log.epoch).to.equal(1n);
      expect(log.syncedPosition >= end, "every acknowledged entry is durable").to.equal(true);
      expect(log.entriesSinceSync).to.equal(0);
      const records = await collect(log);
      expect(records.map((r) => r.lsn)).to.deep.equal([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
      expect(records.map((r) => r.entry.type)).to.deep.equal(["raw", "put", "delete", "checkpoint", "epoch-barrier", "commit", "commit"]);
      const commit = records[5]?.entry;
      expect(commit?.type === "commit" && [...commit.offsets.entries()]).to.deep.equal([["b", 2n], ["topic-a", 10n]]);
      expect(commit?.type === "commit" && commit.watermark).to.equal(-5n);
      const position = log.position;
      await log.close();

      const again = await openLog(dir, { ioThread });
      expect(again.position).to.equal(position);
      expect(again.epoch).to.equal(1n);
      expect(await again.append(bytes("after"))).to.equal(8n);
      const all = await collect(again);
      expect(all.length).to.equal(8);
      expect(all[7]?.entry).to.deep.include({ type: "raw" });
      expect((await collect(again, 7n)).map((r) => r.lsn)).to.deep.equal([7n, 8n]);
      await again.close();
    });

    it("concurrent appends get distinct, gap-free LSNs in call order", async () => {
      const log = await openLog(dir, { ioThread });
      const lsns = await Promise.all(Array.from({ length: 2000 }, (_, i) => log.append(bytes(`entry ${i}`))));
      expect(lsns).to.deep.equal(Array.from({ length: 2000 }, (_, i) => BigInt(i + 1)));
      const records = await collect(log);
      records.forEach((record, i) => expect(record.entry).to.deep.equal({ type: "raw", bytes: bytes(`entry ${i}`) }));
      await log.close();
    });

    it("rotates segments at segmentSizeMax, replays across them, and truncateBefore retires whole ones", async () => {
      const log = await openLog(dir, { ioThread, segmentSizeMax: 4096 });
      const value = new Uint8Array(200).fill(7);
      for (let i = 0; i < 100; i++) await log.append(value);
      const segmentFiles = () => fs.readdirSync(dir).filter((n) => n.endsWith(".seg"));
      expect(segmentFiles().length).to.be.greaterThan(4);
      expect((await collect(log)).length).to.equal(100);
      const removed = await log.truncateBefore(60n);
      expect(removed.length).to.be.greaterThan(1);
      for (const name of removed) expect(segmentFiles()).to.not.include(name);
      const left = await collect(log);
      expect(left[0]?.lsn).to.equal(60n);
      await log.close();
      const again = await openLog(dir, { ioThread, segmentSizeMax: 4096 });
      expect((await collect(again))[0]?.lsn).to.equal(60n);
      expect(await again.append(value)).to.equal(102n); // 100 values + the truncate marker
      await again.close();
    });

    it("a small ring applies backpressure: every append lands, in order, none lost", async () => {
      const log = await openLog(dir, { ioThread, ringSizeBytes: 64 * 1024, entrySizeMax: 16 * 1024 });
      const values = Array.from({ length: 300 }, (_, i) => new Uint8Array(1000 + (i % 7) * 1000).fill(i & 0xff));
      const lsns = await Promise.all(values.map((v) => log.append(v)));
      expect(lsns[299]).to.equal(300n);
      const records = await collect(log);
      records.forEach((record, i) => {
        expect(record.entry.type === "raw" && record.entry.bytes.byteLength).to.equal(values[i]?.byteLength);
        expect(record.entry.type === "raw" && record.entry.bytes[0]).to.equal(i & 0xff);
      });
      await log.close();
    });

    it("{ intervalMs } acknowledges once written and syncs on its own timer, with no further append", async () => {
      const log = await openLog(dir, { ioThread, durability: { intervalMs: 20 } });
      await log.append(bytes("a"));
      const end = log.position;
      const deadline = Date.now() + 2000;
      while (log.syncedPosition < end && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(log.syncedPosition).to.equal(end);
      await log.close();
    });

    it('"none" resolves at once; sync() makes everything durable', async () => {
      const log = await openLog(dir, { ioThread, durability: "none" });
      const lsns = await Promise.all([log.append(bytes("a")), log.append(bytes("b"))]);
      expect(lsns).to.deep.equal([1n, 2n]);
      await log.sync();
      expect(log.syncedPosition).to.equal(log.position);
      expect(log.entriesSinceSync).to.equal(0);
      await log.close();
      const again = await openLog(dir, { ioThread });
      expect((await collect(again)).length).to.equal(2);
      await again.close();
    });
  });
}
