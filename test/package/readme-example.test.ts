// The README's "Testing your own crash safety" example runs exactly as written: this test takes
// the first ```js block after that heading out of README.md and runs it with
// `node --input-type=module` from the repository (so "spacelog/..." resolves to this package, as
// it would from a user's install). If the README drifts from the API, this fails.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The first ```js block after `heading` in README.md. */
function readmeBlock(heading: string): string {
  const readme = fs.readFileSync(path.join(repo, "README.md"), "utf8");
  const at = readme.indexOf(`\n${heading}\n`);
  expect(at, `README.md has the heading "${heading}"`).to.be.greaterThan(0);
  const match = /\n```js\n([\s\S]*?)\n```\n/.exec(readme.slice(at));
  expect(match, `a \`\`\`js block follows "${heading}"`).to.not.equal(null);
  return (match as RegExpExecArray)[1] as string;
}

describe("package: the README's examples", () => {
  it("theCrashSafetyExampleRunsAsWritten", function () {
    this.timeout(60_000);
    const code = readmeBlock("## Testing your own crash safety");
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", code], { cwd: repo, encoding: "utf8", timeout: 50_000 });
    expect(run.status, run.stderr).to.equal(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0], "the acknowledged entry survived the crash").to.equal("1n acknowledged");
    expect(lines[1]).to.match(/^[0-9]+ acknowledged, [0-9]+ recovered, trace [0-9]+$/);
    expect(lines).to.have.length(2);
  });
});
