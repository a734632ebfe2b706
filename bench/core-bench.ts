// `npm run bench:core`: the core against its peers, in one run; writes the "core" section of
// BENCHMARKS.md. Targets (issue 2): WASM CRC32 >= zlib.crc32 on 1 MiB; >= 10 M framed 128-byte
// records/s; 3D Hilbert keys + sort >= 20 M records/s.
import { loadCore } from "../host/core/index.js";
import { type Measurement, fixed, machineLine, writeSection } from "./bench-harness.js";
import { crcMediumThroughput, crcThroughput, framingThroughput } from "./crc-bench.js";
import { hilbertThroughput } from "./hilbert-bench.js";

function table(title: string, unit: string, scale: number, digits: number, rows: Measurement[], baseline?: string): string {
  const base = rows.find((r) => r.name === baseline)?.median;
  const lines = [`### ${title}`, "", `| implementation | ${unit} (median) | runs (min..max) | ${base ? `vs ${baseline}` : ""} |`, "|---|---:|---:|---:|"];
  for (const r of rows) {
    const ratio = base ? `${fixed(r.median / base, 2)}x` : "";
    lines.push(`| ${r.name} | ${fixed(r.median / scale, digits)} | ${fixed(Math.min(...r.rates) / scale, digits)}..${fixed(Math.max(...r.rates) / scale, digits)} | ${ratio} |`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const core = await loadCore();
  const started = new Date().toISOString().slice(0, 10);
  console.log("CRC on 1 MiB ...");
  const crc = await crcThroughput(core);
  console.log("CRC on 4 KiB ...");
  const crcMedium = await crcMediumThroughput(core);
  console.log("framing ...");
  const framing = await framingThroughput(core);
  console.log("hilbert + sort ...");
  const hilbert = await hilbertThroughput(core);
  const body = [
    "## Core (`npm run bench:core`)",
    "",
    `Measured ${started} on ${machineLine()}. Each figure is the median of 7 runs of about 250 ms, after a warm-up, in one process; ratios are against the named peer in the same run.`,
    "",
    table("CRC on a 1 MiB buffer", "GB/s", 1e9, 2, crc, "zlib.crc32 (Node native)"),
    "",
    table("CRC on one 4 KiB buffer (a log entry)", "GB/s", 1e9, 2, crcMedium, "zlib.crc32 (Node native, crc32)"),
    "",
    table("Framing 128-byte entries, batches of 1024 (length + CRC over length and payload + copy)", "M records/s", 1e6, 2, framing, "zlib.crc32 per record (crc32)"),
    "",
    table("Hilbert keys and keys + sort, 1 M points", "M points/s", 1e6, 2, hilbert.rows, hilbert.baseline),
    "",
    "Notes. Targets (issue 2): WASM CRC32 at least zlib.crc32 on 1 MiB; at least 10 M framed 128-byte records/s;",
    "3D keys + sort at least 20 M points/s. `@node-rs/crc32`'s CRC-32 is native code using the CPU's carry-less",
    "multiply (PCLMULQDQ), which WebAssembly does not have; spacelog's sparse method gets its speed from 128-bit",
    "XORs alone. The flatbush figure includes its `add` calls (it offers no batch entry point); the sort rows sort",
    "24-byte (key, revision, index) tuples, the typed-array row sorts bare keys. On 4 KiB the sparse method does",
    "not apply (it needs about 19 KiB); four interleaved table chains joined by a multiplication by x^(8q) mod P do.",
  ].join("\n");
  writeSection("BENCHMARKS.md", "core", body);
  console.log(body);
}

await main();
