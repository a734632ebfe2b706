// The log and its crash simulation in whatever runtime runs the checks: real files with the I/O
// thread and in-process, and simulateLog, whose trace hashes must equal Node's for the same seeds
// (run-all passes Node's in SPACELOG_TRACE_HASHES).
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { simulateLog } from "../../host/sim/simulate-log.js";
import { openLog } from "../../host/wal/index.js";
import { type CoreCheck } from "./core-check.js";

export const TRACE_HASH_SEEDS = [1, 2, 3, 4, 5];

export const logRuntimeChecks: CoreCheck[] = [
  {
    name: "the log appends durably, replays and reopens, with the I/O thread and in-process",
    async run(core) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spacelog-runtime-"));
      try {
        for (const ioThread of [true, false]) {
          const log = await openLog(dir, { ioThread, core });
          const appends = Array.from({ length: 50 }, (_, i) => log.append(new Uint8Array([i])));
          // Read before any await: a trailing sync mark may follow the entries once they are durable.
          const end = log.position;
          const lsns = await Promise.all(appends);
          expect(log.syncedPosition >= end, "every acknowledged entry is durable").to.equal(true);
          expect(log.entriesSinceSync).to.equal(0);
          await log.close();
          const again = await openLog(dir, { ioThread, core });
          let count = 0;
          for await (const _ of again.replay()) count++;
          expect(count).to.equal(Number(lsns[lsns.length - 1]));
          await again.close();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: "simulateLog passes and gives Node's trace hash for the same seeds",
    async run(core) {
      const expected = typeof process !== "undefined" ? process.env["SPACELOG_TRACE_HASHES"] : undefined;
      const hashes = [];
      for (const seed of TRACE_HASH_SEEDS) hashes.push(String((await simulateLog({ seed, core })).traceHash));
      if (expected !== undefined) expect(hashes).to.deep.equal(JSON.parse(expected));
    },
  },
];
