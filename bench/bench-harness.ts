// Measuring, not testing: medians of several timed runs, the machine they ran on, and a section of
// BENCHMARKS.md rewritten in place. Figures are throughputs; the machines are shared and noisy,
// so the report quotes medians and ratios against peers measured in the same run.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import * as os from "node:os";

export interface Measurement {
  readonly name: string;
  /** Units per second (bytes, records, keys), one per run. */
  readonly rates: number[];
  readonly median: number;
}

/** Runs `fn` (which processes `unitsPerCall` units) for about `runMs` per run, `runs` times. */
export function measure(name: string, unitsPerCall: number, fn: () => void, runs = 7, runMs = 250): Measurement {
  const warmUntil = performance.now() + 100;
  while (performance.now() < warmUntil) fn();
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < runMs) {
      fn();
      calls++;
      now = performance.now();
    }
    rates.push((calls * unitsPerCall) / ((now - start) / 1000));
  }
  return { name, rates, median: median(rates) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return `${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** Replaces the section between `<!-- name:start -->` and `<!-- name:end -->` (appends it if absent). */
export function writeSection(file: string, name: string, body: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const old = existsSync(file) ? readFileSync(file, "utf8") : "# spacelog benchmarks\n\nFigures written by the benchmarks in bench/; each section names its command.\n";
  const from = old.indexOf(start);
  const to = old.indexOf(end);
  const next = from >= 0 && to > from ? old.slice(0, from) + block + old.slice(to + end.length) : `${old.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}

export function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}
