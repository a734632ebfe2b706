// The workload of a store process that a test kills (store-kill-child.ts for the SIGKILL test,
// test/power-loss/store-power-loss-child.ts for the power-loss stage): it opens a store, creates
// its spaces, and runs concurrent writers doing put, delete, write() batches and putMany, with
// seals started by small thresholds (and now and then by seal()), printing on stdout, in this
// order, everything the parent needs to know what any revision on disk must hold:
//
//   START                             open() is about to be called
//   OPEN <revision> <ms>              open() returned (after <ms>); snapshot().revision
//   I <first> <op> <op> ...           a call about to be made, its revisions first.. (one per op)
//   A <first> <last>                  that call was acknowledged (resolved)
//   Q                                 (the control) every call is acknowledged and the loop idle
//
// op: S:<name>:<dims>:<bits> (createSpace of a new space), P:<space>:<x.y.z>:<counter>:<size> (a
// put of stageEntryBytes(writerId, counter, size)), D:<space>:<x.y.z> (a delete).
//
// Revisions are assigned synchronously when a call is made (store.ts), so the child knows them
// before it calls: next = snapshot().revision + 1 after open, plus one per op. An "I" line is
// written before its call, and stdout to a pipe is synchronous on Linux, so the parent knows an
// op before any byte of it can reach the disk. A call that resolves with other revisions than
// predicted, or rejects, ends the child with an error on stderr (the parent reports it).
import { open } from "../../host/store/open-store.js";
import { type BatchOp } from "../../host/store/store.js";
import { type StoreOptions } from "../../host/store/store-options.js";
import { stageEntryBytes, stagePrng } from "../stages/stage-entries.js";

export interface KillSpaceSpec {
  readonly name: string;
  readonly dims: number;
  readonly bits: number;
  /** Coordinates are drawn in [0, span): few cells, so points collide and versions pile up. */
  readonly span: number;
}

/** Spaces a and b exist from a child's start; c is created mid-run by some children. */
export const KILL_SPACES: readonly KillSpaceSpec[] = [
  { name: "a", dims: 3, bits: 5, span: 12 },
  { name: "b", dims: 3, bits: 3, span: 8 },
  { name: "c", dims: 3, bits: 4, span: 16 },
];

export function killSpaceSpec(name: string): KillSpaceSpec {
  const spec = KILL_SPACES.find((s) => s.name === name);
  if (spec === undefined) throw new Error(`no kill-test space ${name}`);
  return spec;
}

export interface StoreKillChildOptions {
  /** Unique per child in a test: every value it puts names it. */
  readonly writerId: number;
  readonly durability: "sync" | "none" | { readonly intervalMs: number };
  readonly ioThread: boolean;
  readonly io?: "sync" | "threadpool";
  readonly sealRecords?: number;
  readonly sealBytes?: number;
  /** Concurrent writers (each awaits its own call before the next). */
  readonly writers: number;
  /** Create space c after this many calls (if it does not exist yet); null: never. */
  readonly createCAfter: number | null;
  /** Share of calls that are a seal(space) (awaited by its writer), not a write. */
  readonly sealShare: number;
  /** The control: this many calls at once, then Q, then idle until killed. null: write until killed. */
  readonly quietAfter: number | null;
  /** The control waits this long after its calls resolved before Q (the loop writes in microseconds). */
  readonly quietMs?: number;
}

/** Value sizes: mostly small, now and then a few KiB (the byte threshold and multi-frame turns). */
export function killValueSize(random: () => number): number {
  return random() < 0.03 ? 1500 + Math.floor(random() * 2500) : 12 + Math.floor(random() * 120);
}

type PlannedOp =
  | { readonly kind: "put"; readonly space: string; readonly point: number[]; readonly counter: number; readonly size: number }
  | { readonly kind: "delete"; readonly space: string; readonly point: number[] };

function encodeOp(op: PlannedOp): string {
  return op.kind === "put" ? `P:${op.space}:${op.point.join(".")}:${op.counter}:${op.size}` : `D:${op.space}:${op.point.join(".")}`;
}

function fail(message: string): never {
  process.stderr.write(`store-kill-child: ${message}\n`);
  process.exit(3);
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Runs the child: never returns unless it fails (the parent SIGKILLs it). */
export async function runStoreKillChild(dir: string, options: StoreKillChildOptions): Promise<void> {
  const random = stagePrng(Math.imul(options.writerId, 0x9e3779b1) ^ 0x5bd1e995);
  const storeOptions: StoreOptions = {
    durability: options.durability, ioThread: options.ioThread,
    ...(options.io === undefined ? {} : { io: options.io }),
    ...(options.sealRecords === undefined ? {} : { sealRecords: options.sealRecords }),
    ...(options.sealBytes === undefined ? {} : { sealBytes: options.sealBytes }),
  };
  say("START");
  const openedAt = performance.now();
  const store = await open(dir, storeOptions);
  let next = store.snapshot().revision + 1n;
  say(`OPEN ${next - 1n} ${(performance.now() - openedAt).toFixed(1)}`);
  let counter = 0;
  let calls = 0;
  const live = new Set(store.spaces().map((s) => s.name));

  const createSpace = async (name: string): Promise<void> => {
    const spec = killSpaceSpec(name);
    const revision = next++;
    say(`I ${revision} S:${name}:${spec.dims}:${spec.bits}`);
    const made = store.createSpace(name, { dims: spec.dims, bits: spec.bits });
    live.add(name);
    await made.catch((error: unknown) => fail(`createSpace ${name} (revision ${revision}) rejected: ${String(error)}`));
    if (store.spaces().length === 0) fail("createSpace resolved but no space exists");
    say(`A ${revision} ${revision}`);
  };
  // a and b first, in order, one at a time (a restarted child finds them and creates nothing).
  for (const name of ["a", "b"]) if (!live.has(name)) await createSpace(name);

  const pointIn = (spec: KillSpaceSpec): number[] => Array.from({ length: spec.dims }, () => Math.floor(random() * spec.span));
  const anySpace = (): KillSpaceSpec => {
    const names = [...live].sort();
    return killSpaceSpec(names[Math.floor(random() * names.length)] as string);
  };
  const planOp = (putShare: number): PlannedOp => {
    const spec = anySpace();
    if (random() < putShare) return { kind: "put", space: spec.name, point: pointIn(spec), counter: counter++, size: killValueSize(random) };
    return { kind: "delete", space: spec.name, point: pointIn(spec) };
  };
  const valueOf = (op: PlannedOp & { kind: "put" }): Uint8Array => stageEntryBytes(options.writerId, op.counter, op.size);

  /** One call: planned, announced, made, checked; resolves once acknowledged. */
  const oneCall = async (): Promise<void> => {
    calls++;
    if (options.createCAfter !== null && calls === options.createCAfter && !live.has("c")) return createSpace("c");
    const pick = random();
    if (pick < options.sealShare) {
      const name = anySpace().name;
      await store.seal(name).catch((error: unknown) => fail(`seal(${name}) rejected: ${String(error)}`));
      return;
    }
    let ops: PlannedOp[];
    let call: () => Promise<unknown>;
    if (pick < 0.5) {
      const op = planOp(0.78);
      ops = [op];
      call = () => (op.kind === "put" ? store.put(op.space, op.point, valueOf(op)) : store.delete(op.space, op.point));
    } else if (pick < 0.9) {
      ops = Array.from({ length: 2 + Math.floor(random() * 7) }, () => planOp(0.7));
      const batch: BatchOp[] = ops.map((op) => (op.kind === "put" ? { put: op.space, point: op.point, value: valueOf(op) } : { delete: op.space, point: op.point }));
      call = () => store.write(batch);
    } else {
      const spec = anySpace();
      ops = Array.from({ length: 2 + Math.floor(random() * 5) }, () => ({ kind: "put" as const, space: spec.name, point: pointIn(spec), counter: counter++, size: killValueSize(random) }));
      const entries = ops.map((op) => ({ point: op.point, value: valueOf(op as PlannedOp & { kind: "put" }) }));
      call = () => store.putMany(spec.name, entries);
    }
    const first = next;
    const last = first + BigInt(ops.length - 1);
    next = last + 1n;
    say(`I ${first} ${ops.map(encodeOp).join(" ")}`);
    let result: unknown;
    try {
      result = await call();
    } catch (error) {
      fail(`the call at revisions ${first}..${last} rejected: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
    const got = typeof result === "bigint" ? { first: result, last: result } : (result as { first: bigint; last: bigint });
    if (got.first !== first || got.last !== last) fail(`the call predicted at revisions ${first}..${last} resolved with ${got.first}..${got.last}`);
    say(`A ${first} ${last}`);
  };

  if (options.quietAfter !== null) {
    await Promise.all(Array.from({ length: options.quietAfter }, () => oneCall()));
    await new Promise((resolve) => setTimeout(resolve, options.quietMs ?? 200));
    say("Q");
    // The open store's I/O loop keeps the process alive until the parent kills it.
    await new Promise(() => undefined);
  }
  await Promise.all(Array.from({ length: options.writers }, async () => {
    for (;;) {
      await oneCall();
      // Now and then a macrotask turn, as an application with other work has: with ioThread
      // false and io "sync" every call settles in microtasks, and a seal's steps wait for a
      // timer (store-seal.ts), so without these no seal would ever finish in such a child.
      if (random() < 0.05) await new Promise((resolve) => setImmediate(resolve));
    }
  }));
}

/** What a child script does with its arguments: <dir> <options JSON>. */
export async function storeKillChildMain(argv: readonly string[]): Promise<void> {
  const [dir, optionsText] = argv;
  if (dir === undefined || optionsText === undefined) throw new Error("usage: <child>.js <dir> <options JSON>");
  await runStoreKillChild(dir, JSON.parse(optionsText) as StoreKillChildOptions);
}

