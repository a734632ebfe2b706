// spacelog under Deno with only `--allow-read --allow-write` (README: "Deno permissions"). Deno
// throws from a process.env read without --allow-env and from any /proc read without --allow-all;
// the library below the CLI must do neither. Under Deno the LOCK is the kernel's flock
// (FsFile.tryLockSync), so a Deno holder killed with SIGKILL is taken over without /proc.
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { openLog } from "../../host/wal/index.js";
import { makeTempDir, removeTempDir } from "../wal/temp-dir.js";
import { firstLine } from "../support/child-lines.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, "..", "..", "..");
const deno = path.join(repo, "node_modules", ".bin", "deno");
const holderScript = path.join(here, "..", "wal", "lock-holder.js");
const DENO_ARGS = ["run", "--allow-read", "--allow-write", holderScript];

describe("package: Deno with --allow-read --allow-write only", function () {
  this.timeout(60_000);
  let dir: string;
  before(function () {
    if (!fs.existsSync(deno)) {
      console.log(`      skipped: no Deno at ${deno} (npm install brings it)`);
      this.skip();
    }
  });
  beforeEach(() => {
    dir = makeTempDir("deno");
  });
  afterEach(() => removeTempDir(dir));

  it("aLogOpensAppendsAndClosesWithoutAllowEnv", () => {
    const run = spawnSync(deno, [...DENO_ARGS, dir, "close"], { encoding: "utf8", timeout: 50_000, env: { ...process.env, SPACELOG_VERIFY: "1", NO_COLOR: "1" } });
    expect(run.stdout.trim(), run.stderr).to.equal("OPEN 1");
    expect(fs.readFileSync(path.join(dir, "LOCK"), "latin1").trimEnd()).to.equal("spacelog-lock 1 free");
  });

  it("aDenoHolderKilledBySigkillIsTakenOverThroughTheFlock", async () => {
    const holder = spawn(deno, [...DENO_ARGS, dir, "hold"], { stdio: ["ignore", "pipe", "inherit"] });
    expect(await firstLine(holder)).to.equal("OPEN 1");
    expect(fs.readFileSync(path.join(dir, "LOCK"), "latin1")).to.match(/^spacelog-lock 1 held-flock pid=[0-9]+ +\n$/);
    // While it runs, Node (no flock) reads its record, finds the pid running, and stays out.
    const refused = await openLog(dir, { ioThread: false }).then(() => "OPENED", (error: { code?: string }) => error.code);
    expect(refused).to.equal("SPACELOG_DIRECTORY_LOCKED");
    await new Promise<void>((resolve) => {
      holder.once("exit", () => resolve());
      holder.kill("SIGKILL");
    });
    const next = spawnSync(deno, [...DENO_ARGS, dir, "close"], { encoding: "utf8", timeout: 50_000 });
    expect(next.stdout.trim(), next.stderr).to.equal("OPEN 2");
  });
});

