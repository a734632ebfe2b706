// The parent's side of the store kill tests (store-sigkill.test.ts, and the power-loss stage's
// test/power-loss/store-power-loss-main.ts): the history every killed child announced
// (store-kill-workload.ts), and the check of a store reopened after the kill (and the cut).
//
// The history holds, per revision, the op the newest child announced for it. A restarted child
// opens at some revision R0 (its recovery kept 1..R0 and cut the rest, durably, before its first
// write), so announcements above R0 are dropped when it says OPEN, and its own follow from R0 + 1.
// What is on disk at revision r is therefore exactly history[r], or nothing past the store's
// newest revision; there is no "either" to allow.
//
// The check (checkReopened), after every child of a round was killed:
//   - open() succeeds, with no salvage of any kind asked for;
//   - R = snapshot().revision is at least every acknowledged revision (none lost), at least the
//     last check's R, and at most the newest announced revision (nothing no child wrote);
//   - R ends a call: a batch is kept whole or not at all;
//   - spaces() is exactly the spaces whose definitions are at or below R;
//   - every revision recovered since the last check, and a sample of older ones, holds its op:
//     get(space, point, { revision: r }) is that put's bytes (values are unique), or undefined
//     for a delete;
//   - the whole of every space, by query at R, at the last check's R and at random revisions, is
//     exactly the model's: the newest put per point (point, bytes, revision), deleted points
//     absent (no delete resurrected);
//   - closed and opened again (the other ioThread): the same R, nothing cut or removed by that
//     recovery, the same blocks and tail records, the same full contents.
import { type StoreOptions } from "../../host/store/store-options.js";
import { open } from "../../host/store/open-store.js";
import { type Store } from "../../host/store/store.js";
import { decodeStageEntry, isStageEntry } from "../stages/stage-entries.js";
import { KILL_SPACES, killSpaceSpec } from "./store-kill-workload.js";

export interface HistoryOp {
  readonly kind: "space" | "put" | "delete";
  readonly space: string;
  /** Puts and deletes; [] for a space definition. */
  readonly point: readonly number[];
  readonly writerId: number;
  readonly counter: number;
  readonly size: number;
  /** The revisions of the call it belongs to. */
  readonly first: bigint;
  readonly last: bigint;
  /** Which child announced it, for messages. */
  readonly child: string;
  acknowledged: boolean;
}

interface AckedCall {
  readonly first: bigint;
  readonly last: bigint;
  readonly child: string;
}

/** At most this many messages per kind of problem, then a count. */
const SHOWN_PER_KIND = 6;

class Problems {
  readonly lines: string[] = [];
  private readonly counts = new Map<string, number>();

  add(kind: string, message: string): void {
    const count = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, count);
    if (count <= SHOWN_PER_KIND) this.lines.push(message);
  }

  finish(): string[] {
    for (const [kind, count] of this.counts) if (count > SHOWN_PER_KIND) this.lines.push(`... ${count} problems of kind "${kind}" in all`);
    return this.lines;
  }
}

export function describeOp(revision: bigint, op: HistoryOp): string {
  const what = op.kind === "space" ? `createSpace ${op.space}`
    : op.kind === "put" ? `put ${op.space} [${op.point.join(",")}] (writer ${op.writerId}, counter ${op.counter}, ${op.size} B)`
    : `delete ${op.space} [${op.point.join(",")}]`;
  const call = op.first === op.last ? "" : `, of the batch ${op.first}..${op.last}`;
  return `revision ${revision}: ${what}${call}, by ${op.child}, ${op.acknowledged ? "acknowledged" : "not acknowledged"}`;
}

function describeValue(value: Uint8Array | undefined): string {
  if (value === undefined) return "nothing";
  const id = decodeStageEntry(value);
  return id === null ? `${value.byteLength} B no child wrote` : `writer ${id.round} counter ${id.counter} (${value.byteLength} B)`;
}

function valueIs(value: Uint8Array, op: HistoryOp): boolean {
  return value.byteLength === op.size && isStageEntry(value, op.writerId, op.counter);
}

export class StoreKillHistory {
  /** Index: revision. [0] is unused. */
  private ops: Array<HistoryOp | undefined> = [undefined];
  /** R of the last check (a clean close): no later recovery may go below it. */
  checked = 0n;
  /** Calls acknowledged since the last check. */
  private acked: AckedCall[] = [];
  /** Problems seen in children's output (a child that opened below an acknowledged revision...). */
  readonly childProblems: string[] = [];

  /** The newest announced revision. */
  get top(): bigint {
    return BigInt(this.ops.length - 1);
  }

  op(revision: bigint): HistoryOp | undefined {
    return this.ops[Number(revision)];
  }

  /** Revisions acknowledged since the last check. */
  get ackedRevisions(): number {
    let n = 0;
    for (const call of this.acked) n += Number(call.last - call.first + 1n);
    return n;
  }

  /** Feeds one line of a child's stdout; returns its tag. */
  onLine(line: string, child: string, writerId: number): string {
    const parts = line.split(" ");
    const tag = parts[0] ?? "";
    if (tag === "OPEN") this.onOpen(BigInt(parts[1] ?? "x"), child);
    else if (tag === "I") this.onIntent(BigInt(parts[1] ?? "x"), parts.slice(2), child, writerId);
    else if (tag === "A") this.onAck(BigInt(parts[1] ?? "x"), BigInt(parts[2] ?? "x"), child);
    else if (tag !== "Q" && tag !== "START") this.childProblems.push(`${child} printed a line the protocol does not have: ${JSON.stringify(line)}`);
    return tag;
  }

  private onOpen(revision: bigint, child: string): void {
    if (revision < this.checked) this.childProblems.push(`${child} opened at revision ${revision}, below ${this.checked}, which the last check's clean close left`);
    for (const call of this.acked) {
      if (call.last > revision) this.childProblems.push(`${child} opened at revision ${revision}: revisions ${call.first}..${call.last}, acknowledged to ${call.child}, were lost before this child's open`);
    }
    if (revision > this.top) {
      this.childProblems.push(`${child} opened at revision ${revision}, past ${this.top}, the newest revision any child announced`);
      return;
    }
    this.trimAbove(revision);
  }

  private onIntent(first: bigint, encoded: readonly string[], child: string, writerId: number): void {
    if (first !== this.top + 1n) {
      this.childProblems.push(`${child} announced revision ${first} where ${this.top + 1n} was due`);
      return;
    }
    const last = first + BigInt(encoded.length - 1);
    for (const text of encoded) {
      const [kind, space = "", a = "", b = "", c = ""] = text.split(":");
      if (kind === "S") this.ops.push({ kind: "space", space, point: [], writerId, counter: Number(a), size: Number(b), first, last, child, acknowledged: false });
      else if (kind === "P") this.ops.push({ kind: "put", space, point: a.split(".").map(Number), writerId, counter: Number(b), size: Number(c), first, last, child, acknowledged: false });
      else if (kind === "D") this.ops.push({ kind: "delete", space, point: a.split(".").map(Number), writerId, counter: 0, size: 0, first, last, child, acknowledged: false });
      else this.childProblems.push(`${child} announced an op the protocol does not have: ${text}`);
    }
  }

  private onAck(first: bigint, last: bigint, child: string): void {
    const op = this.op(first);
    if (op === undefined || op.first !== first || op.last !== last) {
      this.childProblems.push(`${child} acknowledged revisions ${first}..${last}, which it did not announce as one call`);
      return;
    }
    for (let r = first; r <= last; r++) (this.op(r) as HistoryOp).acknowledged = true;
    this.acked.push({ first, last, child });
  }

  private trimAbove(revision: bigint): void {
    this.ops.length = Number(revision) + 1;
  }

  /** After a check: the store holds 1..revision, and a clean close made it so. */
  settle(revision: bigint): void {
    this.trimAbove(revision);
    this.checked = revision;
    this.acked = [];
  }

  /** Acknowledged calls since the last check, for the loss count. */
  ackedCalls(): readonly AckedCall[] {
    return this.acked;
  }
}

export interface CheckOptions {
  /** The first reopen's options, and the second's. */
  readonly opens: readonly [StoreOptions, StoreOptions];
  readonly random: () => number;
  /** The negative control: lost acknowledged revisions are counted, not problems. */
  readonly lossesAllowed: boolean;
  /** Older revisions (at or below the last check) checked one by one per round. */
  readonly olderSample: number;
}

export interface CheckOutcome {
  readonly problems: string[];
  /** snapshot().revision after the reopen (the last check's when the reopen failed). */
  readonly revision: bigint;
  /** Revisions acknowledged since the last check, and how many of them the store lost. */
  readonly acked: number;
  readonly lost: number;
  /** Revisions newly in the store since the last check (acknowledged or not). */
  readonly recovered: number;
  readonly tornTails: number;
  readonly revisionsCut: number;
  /** Block files recovery removed (a seal that died before its manifest). */
  readonly unlistedBlocksRemoved: number;
  readonly blocks: number;
}

type Contents = Map<string, Map<string, { readonly value: Uint8Array; readonly revision: bigint }>>;

async function contentsAt(store: Store, revision: bigint): Promise<Contents> {
  const out: Contents = new Map();
  for (const info of store.spaces()) {
    const points = new Map<string, { value: Uint8Array; revision: bigint }>();
    const max = Array.from({ length: info.dims }, () => 2 ** info.bits - 1);
    const min = max.map(() => 0);
    for await (const found of store.query(info.name, { min, max }, { revision })) points.set(found.point.join("."), { value: found.value, revision: found.revision });
    out.set(info.name, points);
  }
  return out;
}

/** The newest put per point of every space defined at or below each revision asked (ascending). */
function modelAt(history: StoreKillHistory, revisions: readonly bigint[]): Map<bigint, Map<string, Map<string, { op: HistoryOp; revision: bigint }>>> {
  const out = new Map<bigint, Map<string, Map<string, { op: HistoryOp; revision: bigint }>>>();
  const state = new Map<string, Map<string, { op: HistoryOp; revision: bigint }>>();
  let r = 1n;
  for (const at of revisions) {
    for (; r <= at; r++) {
      const op = history.op(r);
      if (op === undefined) throw new Error(`the model has no op at revision ${r}`);
      if (op.kind === "space") state.set(op.space, new Map());
      else if (op.kind === "put") state.get(op.space)?.set(op.point.join("."), { op, revision: r });
      else state.get(op.space)?.delete(op.point.join("."));
    }
    out.set(at, new Map([...state].map(([name, points]) => [name, new Map(points)])));
  }
  return out;
}

function compareContents(found: Contents, expected: Map<string, Map<string, { op: HistoryOp; revision: bigint }>>, revision: bigint, label: string, problems: Problems): void {
  for (const [name, points] of expected) {
    const got = found.get(name);
    if (got === undefined) {
      problems.add("space", `${label}: at revision ${revision}, space ${name} is not in spaces()`);
      continue;
    }
    for (const [key, want] of points) {
      const have = got.get(key);
      if (have === undefined) problems.add("missing", `${label}: query at revision ${revision}: ${name} [${key}] is missing; it holds ${describeOp(want.revision, want.op)}`);
      else if (have.revision !== want.revision || !valueIs(have.value, want.op)) {
        problems.add("wrong", `${label}: query at revision ${revision}: ${name} [${key}] holds ${describeValue(have.value)} at revision ${have.revision}; expected ${describeOp(want.revision, want.op)}`);
      }
    }
    for (const [key, have] of got) {
      if (!points.has(key)) problems.add("resurrected", `${label}: query at revision ${revision}: ${name} [${key}] holds ${describeValue(have.value)} at revision ${have.revision}, but the model has nothing there (a delete resurrected, or a write that is not history)`);
    }
  }
  // A space defined later (spaces() lists every space the store has now) holds nothing yet.
  for (const [name, got] of found) {
    if (expected.has(name)) continue;
    for (const [key, have] of got) problems.add("early", `${label}: query at revision ${revision}: ${name} [${key}] holds ${describeValue(have.value)} at revision ${have.revision}, before the space's definition`);
  }
}

/** One revision's op against get() at that revision. */
async function checkRevision(store: Store, revision: bigint, op: HistoryOp, label: string, problems: Problems): Promise<void> {
  if (op.kind === "space") return;
  const value = await store.get(op.space, op.point, { revision });
  if (op.kind === "put" && (value === undefined || !valueIs(value, op))) problems.add("revision", `${label}: get at ${describeOp(revision, op)} returned ${describeValue(value)}`);
  if (op.kind === "delete" && value !== undefined) problems.add("revision", `${label}: get at ${describeOp(revision, op)} returned ${describeValue(value)}, not nothing`);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Reopens the store in `dir` after a round's kills (and cut), checks it against the history (see
 * the file's comment), closes it, reopens and checks it again, and settles the history at its R.
 */
export async function checkReopened(dir: string, history: StoreKillHistory, options: CheckOptions): Promise<CheckOutcome> {
  const problems = new Problems();
  const acked = history.ackedRevisions;
  const failed = (message: string): CheckOutcome => {
    problems.add("open", message);
    return { problems: problems.finish(), revision: history.checked, acked, lost: 0, recovered: 0, tornTails: 0, revisionsCut: 0, unlistedBlocksRemoved: 0, blocks: 0 };
  };
  let store: Store;
  try {
    store = await open(dir, options.opens[0]);
  } catch (error) {
    return failed(`reopen failed: ${describeError(error)}`);
  }
  let revision: bigint;
  let lost = 0;
  let recovery;
  let stats;
  let checkedRevisions: bigint[] = [];
  let fullAt: bigint[] = [];
  try {
    revision = store.snapshot().revision;
    stats = store.stats();
    recovery = stats.recovery;
    for (const call of history.ackedCalls()) {
      for (let r = call.first; r <= call.last; r++) {
        if (r <= revision) continue;
        lost++;
        if (!options.lossesAllowed) problems.add("lost", `acknowledged ${describeOp(r, history.op(r) as HistoryOp)} is lost: the store's newest revision is ${revision}`);
      }
    }
    if (revision < history.checked) problems.add("shrank", `the store's newest revision is ${revision}, below ${history.checked}, which the last check's clean close left`);
    if (revision > history.top) {
      problems.add("unknown", `the store's newest revision is ${revision}, past ${history.top}, the newest any child announced`);
      return { problems: problems.finish(), revision, acked, lost, recovered: 0, tornTails: 0, revisionsCut: 0, unlistedBlocksRemoved: 0, blocks: 0 };
    }
    const atTop = revision === 0n ? undefined : history.op(revision);
    if (atTop !== undefined && atTop.last !== revision) problems.add("batch", `the store's newest revision ${revision} splits a call: ${describeOp(revision, atTop)} (a batch is kept whole or not at all)`);

    const definedNames = new Set<string>();
    for (let r = 1n; r <= revision; r++) {
      const op = history.op(r) as HistoryOp;
      if (op.kind === "space") definedNames.add(op.space);
    }
    const spaces = store.spaces();
    const names = spaces.map((s) => s.name).sort().join(",");
    if (names !== [...definedNames].sort().join(",")) problems.add("space", `spaces() is [${names}]; the definitions at or below ${revision} are [${[...definedNames].sort().join(",")}]`);
    for (const info of spaces) {
      const spec = KILL_SPACES.find((s) => s.name === info.name);
      if (spec !== undefined && (info.dims !== spec.dims || info.bits !== spec.bits)) problems.add("space", `space ${info.name} has dims ${info.dims} bits ${info.bits}; it was created with ${spec.dims}, ${spec.bits}`);
    }

    // Every revision new since the last check, and a sample of older ones, one by one.
    const sampled = new Set<bigint>();
    for (let r = history.checked + 1n; r <= revision; r++) sampled.add(r);
    for (let i = 0; i < options.olderSample && history.checked > 0n && revision > 0n; i++) sampled.add(1n + BigInt(Math.floor(options.random() * Number(history.checked < revision ? history.checked : revision))));
    checkedRevisions = [...sampled].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    for (const r of checkedRevisions) await checkRevision(store, r, history.op(r) as HistoryOp, "first reopen", problems);

    // Whole contents at R, at the last check's R, and at two random revisions.
    const full = new Set<bigint>([revision]);
    if (history.checked > 0n && history.checked <= revision) full.add(history.checked);
    for (let i = 0; i < 2 && revision > 0n; i++) full.add(1n + BigInt(Math.floor(options.random() * Number(revision))));
    fullAt = [...full].filter((r) => r > 0n).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const model = modelAt(history, fullAt);
    for (const r of fullAt) compareContents(await contentsAt(store, r), model.get(r) ?? new Map(), r, "first reopen", problems);
  } catch (error) {
    problems.add("read", `first reopen: a read failed: ${describeError(error)}`);
    revision = store.snapshot().revision;
  } finally {
    await store.close().catch((error: unknown) => problems.add("close", `first reopen: close failed: ${describeError(error)}`));
  }

  // The second reopen: nothing left to cut, the same answers.
  try {
    const again = await open(dir, options.opens[1]);
    try {
      const second = again.stats();
      if (second.revision !== revision) problems.add("again", `second reopen: newest revision ${second.revision}, the first reopen's was ${revision}`);
      const r2 = second.recovery;
      if (r2.tornTails.length > 0 || r2.historyCut !== null || r2.removed.length > 0) {
        problems.add("again", `second reopen (after a clean close) cut or removed something: ${JSON.stringify({ tornTails: r2.tornTails, historyCut: r2.historyCut, removed: r2.removed }, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`);
      }
      if (stats !== undefined && (second.blocks !== stats.blocks || second.tailRecords !== stats.tailRecords)) {
        problems.add("again", `second reopen: ${second.blocks} blocks and ${second.tailRecords} tail records; the first had ${stats.blocks} and ${stats.tailRecords}`);
      }
      if (second.revision === revision && revision <= history.top) {
        const sample = checkedRevisions.filter(() => options.random() < 0.25);
        for (const r of sample) await checkRevision(again, r, history.op(r) as HistoryOp, "second reopen", problems);
        const model = modelAt(history, fullAt);
        for (const r of fullAt) compareContents(await contentsAt(again, r), model.get(r) ?? new Map(), r, "second reopen", problems);
      }
    } catch (error) {
      problems.add("read", `second reopen: a read failed: ${describeError(error)}`);
    } finally {
      await again.close().catch((error: unknown) => problems.add("close", `second reopen: close failed: ${describeError(error)}`));
    }
  } catch (error) {
    problems.add("open", `second reopen failed: ${describeError(error)}`);
  }

  const recovered = Number(revision - history.checked);
  const outcome: CheckOutcome = {
    problems: [...history.childProblems.splice(0), ...problems.finish()], revision, acked, lost, recovered,
    tornTails: recovery?.tornTails.length ?? 0,
    revisionsCut: recovery?.historyCut?.revisionsCut ?? 0,
    unlistedBlocksRemoved: recovery?.removed.filter((name) => name.startsWith("blk-")).length ?? 0,
    blocks: stats?.blocks ?? 0,
  };
  if (revision <= history.top && revision >= history.checked) history.settle(revision);
  return outcome;
}

/** For messages: the spaces' shapes. */
export function killSpacesLine(): string {
  return KILL_SPACES.map((s) => `${s.name}: ${s.dims}D, ${s.bits} bits, coordinates < ${killSpaceSpec(s.name).span}`).join("; ");
}
