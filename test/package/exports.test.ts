// The package's public entry points resolve by name, as a user's `import` would resolve them
// (Node resolves a package's own name through its "exports" map). The specifiers are strings
// built at run time so that compiling the tests never depends on an earlier build's dist/.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

async function importByName(specifier: string): Promise<Record<string, unknown>> {
  return (await import(specifier)) as Record<string, unknown>;
}

describe("package: subpath exports", () => {
  it("'spacelog' exports loadCore and the typed errors", async () => {
    const main = await importByName("spacelog");
    expect(main["loadCore"]).to.be.a("function");
    const InvalidArgument = main["InvalidArgumentError"] as new (message: string) => Error & { code: string };
    const CoordinateOutOfRange = main["CoordinateOutOfRangeError"] as new (message: string) => Error;
    expect(new InvalidArgument("x").code).to.equal("SPACELOG_INVALID_ARGUMENT");
    expect(new CoordinateOutOfRange("x")).to.be.instanceOf(RangeError);
  });

  it("'spacelog/core' loads a working core", async () => {
    const loadCore = (await importByName("spacelog/core"))["loadCore"] as () => Promise<{ crc32(b: Uint8Array): number }>;
    const core = await loadCore();
    expect(core.crc32(new TextEncoder().encode("123456789"))).to.equal(0xcbf43926);
  });

  it("'spacelog/wal' and 'spacelog/sim' resolve", async () => {
    expect(Object.keys(await importByName("spacelog/wal"))).to.be.an("array");
    expect(Object.keys(await importByName("spacelog/sim"))).to.be.an("array");
  });

  it("a subpath that is not exported does not resolve", async () => {
    let error: unknown = null;
    try {
      await importByName("spacelog/dist/host/assert.js");
    } catch (caught) {
      error = caught;
    }
    expect(error).to.have.property("code", "ERR_PACKAGE_PATH_NOT_EXPORTED");
  });
});

describe("package: ESM only", () => {
  it("require() of every entry point throws an error saying spacelog is ESM-only and how to import it", () => {
    const require = createRequire(import.meta.url);
    for (const specifier of ["spacelog", "spacelog/core", "spacelog/wal", "spacelog/sim"]) {
      let error: unknown = null;
      try {
        require(specifier);
      } catch (caught) {
        error = caught;
      }
      expect(error, specifier).to.have.property("code", "SPACELOG_ESM_ONLY");
      expect((error as Error).message).to.include("ESM-only").and.include('import { openLog } from "spacelog/wal"');
    }
  });

  it("a CommonJS script gets the same message", () => {
    const child = spawnSync(process.execPath, ["-e", 'require("spacelog/wal")'], { cwd: repo, encoding: "utf8" });
    expect(child.status).to.not.equal(0);
    expect(child.stderr).to.include("spacelog is ESM-only").and.not.include("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });
});
