// Real processes write to a store on the real disk with durability "sync" and seals in flight
// (small sealRecords, now and then seal()), and are SIGKILLed at random moments: after their
// first acknowledgement, or during their start, or during open() (recovery, the new staging
// generation, promotions). Some rounds kill a child, start another
// on the same directory (its recovery runs over what the first left) and kill that one too. After
// each round the parent reopens the store and checks it against everything the children announced
// and acknowledged (store-kill-history.ts): every acknowledged write at its revision with its
// bytes, nothing else, deletes not resurrected, batches whole, history a prefix with no revision
// missing, and a second reopen identical. Once with the I/O loop in-process, once in its thread.
//
// A failure names the seed (SPACELOG_SEED=<seed> replays the schedule; the kill moments are real
// time, so a replay is close, not exact), the round, each child's options and kill, what is
// missing or wrong, and where the store directory was kept.
// SPACELOG_STORE_SIGKILL_ROUNDS=<n> sets the rounds per mode.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { propertySeed } from "../core/core-check.js";
import { stagePrng } from "../stages/stage-entries.js";
import { makeTempDir, removeTempDir } from "../wal/temp-dir.js";
import { StoreKillHistory, checkReopened, killSpacesLine } from "./store-kill-history.js";
import { type KillPlan, describePlan, runKilledChild } from "./store-kill-run.js";
import { type StoreKillChildOptions } from "./store-kill-workload.js";

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "store-kill-child.js");
const ROUNDS = Number(process.env["SPACELOG_STORE_SIGKILL_ROUNDS"] ?? 12);
const CHAINED_ROUND_SHARE = 0.3;
const CHILD_TIMEOUT_MS = 20_000;
/** Kills aimed at open() land up to this long after it is called: about its time here (the thread's start is most of it). */
function openKillWindowMs(ioThread: boolean): number {
  return ioThread ? 180 : 50;
}

function killPlanOf(random: () => number, ioThread: boolean): KillPlan {
  const pick = random();
  if (pick < 0.1) return { afterSpawnMs: Math.floor(random() * 400), afterFirstAckMs: 0 };
  if (pick < 0.25) return { afterSpawnMs: null, afterStartMs: Math.floor(random() * openKillWindowMs(ioThread)), afterFirstAckMs: 0 };
  return { afterSpawnMs: null, afterFirstAckMs: Math.floor(random() * 150) };
}

function childOptionsOf(random: () => number, writerId: number, ioThread: boolean): StoreKillChildOptions {
  const sealRecords = [8, 24, 64, 200][Math.floor(random() * 4)] as number;
  return {
    writerId, durability: "sync", ioThread,
    ...(ioThread ? {} : { io: random() < 0.5 ? "sync" as const : "threadpool" as const }),
    sealRecords,
    ...(random() < 0.3 ? { sealBytes: 16 * 1024 } : {}),
    writers: 12,
    createCAfter: random() < 0.3 ? 5 + Math.floor(random() * 200) : null,
    sealShare: 0.01,
    quietAfter: null,
  };
}

async function killRounds(ioThread: boolean): Promise<string> {
  const seed = propertySeed() ?? Math.floor(Math.random() * 2 ** 31);
  const mode = ioThread ? "I/O thread" : "in-process";
  const random = stagePrng(seed ^ (ioThread ? 0x1d0 : 0x1f0));
  const dir = makeTempDir("store-sigkill");
  const history = new StoreKillHistory();
  let writerId = 0;
  let acked = 0;
  let cutRevisions = 0;
  let tornTails = 0;
  let unlistedBlocks = 0;
  let blocks = 0;
  let opened = 0;
  let children = 0;
  const openMs: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const chained = random() < CHAINED_ROUND_SHARE;
      const ran: string[] = [];
      const problems: string[] = [];
      for (let i = 0; i < (chained ? 2 : 1); i++) {
        const options = childOptionsOf(random, ++writerId, ioThread);
        const plan = killPlanOf(random, ioThread);
        const label = `round ${round} child ${i + 1} (writer ${writerId})`;
        const run = await runKilledChild(childScript, dir, options, plan, history, label, CHILD_TIMEOUT_MS);
        children++;
        if (run.opened) opened++;
        if (run.openMs !== null) openMs.push(run.openMs);
        ran.push(`${label}: ${describePlan(plan)}, ${run.acks} calls acknowledged, options ${JSON.stringify(options)}`);
        if (run.timedOut) problems.push(`${label} was not killed within ${CHILD_TIMEOUT_MS} ms`);
        if (run.signal !== "SIGKILL") problems.push(`${label} ended by itself (code ${run.code}, signal ${run.signal}): ${run.stderr.trim()}`);
      }
      const outcome = await checkReopened(dir, history, {
        opens: ioThread ? [{ ioThread: true }, { ioThread: false }] : [{ ioThread: false }, { ioThread: true }],
        random, lossesAllowed: false, olderSample: 300,
      });
      problems.push(...outcome.problems);
      acked += outcome.acked;
      cutRevisions += outcome.revisionsCut;
      tornTails += outcome.tornTails;
      unlistedBlocks += outcome.unlistedBlocksRemoved;
      blocks = outcome.blocks;
      if (problems.length > 0) {
        const kept = path.join(os.tmpdir(), `spacelog-store-sigkill-seed${seed}-${ioThread ? "thread" : "in-process"}-round${round}`);
        fs.rmSync(kept, { recursive: true, force: true });
        fs.cpSync(dir, kept, { recursive: true });
        expect.fail([
          `store SIGKILL (${mode}), seed ${seed} (SPACELOG_SEED=${seed} replays the schedule), round ${round} of ${ROUNDS}, spaces ${killSpacesLine()}:`,
          ...ran.map((line) => `  ${line}`),
          ...problems.map((line) => `  ${line}`),
          `  the store directory after the round is kept in ${kept}`,
        ].join("\n"));
      }
    }
  } finally {
    removeTempDir(dir);
  }
  expect(acked, `seed ${seed}: the children acknowledged something`).to.be.greaterThan(ROUNDS * 10);
  openMs.sort((x, y) => x - y);
  const openTimes = openMs.length === 0 ? "" : `, open() in ${openMs[Math.floor(openMs.length / 2)]?.toFixed(0)} ms median, ${openMs[openMs.length - 1]?.toFixed(0)} max`;
  return `${mode}, seed ${seed}: ${ROUNDS} rounds, ${children} children (${children - opened} killed before open() returned${openTimes}), ${acked} revisions acknowledged, ` +
    `${history.checked} revisions at the end, ${blocks} blocks, ${tornTails} torn tails, ${cutRevisions} revisions cut by the prefix rule, ${unlistedBlocks} unlisted blocks removed`;
}

describe("store: SIGKILL of a writing process", function () {
  this.timeout(120_000);

  for (const ioThread of [false, true]) {
    it(`every acknowledged write survives kills at random moments, seals in flight (${ioThread ? "I/O thread" : "in-process"})`, async () => {
      const figures = await killRounds(ioThread);
      console.log(`      ${figures}`);
    });
  }
});
