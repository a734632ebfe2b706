// Runs every core check in whatever runtime started this file (Bun, Deno, or Node), prints one
// line per check and, last, a machine-readable summary line that test/run-all.ts reads.
import { loadCore } from "../../host/core/index.js";
import { allCoreChecks } from "./all-checks.js";

export const SUMMARY_PREFIX = "CORE-CHECKS ";

function runtimeName(): string {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  return "node";
}

async function main(): Promise<number> {
  const runtime = runtimeName();
  const core = await loadCore();
  let passed = 0;
  let failed = 0;
  for (const [area, checks] of allCoreChecks) {
    for (const check of checks) {
      try {
        await check.run(core);
        passed++;
        console.log(`  ok   [${runtime}] ${area}: ${check.name}`);
      } catch (error) {
        failed++;
        console.log(`  FAIL [${runtime}] ${area}: ${check.name}\n${String(error instanceof Error ? error.stack : error)}`);
      }
    }
  }
  console.log(SUMMARY_PREFIX + JSON.stringify({ runtime, passed, failed }));
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
