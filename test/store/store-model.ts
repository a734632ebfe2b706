// The store's model test: seeded random workloads on real directories (os.tmpdir()) against an
// in-memory model that keeps every version of every point. Spaces of 1 to 4 dims with few bits, so
// points collide and versions pile up. Each seed picks its options (durability, in-process or I/O
// thread, io backend, seal thresholds small enough that seals start mid-workload, a shared core;
// a reopen now and then takes others) and runs a few hundred ops:
//   createSpace (new; again with the same definition: no revision; with another: SpaceExistsError),
//   put, delete, write() batches across spaces, putMany, bursts of un-awaited calls (revisions in
//   call order; reads pinned at the revision before them, a seal and a new space among them), get
//   and query at the newest and at older revisions (query: random boxes and limits, compared
//   exactly, in Hilbert key order from the core's hilbertKey), a query held open across writes and
//   a seal, snapshot(), seal() (its revision and record count), stats() (direct + staged = every
//   put and delete since open; seals, blocks and manifest generation agree), refused calls that
//   change nothing, and close (sometimes with calls and seals in flight) + reopen: every point at
//   every revision checked after it; a second reopen without writes answers the same.
// The mocha suite is store-model.test.ts; test/core/store-runtime-checks.ts runs seeds under Bun and Deno.
// A failure names the seed, its options, the ops so far (the last ones) and the directory (kept);
// SPACELOG_SEED=<seed> replays that seed alone (SPACELOG_STORE_MODEL_TRACE=all prints every op),
// SPACELOG_STORE_MODEL_SEEDS=<n> runs seeds 1..n, SPACELOG_STORE_MODEL_OPS=<n> gives each n ops.
import { STORE_CACHE_BYTES_DEFAULT } from "../../host/store/store-options.js";
import { type Core, loadCore } from "../../host/core/index.js";
import { ClosedError, InvalidArgumentError, PointDimensionsError, SpaceExistsError, UnknownSpaceError } from "../../host/errors.js";
import { Prng } from "../../host/sim/prng.js";
import { open } from "../../host/store/open-store.js";
import { type BatchOp, type QueryResult, type Store } from "../../host/store/store.js";
import { type StoreOptions } from "../../host/store/store-options.js";
import { propertySeed } from "../core/core-check.js";
import { makeTempDir, removeTempDir } from "../wal/temp-dir.js";

const SEED_COUNT = Number(process.env["SPACELOG_STORE_MODEL_SEEDS"] ?? 16);
/** Ops per seed, when set (else each seed picks a few hundred): longer runs for bug hunts. */
const OPS_OVERRIDE = process.env["SPACELOG_STORE_MODEL_OPS"];
/** Seeds with seed % IO_THREAD_EVERY === 0 run the I/O loop in its worker thread; the rest in-process. */
const IO_THREAD_EVERY = 5;
/** One store call that has not settled after this long is a hang: the failure names it. */
const OP_TIMEOUT_MS = 20_000;
const TRACE_LINES_SHOWN = 60;

/** What the seeds exercised, printed once at the end (to see that staging, promotion and seals happen). */
export const tally = { seeds: 0, ops: 0, records: 0, direct: 0, staged: 0, promoted: 0, seals: 0, explicitSeals: 0, opens: 0, recoveredTail: 0 };

// --- the model ---

interface ModelVersion {
  readonly revision: bigint;
  /** null: a delete. */
  readonly value: Uint8Array | null;
}

interface ModelCell {
  readonly key: bigint;
  readonly point: readonly number[];
  /** In revision order. */
  readonly versions: ModelVersion[];
}

interface ModelSpace {
  readonly name: string;
  readonly dims: number;
  readonly bits: number;
  readonly definedAt: bigint;
  readonly cells: Map<bigint, ModelCell>;
  /** Points written so far, to write and read again (collisions on purpose). */
  readonly used: number[][];
  /** Every revision that changed this space, ascending. */
  readonly changes: bigint[];
  /** Records written since the last explicit seal() of the space returned. */
  sinceExplicitSeal: number;
}

class Model {
  readonly spaces = new Map<string, ModelSpace>();
  /** The newest revision handed out (and, once every call settled, acknowledged). */
  last = 0n;

  constructor(private readonly core: Core) {}

  keyOf(space: ModelSpace, point: readonly number[]): bigint {
    return this.core.hilbertKey(space.dims, space.bits, point);
  }

  define(name: string, dims: number, bits: number): void {
    this.last += 1n;
    this.spaces.set(name, { name, dims, bits, definedAt: this.last, cells: new Map(), used: [], changes: [], sinceExplicitSeal: 0 });
  }

  /** Applies one put (value) or delete (null) at the next revision, which it returns. */
  apply(name: string, point: readonly number[], value: Uint8Array | null): bigint {
    const space = this.space(name);
    this.last += 1n;
    const key = this.keyOf(space, point);
    let cell = space.cells.get(key);
    if (cell === undefined) {
      cell = { key, point: [...point], versions: [] };
      space.cells.set(key, cell);
      space.used.push([...point]);
    }
    cell.versions.push({ revision: this.last, value: value === null ? null : value.slice() });
    space.changes.push(this.last);
    space.sinceExplicitSeal++;
    return this.last;
  }

  space(name: string): ModelSpace {
    const space = this.spaces.get(name);
    if (space === undefined) throw new Error(`model: no space ${name}`);
    return space;
  }

  /** The version a read at `revision` sees, deletes included. */
  versionAt(cell: ModelCell, revision: bigint): ModelVersion | undefined {
    let found: ModelVersion | undefined;
    for (const version of cell.versions) {
      if (version.revision > revision) break;
      found = version;
    }
    return found;
  }

  get(name: string, point: readonly number[], revision: bigint): Uint8Array | undefined {
    const space = this.space(name);
    const cell = space.cells.get(this.keyOf(space, point));
    return cell === undefined ? undefined : this.versionAt(cell, revision)?.value ?? undefined;
  }

  query(name: string, box: Box, revision: bigint, limit: number | undefined): ExpectedResult[] {
    const space = this.space(name);
    const out: Array<ExpectedResult & { key: bigint }> = [];
    for (const cell of space.cells.values()) {
      if (!cell.point.every((c, axis) => c >= (box.min[axis] ?? 0) && c <= (box.max[axis] ?? -1))) continue;
      const version = this.versionAt(cell, revision);
      if (version === undefined || version.value === null) continue;
      out.push({ key: cell.key, point: cell.point, value: version.value, revision: version.revision });
    }
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out.slice(0, limit ?? out.length).map(({ point, value, revision: r }) => ({ point, value, revision: r }));
  }

  /** Records (puts and deletes) of all spaces. */
  get records(): number {
    let n = 0;
    for (const space of this.spaces.values()) n += space.changes.length;
    return n;
  }
}

interface Box {
  readonly min: number[];
  readonly max: number[];
}

interface ExpectedResult {
  readonly point: readonly number[];
  readonly value: Uint8Array;
  readonly revision: bigint;
}

// --- a seed's options ---

interface SeedConfig {
  readonly seed: number;
  readonly ops: number;
  readonly durability: "sync" | "none" | { intervalMs: number };
  readonly ioThread: boolean;
  readonly io: "sync" | "threadpool";
  readonly sealRecords: number | undefined;
  readonly sealBytes: number | undefined;
  readonly sharedCore: boolean;
  /** Chance that a value is large (hundreds of bytes: sealBytes matters). */
  readonly bigValues: number;
  /** The chunk cache's budget: none, a few chunks (constant eviction), or the default. */
  readonly cacheBytes: number | undefined;
}

export function configOf(seed: number): SeedConfig {
  const prng = new Prng(seed).fork("config");
  const ioThread = seed % IO_THREAD_EVERY === 0;
  const durability = prng.pick<SeedConfig["durability"]>(["sync", "sync", "none", { intervalMs: 1 + prng.below(5) }]);
  const io = prng.pick<"sync" | "threadpool">(["sync", "threadpool"]);
  // Most seeds seal automatically every few records; some never do (then seal() is checked exactly).
  const thresholds = prng.below(5);
  const sealRecords = thresholds === 0 ? undefined : prng.between(2, 40);
  const sealBytes = thresholds === 0 || !prng.chance(0.3) ? undefined : prng.between(1024, 4096);
  return {
    seed, ops: OPS_OVERRIDE === undefined ? prng.between(ioThread ? 150 : 200, ioThread ? 220 : 320) : Number(OPS_OVERRIDE), durability, ioThread, io, sealRecords, sealBytes,
    sharedCore: prng.chance(0.3), bigValues: prng.pick([0, 0.05, 0.2]),
    // Its own fork, so that adding it left every other draw of a seed as it was.
    cacheBytes: new Prng(seed).fork("cache").pick<number | undefined>([undefined, 0, 300, 4096]),
  };
}

export function describeConfig(config: SeedConfig): string {
  return [
    `durability ${JSON.stringify(config.durability)}`,
    config.ioThread ? "I/O thread" : `in-process io ${config.io}`,
    `sealRecords ${config.sealRecords ?? "default"}`,
    `sealBytes ${config.sealBytes ?? "default"}`,
    config.sharedCore ? "shared core" : "own core",
    `cacheBytes ${config.cacheBytes ?? "default"}`,
    `${config.ops} ops`,
  ].join(", ");
}

export function seeds(): number[] {
  const only = propertySeed();
  if (only !== undefined) return [only];
  return Array.from({ length: SEED_COUNT }, (_, i) => 1 + i);
}

// --- helpers ---

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** JSON with bigints as "12n". */
function json(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
}

function hex(bytes: Uint8Array | undefined): string {
  if (bytes === undefined) return "undefined";
  const shown = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return bytes.byteLength > 8 ? `${shown}..(${bytes.byteLength}b)` : `${shown}(${bytes.byteLength}b)`;
}

function showResults(results: ReadonlyArray<{ readonly point: ArrayLike<number | bigint>; readonly value: Uint8Array; readonly revision: bigint }>): string {
  return results.map((r) => `[${Array.from(r.point).join(",")}]@${r.revision}=${hex(r.value)}`).join(" ") || "(none)";
}

function sameResults(actual: readonly QueryResult[], expected: readonly ExpectedResult[]): boolean {
  if (actual.length !== expected.length) return false;
  return actual.every((a, i) => {
    const e = expected[i];
    return e !== undefined && a.revision === e.revision && sameBytes(a.value, e.value)
      && a.point.length === e.point.length && a.point.every((c, axis) => c === e.point[axis]);
  });
}

async function collect(iterator: AsyncIterable<QueryResult>): Promise<QueryResult[]> {
  const out: QueryResult[] = [];
  for await (const result of iterator) out.push(result);
  return out;
}

/** `promise`, or a rejection naming `what` if it has not settled in OP_TIMEOUT_MS. */
export async function timed<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${OP_TIMEOUT_MS} ms`)), OP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The rejection of `promise`, which must reject with `type`. */
async function rejection<T extends Error>(what: string, promise: Promise<unknown>, type: abstract new (...args: never[]) => T): Promise<T> {
  let caught: unknown = undefined;
  let rejected = false;
  try {
    await timed(what, promise);
  } catch (error) {
    caught = error;
    rejected = true;
  }
  if (!rejected) throw new Error(`${what}: expected ${type.name}, but it succeeded`);
  if (!(caught instanceof type)) throw new Error(`${what}: expected ${type.name}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  return caught;
}

function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

// --- one seed ---

const SPACE_SHAPES: ReadonlyArray<{ dims: number; bits: number; weight: number }> = [
  { dims: 1, bits: 2, weight: 1 }, { dims: 1, bits: 4, weight: 2 }, { dims: 1, bits: 6, weight: 1 },
  { dims: 2, bits: 1, weight: 1 }, { dims: 2, bits: 2, weight: 3 }, { dims: 2, bits: 3, weight: 2 }, { dims: 2, bits: 6, weight: 1 },
  { dims: 3, bits: 1, weight: 1 }, { dims: 3, bits: 2, weight: 2 }, { dims: 3, bits: 3, weight: 1 },
  { dims: 4, bits: 1, weight: 2 }, { dims: 4, bits: 2, weight: 2 }, { dims: 4, bits: 3, weight: 1 },
];
const SPACES_MAX = 5;

class SeedRun {
  readonly prng: Prng;
  readonly model: Model;
  readonly trace: string[] = [];
  store: Store | null = null;
  /** Puts and deletes since this store was opened: stats().records.direct + staged. */
  sessionRecords = 0;
  /** The manifest generation open() found: every seal since adds one. */
  openGeneration = 0n;
  private spaceNames = 0;
  /** Explicit seals with records since open (a lower bound on stats().seals; exact without thresholds). */
  private sessionExplicitSeals = 0;
  private ops = 0;

  constructor(readonly config: SeedConfig, readonly core: Core, readonly dir: string, readonly storeCore: Core | undefined) {
    this.prng = new Prng(config.seed).fork("workload");
    this.session = config;
    this.model = new Model(core);
  }

  get autoSeals(): boolean {
    return this.config.sealRecords !== undefined || this.config.sealBytes !== undefined;
  }

  /**
   * This open's durability and loop: the seed's, or now and then (a reopen) others, as a program
   * may reopen its store with other options.
   */
  session: Pick<SeedConfig, "durability" | "ioThread" | "io">;

  options(): StoreOptions {
    const { config, session } = this;
    return {
      durability: session.durability,
      ioThread: session.ioThread,
      ...(session.ioThread ? {} : { io: session.io }),
      ...(config.sealRecords === undefined ? {} : { sealRecords: config.sealRecords }),
      ...(config.sealBytes === undefined ? {} : { sealBytes: config.sealBytes }),
      ...(config.cacheBytes === undefined ? {} : { cacheBytes: config.cacheBytes }),
      ...(this.storeCore === undefined ? {} : { core: this.storeCore }),
    };
  }

  log(line: string): void {
    this.trace.push(`#${this.ops} ${line}`);
  }

  get s(): Store {
    if (this.store === null) throw new Error("no store open");
    return this.store;
  }

  async openStore(): Promise<void> {
    this.log(`open (durability ${json(this.session.durability)}, ${this.session.ioThread ? "I/O thread" : `in-process io ${this.session.io}`})`);
    this.store = await timed("open", open(this.dir, this.options()));
    this.sessionRecords = 0;
    this.sessionExplicitSeals = 0;
    const stats = this.s.stats();
    tally.opens++;
    tally.recoveredTail += stats.recovery.tailRecords;
    this.openGeneration = stats.manifestGeneration;
    this.log(`  opened: recovery ${json(stats.recovery)}`);
    check(stats.recovery.tornTails.length === 0, () => `a clean close left torn tails: ${JSON.stringify(stats.recovery.tornTails)}`);
    check(stats.recovery.historyCut === null, () => `a clean close left a history cut: ${json(stats.recovery.historyCut)}`);
    check(stats.recovery.blocks === stats.blocks, () => `recovery reports ${stats.recovery.blocks} blocks, stats ${stats.blocks}`);
    this.checkSnapshot("after open");
    this.checkSpaces("after open");
    this.checkStats("after open");
  }

  async closeStore(): Promise<void> {
    this.log("close");
    const store = this.s;
    const stats = store.stats();
    tally.direct += stats.records.direct;
    tally.staged += stats.records.staged;
    tally.promoted += stats.records.promoted;
    tally.seals += stats.seals;
    tally.explicitSeals += this.sessionExplicitSeals;
    await timed("close", store.close());
    this.store = null;
    let refused = false;
    try {
      store.snapshot();
    } catch (error) {
      refused = error instanceof ClosedError;
    }
    check(refused, () => "snapshot() after close did not throw ClosedError");
  }

  // --- random choices ---

  randomPoint(space: ModelSpace): number[] {
    if (space.used.length > 0 && this.prng.chance(0.6)) return [...this.prng.pick(space.used)];
    const size = 2 ** space.bits;
    return Array.from({ length: space.dims }, () => this.prng.below(size));
  }

  randomValue(): Uint8Array {
    const length = this.prng.chance(this.config.bigValues) ? this.prng.between(200, 700) : this.prng.below(20);
    const bytes = new Uint8Array(length);
    this.prng.fill(bytes);
    return bytes;
  }

  randomSpace(): ModelSpace {
    return this.prng.pick([...this.model.spaces.values()]);
  }

  randomBox(space: ModelSpace): Box {
    const size = 2 ** space.bits;
    const min: number[] = [];
    const max: number[] = [];
    const kind = this.prng.below(6);
    for (let axis = 0; axis < space.dims; axis++) {
      if (kind === 0) {
        min.push(0);
        max.push(size - 1);
      } else if (kind === 1) {
        const c = this.prng.below(size);
        min.push(c);
        max.push(c);
      } else {
        const a = this.prng.below(size);
        const b = this.prng.below(size);
        min.push(Math.min(a, b));
        max.push(Math.max(a, b));
      }
    }
    return { min, max };
  }

  /** A read revision: undefined (the newest), the newest, or an older one. */
  randomRevision(): bigint | undefined {
    const pick = this.prng.below(4);
    if (pick === 0) return undefined;
    if (pick === 1) return this.model.last;
    return BigInt(this.prng.below(Number(this.model.last) + 1));
  }

  randomLimit(): number | undefined {
    return this.prng.chance(0.6) ? undefined : this.prng.below(6);
  }

  // --- checks ---

  checkSnapshot(what: string): void {
    const revision = this.s.snapshot().revision;
    check(revision === this.model.last, () => `${what}: snapshot().revision is ${revision}, the model's last revision is ${this.model.last}`);
  }

  checkSpaces(what: string): void {
    const actual = this.s.spaces();
    const expected = [...this.model.spaces.values()].map((s) => ({ name: s.name, dims: s.dims, bits: s.bits }));
    check(JSON.stringify(actual) === JSON.stringify(expected), () => `${what}: spaces() is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }

  checkStats(what: string): void {
    const stats = this.s.stats();
    const fail = (message: string): string => `${what}: stats() ${message}: ${json(stats)}`;
    check(stats.revision === this.model.last, () => fail(`revision is not the model's ${this.model.last}`));
    check(stats.spaces === this.model.spaces.size, () => fail(`spaces is not ${this.model.spaces.size}`));
    check(stats.records.direct + stats.records.staged === this.sessionRecords,
      () => fail(`records.direct + records.staged is not the ${this.sessionRecords} puts and deletes since open`));
    // Every seal here has records far below a block's maximum: one block and one manifest each.
    check(BigInt(stats.blocks) === stats.manifestGeneration, () => fail("blocks is not the manifest generation (one block per seal)"));
    check(BigInt(stats.seals) === stats.manifestGeneration - this.openGeneration, () => fail(`seals is not the seals since open (generation ${this.openGeneration} at open)`));
    if (this.autoSeals) check(stats.seals >= this.sessionExplicitSeals, () => fail(`seals is below the ${this.sessionExplicitSeals} explicit seals with records`));
    else check(stats.seals === this.sessionExplicitSeals, () => fail(`seals is not the ${this.sessionExplicitSeals} explicit seals with records (no thresholds)`));
    check(stats.ioThread === this.session.ioThread, () => fail("ioThread"));
    const kind = typeof this.session.durability === "string" ? this.session.durability : "interval";
    check(stats.durability.kind === kind, () => fail(`durability is not ${kind}`));
    const budget = this.config.cacheBytes ?? STORE_CACHE_BYTES_DEFAULT;
    check(stats.cache.budgetBytes === budget, () => fail(`cache.budgetBytes is not ${budget}`));
    // Past the budget only while one chunk larger than it is held alone (a chunk is at most 64 KiB here).
    check(stats.cache.bytes <= Math.max(budget, 64 * 1024) && (budget > 0 || stats.cache.bytes === 0), () => fail("cache.bytes is past its budget"));
  }

  async checkGet(name: string, point: readonly number[], revision: bigint | undefined, what = "get"): Promise<void> {
    const at = revision ?? this.model.last;
    const actual = await timed(what, this.s.get(name, point, revision === undefined ? {} : { revision }));
    const expected = this.model.get(name, point, at);
    check(sameBytes(actual, expected), () => `${what} ${name} [${point.join(",")}] at ${revision ?? "newest"}: got ${hex(actual)}, expected ${hex(expected)}`);
  }

  async checkQuery(name: string, box: Box, revision: bigint | undefined, limit: number | undefined, what = "query"): Promise<void> {
    const options = { ...(revision === undefined ? {} : { revision }), ...(limit === undefined ? {} : { limit }) };
    const actual = await timed(what, collect(this.s.query(name, box, options)));
    const expected = this.model.query(name, box, revision ?? this.model.last, limit);
    check(sameResults(actual, expected), () => `${what} ${name} box [${box.min.join(",")}]..[${box.max.join(",")}] at ${revision ?? "newest"} limit ${limit ?? "none"}:\n    got      ${showResults(actual)}\n    expected ${showResults(expected)}`);
  }

  /** Every point of every space at every revision that changed it (and the ones between): the whole history. */
  async checkEverything(what: string): Promise<string> {
    this.checkSnapshot(what);
    this.checkSpaces(what);
    const answers: string[] = [];
    for (const space of this.model.spaces.values()) {
      const full: Box = { min: new Array<number>(space.dims).fill(0), max: new Array<number>(space.dims).fill(2 ** space.bits - 1) };
      const revisions = new Set<bigint>([0n, space.definedAt, this.model.last]);
      for (const r of space.changes) {
        revisions.add(r);
        revisions.add(r - 1n);
      }
      for (const revision of [...revisions].sort((a, b) => (a < b ? -1 : 1))) {
        const options = { revision };
        const actual = await timed(`${what}: full query`, collect(this.s.query(space.name, full, options)));
        const expected = this.model.query(space.name, full, revision, undefined);
        check(sameResults(actual, expected), () => `${what}: ${space.name} (dims ${space.dims}, bits ${space.bits}) every point at revision ${revision}:\n    got      ${showResults(actual)}\n    expected ${showResults(expected)}`);
        answers.push(`${space.name}@${revision}: ${showResults(actual)}`);
      }
      // get's own path (readKey): each point at each of its versions and just before.
      for (const cell of space.cells.values()) {
        for (const version of cell.versions) {
          await this.checkGet(space.name, cell.point, version.revision, `${what}: get`);
          await this.checkGet(space.name, cell.point, version.revision - 1n, `${what}: get`);
        }
        await this.checkGet(space.name, cell.point, undefined, `${what}: get`);
      }
    }
    return answers.join("\n");
  }

  // --- ops ---

  async run(): Promise<void> {
    await this.openStore();
    await this.checkEverything("fresh store");
    for (this.ops = 1; this.ops <= this.config.ops; this.ops++) await this.step();
    this.ops++;
    // The end: seal everything, then reopen twice.
    await this.sealAll();
    await this.reopenTwice();
    await this.closeStore();
  }

  async step(): Promise<void> {
    if (this.model.spaces.size === 0 || (this.model.spaces.size < SPACES_MAX && this.prng.chance(0.04))) return this.createSpaceNew();
    const pick = this.prng.below(1000);
    if (pick < 220) return this.put();
    if (pick < 300) return this.delete();
    if (pick < 380) return this.writeBatch();
    if (pick < 410) return this.putMany();
    if (pick < 480) return this.burst();
    if (pick < 580) return this.get();
    if (pick < 680) return this.query();
    if (pick < 700) return this.queryAcrossWrites();
    if (pick < 730) return this.createSpaceAgain();
    if (pick < 770) return this.seal();
    if (pick < 800) return this.statsOp();
    if (pick < 830) return this.refused();
    if (pick < 840) return this.sealAll();
    if (pick < 865) return this.reopen();
    if (pick < 872) return this.reopenTwice();
    this.log("snapshot");
    this.checkSnapshot("snapshot");
  }

  randomShape(): { dims: number; bits: number } {
    const total = SPACE_SHAPES.reduce((n, s) => n + s.weight, 0);
    let roll = this.prng.below(total);
    const shape = SPACE_SHAPES.find((s) => (roll -= s.weight) < 0) ?? SPACE_SHAPES[0];
    if (shape === undefined) throw new Error("no space shapes");
    return shape;
  }

  async createSpaceNew(): Promise<void> {
    const shape = this.randomShape();
    const name = `s${++this.spaceNames}-${shape.dims}d${shape.bits}b`;
    this.log(`createSpace ${name} dims ${shape.dims} bits ${shape.bits}`);
    const info = await timed("createSpace", this.s.createSpace(name, { dims: shape.dims, bits: shape.bits }));
    this.model.define(name, shape.dims, shape.bits);
    check(info.name === name && info.dims === shape.dims && info.bits === shape.bits, () => `createSpace returned ${JSON.stringify(info)}`);
    this.checkSnapshot(`createSpace ${name} takes one revision`);
  }

  async createSpaceAgain(): Promise<void> {
    const space = this.randomSpace();
    if (this.prng.chance(0.5)) {
      this.log(`createSpace ${space.name} again, same definition`);
      const info = await timed("createSpace again", this.s.createSpace(space.name, { dims: space.dims, bits: space.bits }));
      check(info.name === space.name && info.dims === space.dims && info.bits === space.bits, () => `createSpace again returned ${JSON.stringify(info)}`);
    } else {
      const other = this.prng.chance(0.5) ? { dims: space.dims, bits: space.bits === 1 ? 2 : space.bits - 1 } : { dims: space.dims === 1 ? 2 : space.dims - 1, bits: space.bits };
      this.log(`createSpace ${space.name} again as dims ${other.dims} bits ${other.bits}: SpaceExistsError`);
      const error = await rejection("createSpace with another definition", this.s.createSpace(space.name, other), SpaceExistsError);
      check(error.space === space.name, () => `SpaceExistsError names ${error.space}`);
    }
    this.checkSnapshot("createSpace of an existing space takes no revision");
    this.checkSpaces("createSpace of an existing space");
  }

  async put(): Promise<void> {
    const space = this.randomSpace();
    const point = this.randomPoint(space);
    const value = this.randomValue();
    this.log(`put ${space.name} [${point.join(",")}] ${hex(value)}`);
    const written = value.slice();
    const call = this.s.put(space.name, point, value);
    value.fill(0xee); // the caller may reuse its buffer once the call returns: the store copied it
    const revision = await timed("put", call);
    const expected = this.model.apply(space.name, point, written);
    this.sessionRecords++;
    check(revision === expected, () => `put returned revision ${revision}, expected ${expected}`);
    if (this.prng.chance(0.3)) await this.checkGet(space.name, point, undefined, "get after put");
  }

  async delete(): Promise<void> {
    const space = this.randomSpace();
    const point = this.randomPoint(space);
    this.log(`delete ${space.name} [${point.join(",")}]`);
    const revision = await timed("delete", this.s.delete(space.name, point));
    const expected = this.model.apply(space.name, point, null);
    this.sessionRecords++;
    check(revision === expected, () => `delete returned revision ${revision}, expected ${expected}`);
    if (this.prng.chance(0.3)) await this.checkGet(space.name, point, undefined, "get after delete");
  }

  randomBatch(): Array<{ op: BatchOp; space: string; point: number[]; value: Uint8Array | null }> {
    const length = this.prng.between(1, 8);
    const out: Array<{ op: BatchOp; space: string; point: number[]; value: Uint8Array | null }> = [];
    for (let i = 0; i < length; i++) {
      const previous = out[out.length - 1];
      // Sometimes the previous op's space, and then sometimes its point again: the later revision wins.
      const spaceName = previous !== undefined && this.prng.chance(0.3) ? previous.space : this.randomSpace().name;
      const space = this.model.space(spaceName);
      const fixedPoint = previous !== undefined && previous.space === spaceName && this.prng.chance(0.4) ? [...previous.point] : this.randomPoint(space);
      if (this.prng.chance(0.7)) {
        const value = this.randomValue();
        out.push({ op: { put: spaceName, point: fixedPoint, value }, space: spaceName, point: fixedPoint, value: value.slice() });
      } else {
        out.push({ op: { delete: spaceName, point: fixedPoint }, space: spaceName, point: fixedPoint, value: null });
      }
    }
    return out;
  }

  describeBatch(batch: ReadonlyArray<{ space: string; point: number[]; value: Uint8Array | null }>): string {
    return batch.map((b) => `${b.value === null ? "del" : "put"} ${b.space} [${b.point.join(",")}]${b.value === null ? "" : ` ${hex(b.value)}`}`).join("; ");
  }

  async writeBatch(): Promise<void> {
    const batch = this.randomBatch();
    this.log(`write [${this.describeBatch(batch)}]`);
    const result = await timed("write", this.s.write(batch.map((b) => b.op)));
    const first = this.model.last + 1n;
    for (const b of batch) this.model.apply(b.space, b.point, b.value);
    this.sessionRecords += batch.length;
    check(result.first === first && result.last === this.model.last, () => `write returned ${result.first}..${result.last}, expected ${first}..${this.model.last}`);
    this.checkSnapshot("after write");
    if (this.prng.chance(0.3)) {
      const b = this.prng.pick(batch);
      await this.checkGet(b.space, b.point, undefined, "get after write");
    }
  }

  async putMany(): Promise<void> {
    const space = this.randomSpace();
    const entries = Array.from({ length: this.prng.between(1, 6) }, () => ({ point: this.randomPoint(space), value: this.randomValue() }));
    this.log(`putMany ${space.name} [${entries.map((e) => `[${e.point.join(",")}] ${hex(e.value)}`).join("; ")}]`);
    const result = await timed("putMany", this.s.putMany(space.name, entries));
    const first = this.model.last + 1n;
    for (const e of entries) this.model.apply(space.name, e.point, e.value);
    this.sessionRecords += entries.length;
    check(result.first === first && result.last === this.model.last, () => `putMany returned ${result.first}..${result.last}, expected ${first}..${this.model.last}`);
  }

  /** Un-awaited calls in a row, awaited together: revisions in call order; a read pinned at the revision before them. */
  async burst(): Promise<void> {
    const before = this.model.last;
    const calls: Array<{ what: string; promise: Promise<unknown>; check: (value: unknown) => void }> = [];
    const count = this.prng.between(2, 12);
    this.log(`burst of ${count} calls (reads pinned at ${before})`);
    for (let i = 0; i < count; i++) {
      const kind = this.prng.below(11);
      const space = this.randomSpace();
      if (kind < 4) {
        const point = this.randomPoint(space);
        const value = this.randomValue();
        this.log(`  put ${space.name} [${point.join(",")}] ${hex(value)}`);
        const promise = this.s.put(space.name, point, value);
        const expected = this.model.apply(space.name, point, value);
        this.sessionRecords++;
        calls.push({ what: "put", promise, check: (r) => check(r === expected, () => `burst put returned ${String(r)}, expected ${expected}`) });
      } else if (kind < 6) {
        const point = this.randomPoint(space);
        this.log(`  delete ${space.name} [${point.join(",")}]`);
        const promise = this.s.delete(space.name, point);
        const expected = this.model.apply(space.name, point, null);
        this.sessionRecords++;
        calls.push({ what: "delete", promise, check: (r) => check(r === expected, () => `burst delete returned ${String(r)}, expected ${expected}`) });
      } else if (kind < 8) {
        const batch = this.randomBatch();
        this.log(`  write [${this.describeBatch(batch)}]`);
        const promise = this.s.write(batch.map((b) => b.op));
        const first = this.model.last + 1n;
        for (const b of batch) this.model.apply(b.space, b.point, b.value);
        const last = this.model.last;
        this.sessionRecords += batch.length;
        calls.push({
          what: "write", promise, check: (r) => {
            const result = r as { first: bigint; last: bigint };
            check(result.first === first && result.last === last, () => `burst write returned ${result.first}..${result.last}, expected ${first}..${last}`);
          },
        });
      } else if (kind < 9 && this.prng.chance(0.3)) {
        const point = this.randomPoint(space);
        const expected = this.model.get(space.name, point, before);
        this.log(`  get ${space.name} [${point.join(",")}] at ${before}`);
        const promise = this.s.get(space.name, point, { revision: before });
        calls.push({ what: "get", promise, check: (r) => check(sameBytes(r as Uint8Array | undefined, expected), () => `burst get ${space.name} [${point.join(",")}] at ${before}: got ${hex(r as Uint8Array | undefined)}, expected ${hex(expected)}`) });
      } else if (kind < 9) {
        // A read pinned at the revision before the burst: the writes in flight do not show.
        const box = this.randomBox(space);
        const limit = this.randomLimit();
        const expected = this.modelQueryAt(space.name, box, before, limit);
        this.log(`  query ${space.name} [${box.min.join(",")}]..[${box.max.join(",")}] at ${before} limit ${limit ?? "none"}`);
        const promise = collect(this.s.query(space.name, box, { revision: before, ...(limit === undefined ? {} : { limit }) }));
        calls.push({
          what: "query", promise, check: (r) => {
            const actual = r as QueryResult[];
            check(sameResults(actual, expected), () => `burst query ${space.name} at ${before}:\n    got      ${showResults(actual)}\n    expected ${showResults(expected)}`);
          },
        });
      } else if (kind === 10 && this.model.spaces.size < SPACES_MAX) {
        // A new space and a put to it at once: the put need not wait for the definition.
        const shape = this.randomShape();
        const name = `s${++this.spaceNames}-${shape.dims}d${shape.bits}b`;
        this.log(`  createSpace ${name} dims ${shape.dims} bits ${shape.bits}`);
        const created = this.s.createSpace(name, { dims: shape.dims, bits: shape.bits });
        this.model.define(name, shape.dims, shape.bits);
        calls.push({ what: "createSpace", promise: created, check: () => undefined });
        const point = this.randomPoint(this.model.space(name));
        const value = this.randomValue();
        this.log(`  put ${name} [${point.join(",")}] ${hex(value)}`);
        const promise = this.s.put(name, point, value);
        const expected = this.model.apply(name, point, value);
        this.sessionRecords++;
        calls.push({ what: "put", promise, check: (r) => check(r === expected, () => `burst put returned ${String(r)}, expected ${expected}`) });
      } else {
        this.log(`  seal ${space.name}`);
        const promise = this.s.seal(space.name);
        calls.push({
          what: "seal", promise, check: (r) => {
            const result = r as { revision: bigint; blocks: number; records: number };
            check(result.revision >= before, () => `burst seal sealed through ${result.revision}, below ${before}`);
            check(result.blocks === (result.records > 0 ? 1 : 0), () => `burst seal: ${json(result)}`);
            if (result.records > 0) this.sessionExplicitSeals++;
          },
        });
      }
    }
    const settled = await timed("burst", Promise.allSettled(calls.map((c) => c.promise)));
    settled.forEach((outcome, i) => {
      const call = calls[i];
      if (call === undefined) return;
      if (outcome.status === "rejected") throw new Error(`burst call ${i} (${call.what}) rejected: ${outcome.reason instanceof Error ? outcome.reason.stack : String(outcome.reason)}`);
      call.check(outcome.value);
    });
    this.checkSnapshot("after burst");
    const seals = calls.filter((c) => c.what === "seal").length;
    if (seals > 0) for (const space of this.model.spaces.values()) space.sinceExplicitSeal = Number.POSITIVE_INFINITY;
  }

  /** The model's answer at `revision`, computed now (before later writes of a burst are applied). */
  modelQueryAt(name: string, box: Box, revision: bigint, limit: number | undefined): ExpectedResult[] {
    return this.model.query(name, box, revision, limit);
  }

  async get(): Promise<void> {
    const space = this.randomSpace();
    const point = this.randomPoint(space);
    const revision = this.randomRevision();
    this.log(`get ${space.name} [${point.join(",")}] at ${revision ?? "newest"}`);
    await this.checkGet(space.name, point, revision);
  }

  async query(): Promise<void> {
    const space = this.randomSpace();
    const box = this.randomBox(space);
    const revision = this.randomRevision();
    const limit = this.randomLimit();
    this.log(`query ${space.name} [${box.min.join(",")}]..[${box.max.join(",")}] at ${revision ?? "newest"} limit ${limit ?? "none"}`);
    await this.checkQuery(space.name, box, revision, limit);
  }

  /**
   * A query whose first result is read before writes, a seal and more writes, and the rest after
   * them: a query reads the view it started with, so the answer is the model's at its revision.
   */
  async queryAcrossWrites(): Promise<void> {
    const space = this.randomSpace();
    const box = this.prng.chance(0.5) ? { min: new Array<number>(space.dims).fill(0), max: new Array<number>(space.dims).fill(2 ** space.bits - 1) } : this.randomBox(space);
    const pinned = this.prng.chance(0.5);
    const at = pinned ? BigInt(this.prng.below(Number(this.model.last) + 1)) : this.model.last;
    const expected = this.model.query(space.name, box, at, undefined);
    this.log(`query ${space.name} [${box.min.join(",")}]..[${box.max.join(",")}] at ${pinned ? at : `newest (${at})`}, held across writes and a seal`);
    const iterator = this.s.query(space.name, box, pinned ? { revision: at } : {});
    const actual: QueryResult[] = [];
    const first = await timed("query's first result", iterator.next());
    if (first.done !== true) actual.push(first.value);
    for (let i = 0, n = this.prng.between(1, 4); i < n; i++) {
      if (this.prng.chance(0.5)) await this.put();
      else await this.delete();
    }
    if (this.prng.chance(0.7)) {
      this.log(`  seal ${space.name} while the query is held`);
      const result = await timed("seal", this.s.seal(space.name));
      if (result.records > 0) this.sessionExplicitSeals++;
      space.sinceExplicitSeal = 0;
    }
    await this.writeBatch();
    for (;;) {
      const next = await timed("query's next result", iterator.next());
      if (next.done === true) break;
      actual.push(next.value);
    }
    check(sameResults(actual, expected), () => `query held across writes and a seal, ${space.name} at ${at}:\n    got      ${showResults(actual)}\n    expected ${showResults(expected)}`);
  }

  async seal(): Promise<void> {
    const space = this.randomSpace();
    this.log(`seal ${space.name}`);
    const result = await timed("seal", this.s.seal(space.name));
    this.log(`  sealed ${result.records} records through ${result.revision} in ${result.blocks} blocks`);
    check(result.revision === this.model.last, () => `seal sealed through ${result.revision}, expected the newest revision ${this.model.last}`);
    check(result.blocks === (result.records > 0 ? 1 : 0), () => `seal made ${result.blocks} blocks for ${result.records} records`);
    const since = space.sinceExplicitSeal;
    if (this.autoSeals || !Number.isFinite(since)) {
      check(result.records <= since, () => `seal sealed ${result.records} records, but only ${since} were written since the last seal`);
    } else {
      check(result.records === since, () => `seal sealed ${result.records} records, expected the ${since} written since the last seal (no thresholds)`);
    }
    if (result.records > 0) this.sessionExplicitSeals++;
    space.sinceExplicitSeal = 0;
    // A second seal right away has nothing to seal.
    if (this.prng.chance(0.3)) {
      const again = await timed("seal again", this.s.seal(space.name));
      check(again.records === 0 && again.blocks === 0 && again.revision === this.model.last, () => `a second seal found ${again.records} records through ${again.revision}`);
    }
    this.checkStats("after seal");
  }

  /** Every space sealed: no seal left in flight, every tail empty. */
  async sealAll(): Promise<void> {
    this.log("seal every space");
    for (const space of this.model.spaces.values()) {
      const result = await timed("seal", this.s.seal(space.name));
      check(result.revision === this.model.last, () => `seal ${space.name} sealed through ${result.revision}, expected ${this.model.last}`);
      if (!this.autoSeals && Number.isFinite(space.sinceExplicitSeal)) {
        check(result.records === space.sinceExplicitSeal, () => `seal ${space.name} sealed ${result.records} records, expected ${space.sinceExplicitSeal}`);
      }
      if (result.records > 0) this.sessionExplicitSeals++;
      space.sinceExplicitSeal = 0;
    }
    const stats = this.s.stats();
    check(stats.tailRecords === 0, () => `every space sealed, yet stats().tailRecords is ${stats.tailRecords}`);
    this.checkStats("after sealing every space");
  }

  async statsOp(): Promise<void> {
    this.log("stats");
    this.checkStats("stats");
  }

  /** Calls that must be refused and change nothing. */
  async refused(): Promise<void> {
    const space = this.randomSpace();
    const kind = this.prng.below(6);
    const point = this.randomPoint(space);
    if (kind === 0) {
      this.log("put to an unknown space: UnknownSpaceError");
      await rejection("put to an unknown space", this.s.put("no-such-space", point, new Uint8Array(1)), UnknownSpaceError);
    } else if (kind === 1) {
      this.log(`put ${space.name} with ${space.dims + 1} coordinates: PointDimensionsError`);
      await rejection("put with too many coordinates", this.s.put(space.name, [...point, 0], new Uint8Array(1)), PointDimensionsError);
    } else if (kind === 2) {
      // A batch with one bad op: nothing of it is written.
      const batch = this.randomBatch().map((b) => b.op);
      const bad: BatchOp = { put: space.name, point: point.map(() => 2 ** space.bits), value: new Uint8Array(1) };
      batch.splice(this.prng.below(batch.length + 1), 0, bad);
      this.log(`write of ${batch.length} ops, one with a coordinate out of range: refused`);
      let refusedBatch = false;
      try {
        await timed("bad write", this.s.write(batch));
      } catch (error) {
        refusedBatch = error instanceof RangeError || error instanceof InvalidArgumentError;
        if (!refusedBatch) throw error;
      }
      check(refusedBatch, () => "a batch with a coordinate out of range was written");
    } else if (kind === 3) {
      this.log(`get ${space.name} at ${this.model.last + 1n}, past the newest: InvalidArgumentError`);
      await rejection("get past the newest", this.s.get(space.name, point, { revision: this.model.last + 1n }), InvalidArgumentError);
    } else if (kind === 4) {
      this.log(`query ${space.name} with min above max: InvalidArgumentError`);
      const size = 2 ** space.bits;
      const box = { min: point.map(() => size - 1), max: point.map(() => 0) };
      if (size > 1) await rejection("query with min above max", collect(this.s.query(space.name, box)), InvalidArgumentError);
    } else {
      this.log("write of an empty batch: InvalidArgumentError");
      await rejection("write([])", this.s.write([]), InvalidArgumentError);
    }
    this.checkSnapshot("after a refused call");
  }

  async reopen(): Promise<void> {
    if (this.prng.chance(0.5)) await this.closeWithWritesInFlight();
    else await this.closeStore();
    const other = this.prng.chance(0.25);
    const durability = this.prng.pick<SeedConfig["durability"]>(["sync", "none", { intervalMs: 1 + this.prng.below(5) }]);
    const ioThread = this.prng.chance(0.2);
    const io = this.prng.pick<"sync" | "threadpool">(["sync", "threadpool"]);
    this.session = other ? { durability, ioThread, io } : this.config;
    await this.openStore();
    await this.checkEverything("after reopen");
  }

  /** Writes (and maybe a seal) called and not awaited, then close(): every call made before close succeeds. */
  async closeWithWritesInFlight(): Promise<void> {
    const calls: Array<{ what: string; promise: Promise<unknown>; expected: bigint | null }> = [];
    const count = this.prng.between(1, 8);
    this.log(`close with ${count} calls in flight`);
    for (let i = 0; i < count; i++) {
      const space = this.randomSpace();
      const point = this.randomPoint(space);
      const kind = this.prng.below(4);
      if (kind === 0) {
        this.log(`  seal ${space.name}`);
        calls.push({ what: "seal", promise: this.s.seal(space.name), expected: null });
        space.sinceExplicitSeal = Number.POSITIVE_INFINITY;
      } else if (kind === 1) {
        this.log(`  delete ${space.name} [${point.join(",")}]`);
        calls.push({ what: "delete", promise: this.s.delete(space.name, point), expected: this.model.apply(space.name, point, null) });
        this.sessionRecords++;
      } else {
        const value = this.randomValue();
        this.log(`  put ${space.name} [${point.join(",")}] ${hex(value)}`);
        calls.push({ what: "put", promise: this.s.put(space.name, point, value), expected: this.model.apply(space.name, point, value) });
        this.sessionRecords++;
      }
    }
    const closing = this.closeStore();
    const settled = await timed("calls in flight at close", Promise.allSettled(calls.map((c) => c.promise)));
    await closing;
    settled.forEach((outcome, i) => {
      const call = calls[i];
      if (call === undefined) return;
      if (outcome.status === "rejected") throw new Error(`${call.what} called before close() rejected: ${outcome.reason instanceof Error ? outcome.reason.stack : String(outcome.reason)}`);
      if (call.expected !== null) check(outcome.value === call.expected, () => `${call.what} called before close() returned ${String(outcome.value)}, expected ${call.expected}`);
    });
  }

  /** Two reopens without a write between: the same answers (and the model's). */
  async reopenTwice(): Promise<void> {
    await this.closeStore();
    await this.openStore();
    const first = await this.checkEverything("after the first of two reopens");
    const firstRecovery = this.s.stats().recovery;
    await this.closeStore();
    await this.openStore();
    const second = await this.checkEverything("after the second of two reopens");
    const secondRecovery = this.s.stats().recovery;
    check(first === second, () => "two reopens without writes answered differently");
    check(firstRecovery.blocks === secondRecovery.blocks && firstRecovery.manifestGeneration === secondRecovery.manifestGeneration
      && firstRecovery.tailRecords === secondRecovery.tailRecords,
    () => `two reopens without writes recovered differently: ${firstRecovery.blocks}/${firstRecovery.manifestGeneration}/${firstRecovery.tailRecords} then ${secondRecovery.blocks}/${secondRecovery.manifestGeneration}/${secondRecovery.tailRecords}`);
  }
}

export async function runSeed(seed: number): Promise<{ ms: number; records: number; revision: bigint }> {
  const config = configOf(seed);
  const core = await loadCore();
  const storeCore = config.sharedCore ? await loadCore() : undefined;
  const dir = makeTempDir(`store-model-${seed}`);
  const run = new SeedRun(config, core, `${dir}/store`, storeCore);
  const started = Date.now();
  try {
    await run.run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const trace = process.env["SPACELOG_STORE_MODEL_TRACE"] === "all" ? run.trace : run.trace.slice(-TRACE_LINES_SHOWN);
    if (run.store !== null) {
      await timed("close after a failure", run.store.close()).catch(() => undefined);
      run.store = null;
    }
    throw new Error(
      `store model seed ${seed} (replay: SPACELOG_SEED=${seed}${OPS_OVERRIDE === undefined ? "" : ` SPACELOG_STORE_MODEL_OPS=${OPS_OVERRIDE}`}; ${describeConfig(config)}): ${message}\n` +
      `  directory kept: ${dir}\n  last ${trace.length} of ${run.trace.length} trace lines:\n    ${trace.join("\n    ")}`,
      { cause: error });
  }
  removeTempDir(dir);
  tally.seeds++;
  tally.ops += config.ops;
  tally.records += run.model.records;
  return { ms: Date.now() - started, records: run.model.records, revision: run.model.last };
}

