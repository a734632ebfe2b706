// The power-loss stage (npm run test:power-loss; test/stages/power-loss.sh mounts LazyFS and
// runs this). Per variant, rounds on one log under the LazyFS mount:
//   1. a child process (power-loss-child.ts) appends with durability "sync" from 64 writers and
//      reports every acknowledged LSN;
//   2. the parent SIGKILLs it at a random moment (mostly 0-60 ms after its first acknowledgement,
//      sometimes 0-250 ms after its start, so during open and recovery too) and waits for it;
//   3. the power cut: LazyFS drops every write that was not fsynced;
//   4. the parent reopens the log (no salvage) and checks: it opens; replay yields exactly
//      nextLsn - retiredBefore entries, LSNs contiguous from retiredBefore; every entry is one a
//      child wrote, and every acknowledged LSN holds exactly the bytes acknowledged for it; every
//      entry an earlier round recovered is still there, unchanged.
// The negative control appends with durability "none", goes quiet, is killed: after a cut it
// must lose acknowledged entries (or the cut did not bite), and without a cut it must lose none
// (a SIGKILL alone keeps the page cache).
//
// Usage: node dist/test/power-loss/power-loss-main.js <directory under the LazyFS mount>
// Env: LAZYFS_FIFO and LAZYFS_DONE_FIFO (from lazyfs.sh mount); SPACELOG_SEED replays a run;
// SPACELOG_POWER_LOSS_ROUNDS (default 100) and SPACELOG_POWER_LOSS_CONTROL_ROUNDS (default 20);
// SPACELOG_POWER_LOSS_VARIANTS (thread,in-process,rotation,control; default all).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { type Log, openLog } from "../../host/wal/index.js";
import { type StageEntryId, decodeStageEntry, stagePrng } from "../stages/stage-entries.js";
import { LazyFsCut } from "./lazyfs-cut.js";
import { POWER_LOSS_VARIANTS, type PowerLossChildOptions, type PowerLossVariant, powerLossEntrySize } from "./power-loss-variants.js";

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "power-loss-child.js");
/** A child that has not been killed by then is killed anyway, and the round fails. */
const ROUND_TIMEOUT_MS = 30_000;

interface ChildRun {
  /** Acknowledged LSN -> the entry acknowledged for it. */
  readonly acked: Map<bigint, StageEntryId>;
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** When to kill: `afterSpawnMs` after the start, else `afterFirstAckMs` after the first ACK (or at QUIET). */
interface KillPlan {
  readonly afterSpawnMs: number | null;
  readonly afterFirstAckMs: number;
}

/**
 * The id a child writes into its entries' "round" field: two per round, as a round may start a
 * second child after killing the first. Never 0 (truncate markers stand for round 0 below).
 */
function writerIdOf(round: number, second: boolean): number {
  return 2 * round + (second ? 1 : 0);
}

function runChild(dir: string, writerId: number, variant: PowerLossVariant, childOptions: PowerLossChildOptions, plan: KillPlan): Promise<ChildRun> {
  return new Promise((resolve) => {
    const args = [childScript, dir, String(writerId), variant.name, JSON.stringify(childOptions)];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    const acked = new Map<bigint, StageEntryId>();
    let pending = "";
    let stderr = "";
    let timedOut = false;
    let armed = false;
    const kill = (): void => {
      child.kill("SIGKILL");
    };
    const timers = [setTimeout(() => {
      timedOut = true;
      kill();
    }, ROUND_TIMEOUT_MS)];
    if (plan.afterSpawnMs !== null) {
      armed = true;
      timers.push(setTimeout(kill, plan.afterSpawnMs));
    }
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const [tag, lsn, counter] = line.split(" ");
        if (tag === "ACK" && lsn !== undefined && counter !== undefined) acked.set(BigInt(lsn), { round: writerId, counter: Number(counter) });
        if (tag === "QUIET") kill();
        if (tag === "ACK" && !armed && !variant.control) {
          armed = true;
          timers.push(setTimeout(kill, plan.afterFirstAckMs));
        }
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // "close": the process exited and its pipes are drained, so every ACK it wrote is counted.
    child.on("close", (code, signal) => {
      for (const timer of timers) clearTimeout(timer);
      resolve({ acked, signal, code, stderr, timedOut });
    });
  });
}

interface VariantState {
  /** Entries recovered so far, by LSN (from firstLsn on): what later rounds must still find. */
  recovered: Array<StageEntryId | undefined>;
  /** The LSN replay must start at: 1, or the last truncateBefore's LSN. */
  firstLsn: bigint;
  acked: number;
  recoveredThisVariant: number;
  tornTails: number;
  /** Control: rounds with a cut that lost acknowledged entries, and the entries lost. */
  lossRounds: number;
  lost: number;
  /** Control: acknowledged entries lost in rounds without a cut (must stay 0). */
  lostWithoutCut: number;
  retired: number;
  /** LSNs of the truncate markers the parent's truncateBefore appended (the only entries no child wrote). */
  markers: Set<bigint>;
}

interface RoundCheck {
  readonly cut: boolean;
  readonly round: number;
  readonly acked: ReadonlyMap<bigint, StageEntryId>;
}

/** Replays `log` into an array indexed by LSN - firstLsn; reports holes and foreign entries. */
async function replayAll(log: Log, variant: PowerLossVariant, state: VariantState, problems: string[]): Promise<StageEntryId[]> {
  const entries: StageEntryId[] = [];
  let expected = state.firstLsn;
  for await (const record of log.replay()) {
    if (record.lsn !== expected) {
      problems.push(`replay yielded LSN ${record.lsn} where ${expected} was due (a hole, or retirement moved)`);
      break;
    }
    expected += 1n;
    if (record.entry.type === "truncate" && state.markers.has(record.lsn)) {
      entries.push({ round: 0, counter: Number(record.lsn) }); // writer ids start at 2: never a child's
      continue;
    }
    const bytes = record.entry.type === "raw" ? record.entry.bytes : new Uint8Array(0);
    const id = decodeStageEntry(bytes);
    if (id === null || bytes.byteLength !== powerLossEntrySize(variant.name, id.counter)) {
      problems.push(`entry ${record.lsn} (${record.entry.type}, ${bytes.byteLength} B) is not one a child wrote`);
      break;
    }
    entries.push(id);
  }
  const implied = log.nextLsn - state.firstLsn;
  if (problems.length === 0 && BigInt(entries.length) !== implied) {
    problems.push(`replay yielded ${entries.length} entries; recovery implies ${implied} (nextLsn ${log.nextLsn} - retiredBefore ${state.firstLsn})`);
  }
  return entries;
}

/** Acknowledged entries of this round that are missing or hold other bytes. */
function lostAcknowledged(check: RoundCheck, entries: readonly StageEntryId[], firstLsn: bigint, problems: string[] | null): number {
  let lost = 0;
  for (const [lsn, want] of check.acked) {
    const id = entries[Number(lsn - firstLsn)];
    if (id !== undefined && id.round === want.round && id.counter === want.counter) continue;
    lost++;
    if (problems !== null && lost <= 5) {
      const found = id === undefined ? "is missing" : `holds writer ${id.round} counter ${id.counter}`;
      problems.push(`acknowledged LSN ${lsn} (writer ${want.round}, counter ${want.counter}) ${found}`);
    }
  }
  if (problems !== null && lost > 5) problems.push(`... ${lost} acknowledged entries lost in all`);
  return lost;
}

/** Entries an earlier round recovered that are gone or changed now. */
function checkNothingVanished(state: VariantState, entries: readonly StageEntryId[], problems: string[]): void {
  let vanished = 0;
  for (let index = 0; index < state.recovered.length; index++) {
    const before = state.recovered[index];
    const now = entries[index];
    if (before === undefined || (now !== undefined && now.round === before.round && now.counter === before.counter)) continue;
    vanished++;
    if (vanished <= 5) problems.push(`LSN ${state.firstLsn + BigInt(index)} (writer ${before.round}, counter ${before.counter}), recovered by an earlier round, ${now === undefined ? "vanished" : "changed"}`);
  }
  if (vanished > 5) problems.push(`... ${vanished} earlier entries vanished or changed in all`);
}

/** Reopens the log after a round and checks it; may retire its older half. Returns the problems. */
async function checkRound(dir: string, variant: PowerLossVariant, state: VariantState, check: RoundCheck): Promise<string[]> {
  const problems: string[] = [];
  let log: Log;
  try {
    log = await openLog(dir, { durability: "sync", ioThread: false, ...(variant.options.segmentSizeMax === undefined ? {} : { segmentSizeMax: variant.options.segmentSizeMax }) });
  } catch (error) {
    return [`reopen failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`];
  }
  try {
    if (log.recovery.salvaged !== null) problems.push(`recovery salvaged without being asked: ${JSON.stringify(log.recovery.salvaged)}`);
    if (log.recovery.tornTail !== null) state.tornTails++;
    let entries: StageEntryId[];
    try {
      entries = await replayAll(log, variant, state, problems);
    } catch (error) {
      return [`replay failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`];
    }
    state.acked += check.acked.size;
    state.recoveredThisVariant += entries.filter((id) => Math.floor(id.round / 2) === check.round).length;
    if (variant.control) {
      const lost = lostAcknowledged(check, entries, state.firstLsn, null);
      if (check.cut && lost > 0) state.lossRounds++;
      if (check.cut) state.lost += lost;
      else state.lostWithoutCut += lost;
      if (!check.cut && lost > 0) lostAcknowledged(check, entries, state.firstLsn, problems);
    } else {
      lostAcknowledged(check, entries, state.firstLsn, problems);
      checkNothingVanished(state, entries, problems);
    }
    state.recovered = entries;
    if (problems.length === 0 && variant.retireEvery > 0 && check.round % variant.retireEvery === 0 && entries.length > 1) {
      const before = state.firstLsn + BigInt(Math.floor(entries.length / 2));
      state.markers.add(log.nextLsn); // the marker's own LSN
      await log.truncateBefore(before);
      state.retired += Number(before - state.firstLsn);
      state.recovered = entries.slice(Number(before - state.firstLsn));
      state.firstLsn = before;
    }
  } finally {
    await log.close();
  }
  return problems;
}

function killPlanOf(random: () => number, variant: PowerLossVariant): KillPlan {
  if (variant.control) return { afterSpawnMs: null, afterFirstAckMs: 0 };
  if (random() < 0.15) return { afterSpawnMs: Math.floor(random() * 250), afterFirstAckMs: 0 };
  return { afterSpawnMs: null, afterFirstAckMs: Math.floor(random() * 60) };
}

function childOptionsOf(random: () => number, variant: PowerLossVariant): PowerLossChildOptions {
  const sizes = variant.segmentSizesMax;
  if (sizes.length === 0) return {};
  return { segmentSizeMax: sizes[Math.floor(random() * sizes.length)] as number, preallocate: random() < 0.5 };
}

/** Keeps the log as the failing round left it (the state after the cut), for a rerun by hand. */
function keepEvidence(dir: string, seed: number, variant: PowerLossVariant, round: number): string {
  const kept = path.join(os.tmpdir(), `spacelog-power-loss-seed${seed}-${variant.name}-round${round}`);
  fs.rmSync(kept, { recursive: true, force: true });
  fs.cpSync(dir, kept, { recursive: true });
  return kept;
}

/** Share of rounds that kill a first child, start a second on the same log without a cut, then kill it too. */
const CHAINED_ROUND_SHARE = 0.3;

interface RoundChildren {
  readonly acked: Map<bigint, StageEntryId>;
  readonly problems: string[];
  readonly chained: boolean;
}

/**
 * Runs a round's children: one, or (CHAINED_ROUND_SHARE of the time) two, the second started
 * after the first was killed and before any cut: a process crash and a restart. The second's
 * recovery then reads what the first left unsynced in the page cache, and appends on top of it.
 */
async function runRoundChildren(dir: string, round: number, variant: PowerLossVariant, random: () => number): Promise<RoundChildren> {
  const chained = !variant.control && random() < CHAINED_ROUND_SHARE;
  const acked = new Map<bigint, StageEntryId>();
  const problems: string[] = [];
  for (const second of chained ? [false, true] : [true]) {
    const run = await runChild(dir, writerIdOf(round, second), variant, childOptionsOf(random, variant), killPlanOf(random, variant));
    for (const [lsn, id] of run.acked) acked.set(lsn, id);
    if (run.timedOut) problems.push(`the child was not killed within ${ROUND_TIMEOUT_MS} ms`);
    if (run.signal !== "SIGKILL") problems.push(`the child ended by itself (code ${run.code}, signal ${run.signal}): ${run.stderr.trim()}`);
  }
  return { acked, problems, chained };
}

async function runVariant(root: string, cut: LazyFsCut, variant: PowerLossVariant, rounds: number, seed: number): Promise<boolean> {
  const dir = path.join(root, variant.name);
  fs.rmSync(dir, { recursive: true, force: true });
  const random = stagePrng(seed ^ Math.imul(variant.name.length, 0x9e3779b1));
  const state: VariantState = {
    recovered: [], firstLsn: 1n, acked: 0, recoveredThisVariant: 0, tornTails: 0,
    lossRounds: 0, lost: 0, lostWithoutCut: 0, retired: 0, markers: new Set(),
  };
  const started = Date.now();
  let cuts = 0;
  let chainedRounds = 0;
  for (let round = 1; round <= rounds; round++) {
    const { acked, problems, chained } = await runRoundChildren(dir, round, variant, random);
    if (chained) chainedRounds++;
    // The control cuts on odd rounds only: its even rounds show that the kill alone loses nothing.
    const withCut = !variant.control || round % 2 === 1;
    if (withCut) {
      cut.cut();
      cuts++;
    }
    if (problems.length === 0) problems.push(...(await checkRound(dir, variant, state, { cut: withCut, round, acked })));
    if (problems.length > 0) {
      console.log(`power-loss: FAIL ${variant.title}, seed ${seed}, round ${round} (${acked.size} acknowledged${chained ? ", two children" : ""}):`);
      for (const problem of problems) console.log(`power-loss:   ${problem}`);
      console.log(`power-loss:   the log after the cut is kept in ${keepEvidence(dir, seed, variant, round)}`);
      return false;
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const figures = `${rounds} rounds (${chainedRounds} with a kill and restart before the cut), ${state.acked} entries acknowledged, ` +
    `${state.recoveredThisVariant} recovered, ${state.tornTails} torn tails seen, ${state.retired} retired, ${seconds} s`;
  if (!variant.control) {
    console.log(`power-loss: ${variant.title}: ${figures}, 0 acknowledged entries lost`);
    return true;
  }
  console.log(`power-loss: ${variant.title}: ${figures}; control losses: ${state.lost} acknowledged entries lost in ${state.lossRounds} of ${cuts} rounds with a cut, ${state.lostWithoutCut} in ${rounds - cuts} rounds without`);
  if (state.lossRounds === 0) console.log("power-loss: FAIL the control lost nothing at any cut: the cut did not bite, so the other variants prove nothing");
  if (state.lostWithoutCut > 0) console.log("power-loss: FAIL the control lost acknowledged entries without a cut: losses are not the cut's");
  return state.lossRounds > 0 && state.lostWithoutCut === 0;
}

/** SPACELOG_POWER_LOSS_VARIANTS=rotation,control runs only those; the control runs first, as it must bite. */
function variantsFromEnv(): PowerLossVariant[] {
  const all = [POWER_LOSS_VARIANTS.control, POWER_LOSS_VARIANTS.thread, POWER_LOSS_VARIANTS["in-process"], POWER_LOSS_VARIANTS.rotation];
  const asked = process.env["SPACELOG_POWER_LOSS_VARIANTS"];
  if (asked === undefined || asked === "") return all;
  const names = asked.split(",");
  for (const name of names) if (!all.some((v) => v.name === name)) throw new Error(`unknown power-loss variant ${name}`);
  return all.filter((v) => names.includes(v.name));
}

function roundsFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer; got ${process.env[name]}`);
  return value;
}

async function main(): Promise<void> {
  const root = process.argv[2];
  const fifo = process.env["LAZYFS_FIFO"];
  const doneFifo = process.env["LAZYFS_DONE_FIFO"];
  if (root === undefined || fifo === undefined || doneFifo === undefined) {
    throw new Error("usage: LAZYFS_FIFO=... LAZYFS_DONE_FIFO=... power-loss-main.js <directory under the LazyFS mount>");
  }
  const seed = Number(process.env["SPACELOG_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
  const rounds = roundsFromEnv("SPACELOG_POWER_LOSS_ROUNDS", 100);
  const controlRounds = roundsFromEnv("SPACELOG_POWER_LOSS_CONTROL_ROUNDS", 20);
  const variants = variantsFromEnv();
  console.log(`power-loss: seed ${seed} (SPACELOG_SEED=${seed} replays the schedule), ${rounds} rounds per variant, ${controlRounds} control rounds`);
  const cut = new LazyFsCut(fifo, doneFifo);
  let ok = true;
  try {
    for (const variant of variants) {
      ok = (await runVariant(root, cut, variant, variant.control ? controlRounds : rounds, seed)) && ok;
    }
  } finally {
    cut.close();
  }
  console.log(`power-loss: ${ok ? "passed" : "FAILED"}`);
  process.exitCode = ok ? 0 : 1;
}

await main();
