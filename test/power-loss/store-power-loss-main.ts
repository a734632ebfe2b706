// The power-loss stage's store variants (npm run test:power-loss; test/stages/power-loss.sh runs
// this after the log's variants, on the same LazyFS mount). Per variant, rounds on one store
// under the mount:
//   1. a child process (store-power-loss-child.ts, the workload of test/store/store-kill-workload.ts)
//      opens the store with durability "sync" and small sealRecords (so seals are in flight at
//      any moment: blocks written, manifests installed, hot generations started, staged records
//      promoted) and writes from 16 writers: put, delete, write() batches, putMany, a space
//      created mid-run by some children; it announces every call before making it and reports
//      every acknowledgement;
//   2. the parent SIGKILLs it at a random moment: mostly 0-150 ms after its first acknowledgement,
//      sometimes 0-400 ms after its spawn, or 0-80 ms (in-process) or 0-200 ms (I/O thread) after
//      it called open(), so during recovery, the new staging generation and promotions too; in
//      some rounds it starts a second child on the same store (a crash and a restart, half of the
//      time after a cut: a power loss and a reboot) and kills that one too;
//   3. the power cut (most rounds): LazyFS drops every write that was not fsynced;
//   4. the parent reopens the store and checks it (test/store/store-kill-history.ts): it opens;
//      every acknowledged write is there at its revision with its bytes; the newest revision ends
//      a call (batches whole); every revision up to it holds exactly what a child announced for it
//      (history a prefix, none missing); the whole contents at several revisions are the model's
//      (no delete resurrected); a second reopen cuts nothing and answers the same.
// The interval variant writes as the others with durability { intervalMs: 25 }: a cut may lose
// the acknowledged writes of the last interval (counted), but everything else is checked as
// above, so what is left must still be a prefix of history with batches whole, seals in flight.
// The negative control writes 300 calls with durability "none" (no seals: a seal syncs), goes
// quiet, is killed: after a cut it must lose acknowledged writes (or the cut did not bite), and
// without a cut (even rounds) it must lose none. Its other checks are the same as everyone's.
// The variants that may lose writes have no restarts within a round.
//
// Usage: node dist/test/power-loss/store-power-loss-main.js <directory under the LazyFS mount>
// Env: LAZYFS_FIFO and LAZYFS_DONE_FIFO (from lazyfs.sh mount); SPACELOG_SEED replays a run's
// schedule; SPACELOG_STORE_POWER_LOSS_ROUNDS (default 24), SPACELOG_STORE_POWER_LOSS_CONTROL_ROUNDS
// (default 12); SPACELOG_STORE_POWER_LOSS_VARIANTS
// (store-control,store-thread,store-in-process,store-interval; default all).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { stagePrng } from "../stages/stage-entries.js";
import { StoreKillHistory, checkReopened, killSpacesLine } from "../store/store-kill-history.js";
import { type KillPlan, describePlan, runKilledChild } from "../store/store-kill-run.js";
import { type StoreKillChildOptions } from "../store/store-kill-workload.js";
import { LazyFsCut } from "./lazyfs-cut.js";

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "store-power-loss-child.js");
/** A child that has not been killed by then is killed anyway, and the round fails. */
const ROUND_TIMEOUT_MS = 30_000;
/** Share of rounds that kill a first child, start a second on the same store without a cut, then kill it too. */
const CHAINED_ROUND_SHARE = 0.3;
/** Share of (non-control) rounds that end with a cut; the rest are a kill alone. */
const CUT_SHARE = 0.9;
/** Kills aimed at open() land up to this long after it is called: about its time on LazyFS (the thread's start is most of it). */
function openKillWindowMs(ioThread: boolean): number {
  return ioThread ? 200 : 80;
}
/** Share of the chained rounds with a cut between the two children (the second recovers after a power loss). */
const CUT_BETWEEN_SHARE = 0.5;

interface StoreVariant {
  readonly name: "store-thread" | "store-in-process" | "store-interval" | "store-control";
  readonly title: string;
  /** The negative control: it must lose acknowledged writes at a cut. */
  readonly control: boolean;
  /** A cut may lose acknowledged writes (durability "none" or an interval); every other check holds. */
  readonly lossesAllowed: boolean;
  readonly childOptions: (random: () => number, writerId: number) => StoreKillChildOptions;
}

function sealingChild(ioThread: boolean, durability: StoreKillChildOptions["durability"] = "sync") {
  return (random: () => number, writerId: number): StoreKillChildOptions => ({
    writerId, durability, ioThread,
    ...(ioThread ? {} : { io: random() < 0.5 ? "sync" as const : "threadpool" as const }),
    sealRecords: [8, 24, 64, 200][Math.floor(random() * 4)] as number,
    ...(random() < 0.3 ? { sealBytes: 16 * 1024 } : {}),
    writers: 16,
    createCAfter: random() < 0.3 ? 5 + Math.floor(random() * 200) : null,
    sealShare: 0.01,
    quietAfter: null,
  });
}

const VARIANTS: readonly StoreVariant[] = [
  {
    name: "store-control", title: "store: negative control (durability \"none\", no seals)", control: true, lossesAllowed: true,
    childOptions: (_random, writerId) => ({ writerId, durability: "none", ioThread: true, writers: 1, createCAfter: null, sealShare: 0, quietAfter: 300, quietMs: 200 }),
  },
  { name: "store-thread", title: "store: I/O thread, sync, sealRecords 8/24/64/200", control: false, lossesAllowed: false, childOptions: sealingChild(true) },
  { name: "store-in-process", title: "store: in-process (ioThread: false), sync, sealRecords 8/24/64/200", control: false, lossesAllowed: false, childOptions: sealingChild(false) },
  {
    name: "store-interval", title: "store: I/O thread, interval 25 ms, sealRecords 8/24/64/200 (losses allowed)", control: false, lossesAllowed: true,
    childOptions: sealingChild(true, { intervalMs: 25 }),
  },
];

function killPlanOf(random: () => number, variant: StoreVariant, ioThread: boolean): KillPlan {
  if (variant.control) return { afterSpawnMs: null, afterFirstAckMs: 0 };
  const pick = random();
  if (pick < 0.1) return { afterSpawnMs: Math.floor(random() * 400), afterFirstAckMs: 0 };
  if (pick < 0.25) return { afterSpawnMs: null, afterStartMs: Math.floor(random() * openKillWindowMs(ioThread)), afterFirstAckMs: 0 };
  return { afterSpawnMs: null, afterFirstAckMs: Math.floor(random() * 150) };
}

interface VariantFigures {
  readonly title: string;
  rounds: number;
  chained: number;
  cuts: number;
  /** Cuts between a round's two children (not counted in cuts). */
  cutsBetween: number;
  acked: number;
  recovered: number;
  /** Acknowledged revisions lost: in rounds with a cut, and without (the control's two columns; 0 elsewhere or the stage fails). */
  lost: number;
  lostWithoutCut: number;
  lossRounds: number;
  tornTails: number;
  revisionsCut: number;
  unlistedBlocks: number;
  blocks: number;
  /** Children killed before their open() returned, and how long the others' took. */
  killedInOpen: number;
  openMs: number[];
  seconds: number;
  ok: boolean;
}

/** Keeps the store as the failing round left it (after the cut), for a rerun by hand. */
function keepEvidence(dir: string, seed: number, variant: StoreVariant, round: number): string {
  const kept = path.join(os.tmpdir(), `spacelog-power-loss-seed${seed}-${variant.name}-round${round}`);
  fs.rmSync(kept, { recursive: true, force: true });
  fs.cpSync(dir, kept, { recursive: true });
  return kept;
}

async function runVariant(root: string, cut: LazyFsCut, variant: StoreVariant, rounds: number, seed: number): Promise<VariantFigures> {
  const dir = path.join(root, variant.name);
  fs.rmSync(dir, { recursive: true, force: true });
  const random = stagePrng(seed ^ Math.imul(variant.name.length + (variant.control ? 7 : 0) + (variant.name.includes("thread") ? 13 : 0), 0x9e3779b1));
  const history = new StoreKillHistory();
  const figures: VariantFigures = {
    title: variant.title, rounds: 0, chained: 0, cuts: 0, cutsBetween: 0, acked: 0, recovered: 0, lost: 0, lostWithoutCut: 0, lossRounds: 0,
    tornTails: 0, revisionsCut: 0, unlistedBlocks: 0, blocks: 0, killedInOpen: 0, openMs: [], seconds: 0, ok: true,
  };
  const started = Date.now();
  let writerId = 0;
  for (let round = 1; round <= rounds; round++) {
    // A variant that may lose acknowledged writes at a cut has no restarts in a round: the history's
    // check at a restart (nothing acknowledged lost) holds only without a cut.
    const chained = !variant.lossesAllowed && random() < CHAINED_ROUND_SHARE;
    const ran: string[] = [];
    const problems: string[] = [];
    for (let i = 0; i < (chained ? 2 : 1); i++) {
      if (i > 0 && random() < CUT_BETWEEN_SHARE) {
        // A power cut, a reboot, the application starts again: the second child recovers what the cut left.
        cut.cut();
        figures.cutsBetween++;
        ran.push("a cut before the next child");
      }
      const options = variant.childOptions(random, ++writerId);
      const plan = killPlanOf(random, variant, options.ioThread);
      const label = `round ${round} child ${i + 1} (writer ${writerId})`;
      const run = await runKilledChild(childScript, dir, options, plan, history, label, ROUND_TIMEOUT_MS);
      ran.push(`${label}: ${variant.control ? "killed when quiet" : describePlan(plan)}, ${run.acks} calls acknowledged, options ${JSON.stringify(options)}`);
      if (run.openMs === null) figures.killedInOpen++;
      else figures.openMs.push(run.openMs);
      if (run.timedOut) problems.push(`${label} was not killed within ${ROUND_TIMEOUT_MS} ms`);
      if (run.signal !== "SIGKILL") problems.push(`${label} ended by itself (code ${run.code}, signal ${run.signal}): ${run.stderr.trim()}`);
    }
    if (chained) figures.chained++;
    // The control cuts on odd rounds only: its even rounds show that the kill alone loses nothing.
    const withCut = variant.control ? round % 2 === 1 : random() < CUT_SHARE;
    if (withCut) {
      cut.cut();
      figures.cuts++;
    }
    const outcome = await checkReopened(dir, history, {
      opens: random() < 0.5 ? [{ ioThread: false }, { ioThread: true }] : [{ ioThread: true }, { ioThread: false }],
      random, lossesAllowed: variant.lossesAllowed, olderSample: 200,
    });
    problems.push(...outcome.problems);
    figures.rounds++;
    figures.acked += outcome.acked;
    figures.recovered += outcome.recovered;
    figures.tornTails += outcome.tornTails;
    figures.revisionsCut += outcome.revisionsCut;
    figures.unlistedBlocks += outcome.unlistedBlocksRemoved;
    figures.blocks = outcome.blocks;
    if (withCut) {
      figures.lost += outcome.lost;
      if (outcome.lost > 0) figures.lossRounds++;
    } else {
      figures.lostWithoutCut += outcome.lost;
      if (outcome.lost > 0) problems.push(`${outcome.lost} acknowledged revisions lost without a cut (a SIGKILL alone keeps the page cache)`);
    }
    if (problems.length > 0) {
      console.log(`power-loss: FAIL ${variant.title}, seed ${seed} (SPACELOG_SEED=${seed} replays the schedule), round ${round}${withCut ? ", with a cut" : ", no cut"}, spaces ${killSpacesLine()}:`);
      for (const line of ran) console.log(`power-loss:   ${line}`);
      for (const problem of problems) console.log(`power-loss:   ${problem}`);
      console.log(`power-loss:   the store after the round is kept in ${keepEvidence(dir, seed, variant, round)}`);
      figures.ok = false;
      break;
    }
  }
  figures.seconds = (Date.now() - started) / 1000;
  if (variant.control && figures.ok) {
    if (figures.lossRounds === 0) {
      console.log("power-loss: FAIL the store's control lost nothing at any cut: the cut did not bite, so the store variants prove nothing");
      figures.ok = false;
    }
  }
  const lost = variant.lossesAllowed ? `${figures.lost} acknowledged revisions lost in ${figures.lossRounds} of ${figures.cuts} rounds with a cut, ${figures.lostWithoutCut} in ${figures.rounds - figures.cuts} without`
    : `${figures.lost + figures.lostWithoutCut} acknowledged revisions lost`;
  console.log(`power-loss: ${variant.title}: ${figures.rounds} rounds (${figures.chained} with a kill and restart before the check, ${figures.cutsBetween} of them with a cut before the restart; ${figures.cuts} with a cut at the end), ` +
    `${figures.acked} revisions acknowledged, ${figures.recovered} recovered, ${lost}, ${figures.tornTails} torn tails, ${figures.revisionsCut} revisions cut by the prefix rule, ` +
    `${figures.unlistedBlocks} unlisted blocks removed (seals cut before their manifest), ${figures.blocks} blocks at the end, ` +
    `${figures.killedInOpen} children killed before open() returned${openTimes(figures.openMs)}, ${figures.seconds.toFixed(1)} s${figures.ok ? "" : " FAILED"}`);
  return figures;
}

function openTimes(ms: readonly number[]): string {
  if (ms.length === 0) return "";
  const sorted = [...ms].sort((x, y) => x - y);
  return ` (the others' open() ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} ms median, ${sorted[sorted.length - 1]?.toFixed(0)} max)`;
}

function printTable(all: readonly VariantFigures[]): void {
  const header = ["variant", "rounds", "cuts", "acknowledged", "recovered", "lost", "torn tails", "prefix cuts", "unlisted blocks", "blocks", "killed in open", "s", "result"];
  const rows = all.map((f) => [
    f.title.replace(/^store: /, ""), String(f.rounds), f.cutsBetween > 0 ? `${f.cuts} (+${f.cutsBetween} between)` : String(f.cuts), String(f.acked), String(f.recovered),
    `${f.lost + f.lostWithoutCut}${f.lostWithoutCut > 0 ? ` (${f.lostWithoutCut} without a cut)` : ""}`,
    String(f.tornTails), String(f.revisionsCut), String(f.unlistedBlocks), String(f.blocks), String(f.killedInOpen), f.seconds.toFixed(1), f.ok ? "ok" : "FAILED",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(" | ");
  console.log(`power-loss: store summary (revisions; "recovered" counts every revision kept, acknowledged or not):`);
  console.log(`power-loss:   ${line(header)}`);
  console.log(`power-loss:   ${widths.map((w) => "-".repeat(w)).join("-+-")}`);
  for (const row of rows) console.log(`power-loss:   ${line(row)}`);
}

function roundsFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer; got ${process.env[name]}`);
  return value;
}

/** SPACELOG_STORE_POWER_LOSS_VARIANTS=store-thread,store-control runs only those; the control runs first, as it must bite. */
function variantsFromEnv(): StoreVariant[] {
  const asked = process.env["SPACELOG_STORE_POWER_LOSS_VARIANTS"];
  if (asked === undefined || asked === "") return [...VARIANTS];
  const names = asked.split(",");
  for (const name of names) if (!VARIANTS.some((v) => v.name === name)) throw new Error(`unknown store power-loss variant ${name}`);
  return VARIANTS.filter((v) => names.includes(v.name));
}

async function main(): Promise<void> {
  const root = process.argv[2];
  const fifo = process.env["LAZYFS_FIFO"];
  const doneFifo = process.env["LAZYFS_DONE_FIFO"];
  if (root === undefined || fifo === undefined || doneFifo === undefined) {
    throw new Error("usage: LAZYFS_FIFO=... LAZYFS_DONE_FIFO=... store-power-loss-main.js <directory under the LazyFS mount>");
  }
  const seed = Number(process.env["SPACELOG_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
  const rounds = roundsFromEnv("SPACELOG_STORE_POWER_LOSS_ROUNDS", 24);
  const controlRounds = roundsFromEnv("SPACELOG_STORE_POWER_LOSS_CONTROL_ROUNDS", 12);
  const variants = variantsFromEnv();
  console.log(`power-loss: store, seed ${seed} (SPACELOG_SEED=${seed} replays the schedule), ${rounds} rounds per variant, ${controlRounds} control rounds`);
  const cut = new LazyFsCut(fifo, doneFifo);
  const all: VariantFigures[] = [];
  try {
    for (const variant of variants) all.push(await runVariant(root, cut, variant, variant.control ? controlRounds : rounds, seed));
  } finally {
    cut.close();
  }
  printTable(all);
  const ok = all.every((f) => f.ok);
  console.log(`power-loss: store ${ok ? "passed" : "FAILED"}`);
  process.exitCode = ok ? 0 : 1;
}

await main();
