// A real process appends with "sync" and reports each acknowledged entry; we SIGKILL it at random
// moments, dozens of times, reopen, and check: every acknowledged entry is there, every entry is
// one the child wrote, and per run the entries are a prefix of what it tried (no holes).
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as zlib from "node:zlib";
import { openLog } from "../../host/wal/index.js";
import { propertySeed } from "../core/core-check.js";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "kill-child.js");
const KILLS = 24;

function randomFrom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Runs the child until `killAfterMs` after its first ACK, SIGKILLs it, returns the acknowledged counters. */
function runAndKill(dir: string, run: number, killAfterMs: number): Promise<Set<number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, dir, String(run), "8"], { stdio: ["ignore", "pipe", "pipe"] });
    const acked = new Set<number>();
    let pending = "";
    let errors = "";
    let timer: NodeJS.Timeout | null = null;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const [tag, runText, counter] = line.split(" ");
        if (tag === "ACK" && Number(runText) === run) acked.add(Number(counter));
      }
      timer ??= setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on("exit", (_code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`child ended without being killed: ${errors}`));
      else resolve(acked);
    });
  });
}

describe("wal: SIGKILL of a writing process", function () {
  this.timeout(300_000);

  it(`every acknowledged entry survives ${KILLS} kills at random moments`, async () => {
    const seed = propertySeed() ?? Math.floor(Math.random() * 2 ** 31);
    const random = randomFrom(seed);
    const dir = makeTempDir("sigkill");
    const ackedByRun = new Map<number, Set<number>>();
    try {
      for (let run = 1; run <= KILLS; run++) {
        ackedByRun.set(run, await runAndKill(dir, run, Math.floor(random() * 150)));
        const log = await openLog(dir, { ioThread: false, segmentSizeMax: 64 * 1024 });
        const seen = new Map<number, number[]>();
        let lsn = 0n;
        for await (const record of log.replay()) {
          expect(record.lsn, `seed ${seed}: LSNs are gap-free`).to.equal(lsn + 1n);
          lsn = record.lsn;
          expect(record.entry.type).to.equal("raw");
          const bytes = record.entry.type === "raw" ? record.entry.bytes : new Uint8Array(0);
          const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          expect(view.getUint32(8, true), `seed ${seed}: entry ${lsn} is one the child wrote`).to.equal(zlib.crc32(bytes.subarray(0, 8)));
          const counters = seen.get(view.getUint32(0, true)) ?? [];
          counters.push(view.getUint32(4, true));
          seen.set(view.getUint32(0, true), counters);
        }
        await log.close();
        for (const [pastRun, acked] of ackedByRun) {
          const counters = seen.get(pastRun) ?? [];
          expect(counters, `seed ${seed}: run ${pastRun} is a prefix`).to.deep.equal(counters.map((_, i) => i));
          for (const counter of acked) expect(counter, `seed ${seed}: run ${pastRun} ack ${counter} survived`).to.be.below(counters.length);
        }
      }
      const total = [...ackedByRun.values()].reduce((sum, acked) => sum + acked.size, 0);
      expect(total, "the children acknowledged something").to.be.greaterThan(KILLS);
    } finally {
      removeTempDir(dir);
    }
  });
});
