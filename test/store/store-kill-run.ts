// Starting one store child (store-kill-workload.ts) and killing it, for the SIGKILL test and the
// power-loss stage: every line it prints goes to the history as it arrives, and the child is
// SIGKILLed on its schedule (or at "Q", the control's quiet point), or at the timeout.
import { spawn } from "node:child_process";
import { type StoreKillHistory } from "./store-kill-history.js";
import { type StoreKillChildOptions } from "./store-kill-workload.js";

/**
 * When to kill: `afterSpawnMs` after the spawn (during the process's start or its open), else
 * `afterStartMs` after it says START (open() called: recovery, the new staging, promotions), else
 * `afterFirstAckMs` after its first acknowledgement.
 */
export interface KillPlan {
  readonly afterSpawnMs: number | null;
  readonly afterStartMs?: number | null;
  readonly afterFirstAckMs: number;
}

export interface KilledChild {
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly opened: boolean;
  /** How long its open() took (null: killed before it returned). */
  readonly openMs: number | null;
  readonly acks: number;
}

export function describePlan(plan: KillPlan): string {
  if (plan.afterSpawnMs !== null) return `killed ${plan.afterSpawnMs} ms after its spawn`;
  if (plan.afterStartMs !== undefined && plan.afterStartMs !== null) return `killed ${plan.afterStartMs} ms after it called open()`;
  return `killed ${plan.afterFirstAckMs} ms after its first acknowledgement`;
}

export function runKilledChild(
  script: string, dir: string, options: StoreKillChildOptions, plan: KillPlan, history: StoreKillHistory, label: string, timeoutMs: number,
): Promise<KilledChild> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, dir, JSON.stringify(options)], { stdio: ["ignore", "pipe", "pipe"] });
    let pending = "";
    let stderr = "";
    let timedOut = false;
    let opened = false;
    let openMs: number | null = null;
    let acks = 0;
    let armed = false;
    const kill = (): void => {
      child.kill("SIGKILL");
    };
    const timers = [setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs)];
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
        const tag = history.onLine(line, label, options.writerId);
        if (tag === "START" && !armed && plan.afterStartMs !== undefined && plan.afterStartMs !== null) {
          armed = true;
          timers.push(setTimeout(kill, plan.afterStartMs));
        }
        if (tag === "OPEN") {
          opened = true;
          openMs = Number(line.split(" ")[2]);
        }
        if (tag === "Q") kill();
        if (tag === "A") {
          acks++;
          if (!armed && options.quietAfter === null) {
            armed = true;
            timers.push(setTimeout(kill, plan.afterFirstAckMs));
          }
        }
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // "close": the process exited and its pipes are drained, so every line it wrote is read.
    child.on("close", (code, signal) => {
      for (const timer of timers) clearTimeout(timer);
      // Each line is one write(2) under PIPE_BUF, which a kill cannot split: a partial line means the protocol broke.
      if (pending !== "") history.childProblems.push(`${label} ended in the middle of a line: ${JSON.stringify(pending)}`);
      resolve({ signal, code, stderr, timedOut, opened, openMs, acks });
    });
  });
}
