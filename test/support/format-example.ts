// The worked example of a docs/FORMAT.md section, as bytes: the first code block after the
// section's "### Worked example" heading, read as hex pairs (each line's hex tokens up to its
// first other word). Tests compare an encoder's bytes with it, so the document cannot drift.
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";

export function formatExampleBytes(sectionHeading: string): Uint8Array {
  const doc = fs.readFileSync(fileURLToPath(new URL("../../../docs/FORMAT.md", import.meta.url)), "utf8");
  const at = doc.indexOf(`\n## ${sectionHeading}\n`);
  if (at < 0) throw new Error(`docs/FORMAT.md has no section "## ${sectionHeading}"`);
  const section = doc.slice(at);
  const example = section.indexOf("### Worked example");
  if (example < 0) throw new Error(`docs/FORMAT.md "## ${sectionHeading}" has no "### Worked example"`);
  const start = section.indexOf("```\n", example) + 4;
  const bytes: number[] = [];
  for (const line of section.slice(start, section.indexOf("```", start)).split("\n")) {
    for (const token of line.split(/\s+/)) {
      if (!/^[0-9a-f]{2}$/.test(token)) break;
      bytes.push(parseInt(token, 16));
    }
  }
  return Uint8Array.from(bytes);
}
