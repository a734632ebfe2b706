// One seed, one trace hash: twice in one process, and the same under Bun and Deno as under Node.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { testSeeds } from "./sim-fixtures.js";
import { traceHashes, traceWorkload } from "./trace-workload.js";

const here = dirname(fileURLToPath(import.meta.url)); // dist/test/sim
const projectDir = join(here, "..", "..", "..");
const TRACE_LINE_PREFIX = "SIM-TRACE ";

function hashesUnder(runtime: "bun" | "deno"): string[] {
  const bin = join(projectDir, "node_modules", ".bin", runtime);
  const script = join(here, "trace-hash-main.js");
  const args = runtime === "deno" ? ["run", "--allow-env", "--allow-read", script] : [script];
  const run = spawnSync(bin, args, { cwd: projectDir, encoding: "utf8", timeout: 60_000 });
  const line = run.stdout.split("\n").find((l) => l.startsWith(TRACE_LINE_PREFIX));
  expect(line, `${runtime} printed no trace line (status ${run.status}): ${run.stderr}`).to.be.a("string");
  return JSON.parse(line!.slice(TRACE_LINE_PREFIX.length)) as string[];
}

describe("sim: trace hash", () => {
  it("theSameSeedGivesTheSameTraceHashTwice", () => {
    for (const seed of testSeeds(5)) {
      expect(traceWorkload(seed), `seed ${seed} (replay: SPACELOG_SEED=${seed})`).to.equal(traceWorkload(seed));
    }
  });

  it("differentSeedsGiveDifferentTraceHashes", () => {
    const seeds = Array.from({ length: 24 }, (_, i) => i * 7919 + 1);
    const hashes = new Set(seeds.map((seed) => traceWorkload(seed, 2, 40)));
    expect(hashes.size, `seeds ${seeds.join(",")}`).to.equal(seeds.length);
  });

  for (const runtime of ["bun", "deno"] as const) {
    it(`theTraceHashesUnder_${runtime}_matchNode`, function () {
      this.timeout(60_000);
      expect(hashesUnder(runtime)).to.deep.equal(traceHashes());
    });
  }
});
