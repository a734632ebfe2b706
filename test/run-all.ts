// The whole test suite: mocha under Node, then the core checks under Bun and Deno (both from
// node_modules/.bin, installed from the npm registry). Fails if any runtime fails; the last line
// is "N passed, N failed".
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Mocha from "mocha";
import { loadCore } from "../host/core/index.js";
import { simulateLog } from "../host/sim/simulate-log.js";
import { TRACE_HASH_SEEDS } from "./core/log-runtime-checks.js";

const testDir = dirname(fileURLToPath(import.meta.url)); // dist/test
const projectDir = join(testDir, "..", "..");
const SUMMARY_PREFIX = "CORE-CHECKS ";

interface Tally {
  passed: number;
  failed: number;
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith(".test.js")) out.push(path);
  }
  return out.sort();
}

async function runMocha(): Promise<Tally> {
  const grep = process.env["SPACELOG_GREP"];
  const mocha = new Mocha({ reporter: "spec", timeout: 120_000, ...(grep ? { grep } : {}) });
  for (const file of testFiles(testDir)) mocha.addFile(file);
  await mocha.loadFilesAsync();
  return new Promise((resolve) => {
    const runner = mocha.run(() => {
      resolve({ passed: runner.stats?.passes ?? 0, failed: runner.stats?.failures ?? 0 });
    });
  });
}

/** Node's trace hashes for the seeds the other runtimes must reproduce. */
async function nodeTraceHashes(): Promise<string> {
  const core = await loadCore();
  const hashes: string[] = [];
  for (const seed of TRACE_HASH_SEEDS) hashes.push(String((await simulateLog({ seed, core })).traceHash));
  return JSON.stringify(hashes);
}

/** A runtime's checks take seconds; one that has not exited by then hangs, and that is a failure. */
const RUNTIME_CHECKS_TIMEOUT_MS = 300_000;

function runOtherRuntime(runtime: "bun" | "deno", traceHashes: string): Promise<Tally> {
  const bin = join(projectDir, "node_modules", ".bin", runtime);
  const script = join(testDir, "cross-runtime", "core-checks.js");
  const args = runtime === "deno" ? ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", script] : [script];
  console.log(`\n  core checks under ${runtime}`);
  return new Promise((resolve) => {
    const env = { ...process.env, SPACELOG_TRACE_HASHES: traceHashes };
    const child = spawn(bin, args, { cwd: projectDir, env, stdio: ["ignore", "pipe", "inherit"] });
    let summary: Tally | null = null;
    let pending = "";
    let lastLine = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      const where = summary === null ? `its last line: ${JSON.stringify(lastLine)}` : "after it printed its summary: it did not exit";
      console.log(`  FAIL ${runtime} did not finish within ${RUNTIME_CHECKS_TIMEOUT_MS / 1000} s (${where}); killed`);
      child.kill("SIGKILL");
    }, RUNTIME_CHECKS_TIMEOUT_MS);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line.startsWith(SUMMARY_PREFIX)) summary = JSON.parse(line.slice(SUMMARY_PREFIX.length)) as Tally;
        else console.log(line);
        lastLine = line;
      }
    });
    child.on("error", (error) => {
      console.log(`  FAIL could not start ${runtime}: ${error.message}`);
      resolve({ passed: 0, failed: 1 });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const tally: Tally = summary ?? { passed: 0, failed: 0 };
      if (timedOut) tally.failed += 1;
      // A runtime that crashed or exited non-zero without reporting its own failures counts as one.
      if (code !== 0 && tally.failed === 0) tally.failed = 1;
      resolve(tally);
    });
  });
}

const traceHashes = await nodeTraceHashes();
const results = [await runMocha(), await runOtherRuntime("bun", traceHashes), await runOtherRuntime("deno", traceHashes)];
const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
