// The CRC slicing tables are constant data generated into assembly/crc32-tables.ts (why: "Tables"
// at the top of assembly/crc32.ts). The file must be what the generator writes, and the tables
// the module carries must equal tables computed here from the polynomials.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { POLY_CRC32, POLY_CRC32C, slicingTables } from "./crc-reference-tables.js";
import { coreWasmBytes, dataSegments } from "./wasm-data-segments.js";

describe("core: generated CRC tables", () => {
  it("assembly/crc32-tables.ts is exactly what scripts/generate-crc-tables.mjs writes", () => {
    // dist/test/core -> scripts/; the script exits 1 with a message on any difference.
    const script = fileURLToPath(new URL("../../../scripts/generate-crc-tables.mjs", import.meta.url));
    expect(() => execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" })).to.not.throw();
  });

  it("the module's CRC-32 and CRC-32C tables equal slicing tables computed from the polynomials", () => {
    const active = dataSegments(coreWasmBytes()).filter((s) => s.active);
    for (const [name, poly] of [["CRC-32", POLY_CRC32], ["CRC-32C", POLY_CRC32C]] as const) {
      const expected = slicingTables(poly);
      const found = active.filter((s) => Buffer.compare(s.bytes, expected) === 0);
      expect(found, `${name}: active segments holding exactly its 8 KiB of tables`).to.have.length(1);
      expect((found[0]?.offset ?? 1) % 64, `${name}: tables start on a cache line`).to.equal(0);
    }
  });
});
