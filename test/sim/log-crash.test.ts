// The log's crash simulation over thousands of seeds (host/sim/simulate-log.ts). A failure names
// its seed; SPACELOG_SEED=<seed> npm test replays exactly that run.
import { expect } from "chai";
import { type Core, loadCore } from "../../host/core/index.js";
import { simulateLog } from "../../host/sim/simulate-log.js";
import { CRASH_MODELS } from "../../host/sim/sim-crash.js";
import { propertySeed } from "../core/core-check.js";

const SEEDS = Number(process.env["SPACELOG_SIM_SEEDS"] ?? 2000);

describe("sim: log crash simulation", function () {
  this.timeout(600_000);
  let core: Core;
  before(async () => {
    core = await loadCore();
  });

  it(`every acknowledged entry survives crashes at random I/O steps (${SEEDS} seeds, all crash models)`, async () => {
    const only = propertySeed();
    const seeds = only === undefined ? Array.from({ length: SEEDS }, (_, i) => 1 + i) : [only];
    let acknowledged = 0;
    const models = new Set<string>();
    for (const seed of seeds) {
      const result = await simulateLog({ seed, core });
      acknowledged += result.acknowledged;
      models.add(result.crashModel);
    }
    expect(acknowledged, "the workloads acknowledged entries").to.be.greaterThan(seeds.length);
    if (only === undefined) expect([...models].sort()).to.deep.equal([...CRASH_MODELS].sort());
  });

  it("one seed gives one trace hash", async () => {
    for (const seed of [3, 77, 1234]) {
      const a = await simulateLog({ seed, core });
      const b = await simulateLog({ seed, core });
      expect(a.traceHash, `seed ${seed}`).to.equal(b.traceHash);
      expect(a).to.deep.equal(b);
    }
    expect((await simulateLog({ seed: 5, core })).traceHash).to.not.equal((await simulateLog({ seed: 6, core })).traceHash);
  });

  it("a seed's trace hash does not depend on the process's pid", async () => {
    // The LOCK file used to hold the real pid, so a run whose pid had another number of digits
    // (Node against the Bun and Deno children of the cross-runtime check) traced other lengths.
    const real = await simulateLog({ seed: 1, core });
    const pid = Object.getOwnPropertyDescriptor(process, "pid");
    if (pid === undefined) throw new Error("process.pid has no descriptor");
    try {
      Object.defineProperty(process, "pid", { ...pid, value: 7 });
      expect((await simulateLog({ seed: 1, core })).traceHash).to.equal(real.traceHash);
    } finally {
      Object.defineProperty(process, "pid", pid);
    }
  });
});
