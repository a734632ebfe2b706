// The LOCK survives pid reuse (issue 9, part 4). In a container a restarted service usually gets
// the same pid, often 1. Here: the log's owner runs as pid 1 in a fresh pid namespace
// (unshare --pid --fork --mount-proc) and is SIGKILLed; a new process, pid 1 again in a new
// namespace, must open the log. With a pid-only LOCK every later open failed for good with
// DirectoryLockedError (LOCK: 1): "pid 1 runs" was true of the new process itself.
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir, removeTempDir } from "./temp-dir.js";

const holderScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "lock-holder.js");
// --kill-child: when unshare itself is SIGKILLed, the kernel SIGKILLs its child (pid 1) too.
const UNSHARE = ["--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL"];

/** Why unshare cannot run here (not root, no user namespaces, seccomp), or null if it can. */
function unshareRefusal(): string | null {
  const probe = spawnSync("unshare", [...UNSHARE, "true"], { encoding: "utf8" });
  if (probe.error !== undefined) return `unshare is not available: ${probe.error.message}`;
  if (probe.status !== 0) return `unshare --pid is not permitted here: ${probe.stderr.trim()}`;
  return null;
}

function lines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line.length > 0);
}

describe("wal: the LOCK survives pid reuse", () => {
  let dir: string;
  beforeEach(function () {
    const refusal = unshareRefusal();
    if (refusal !== null) {
      console.log(`      skipped: ${refusal}`);
      this.skip();
    }
    dir = makeTempDir("pid-reuse");
  });
  afterEach(() => {
    if (dir !== undefined) removeTempDir(dir);
  });

  it("aLogOwnedByAKilledPid1OpensInANewProcessThatIsPid1Again", async () => {
    const first = spawn("unshare", [...UNSHARE, process.execPath, holderScript, dir, "hold"], { stdio: ["ignore", "pipe", "inherit"] });
    const opened = await new Promise<string>((resolve, reject) => {
      first.stdout.setEncoding("utf8");
      first.stdout.once("data", (chunk: string) => resolve(chunk.trim()));
      first.once("exit", (code) => reject(new Error(`the first owner exited (${code}) before opening`)));
    });
    expect(opened).to.equal("OPEN 1");
    expect(fs.readFileSync(path.join(dir, "LOCK"), "latin1")).to.match(/^spacelog-lock 1 held pid=1 start=[0-9]+ boot=/);
    await new Promise<void>((resolve) => {
      first.once("exit", () => resolve());
      first.kill("SIGKILL");
    });
    // The kernel delivers the child's SIGKILL as unshare dies; wait until no process names the directory.
    for (let tries = 0; tries < 100 && spawnSync("pgrep", ["-f", dir]).status === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const second = spawnSync("unshare", [...UNSHARE, process.execPath, holderScript, dir, "close"], { encoding: "utf8", timeout: 30_000 });
    expect(lines(second.stdout), second.stderr).to.deep.equal(["OPEN 2"]);
    expect(fs.readFileSync(path.join(dir, "LOCK"), "latin1").trimEnd()).to.equal("spacelog-lock 1 free");
  });
});
