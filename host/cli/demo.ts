// `npm start`: a short demo of the store on a local folder (./data, or the first argument).
// Run again on the same folder, it continues the history: the revisions go on from where the
// last run stopped, and the older points are still there (and readable at their old revisions).
import { open, type Store } from "../store/index.js";

const SPACE = "world";
const BITS = 20;
const WRITERS = 256;
const WRITE_MS = 2000;

function randomPoint(next: () => number): number[] {
  return [next() & 0xfffff, next() & 0xfffff, next() & 0xfffff];
}

function xorshift(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

async function countBox(db: Store, box: { min: number[]; max: number[] }, revision: bigint): Promise<number> {
  let count = 0;
  for await (const found of db.query(SPACE, box, { revision })) {
    if (found.revision > revision) throw new Error("a query returned a version above its read revision");
    count++;
  }
  return count;
}

function describeRecovery(db: Store): string {
  const { recovery } = db.stats();
  const torn = recovery.tornTails.map((t) => `${t.file} cut at ${t.offset} (${t.bytes} bytes)`).join(", ");
  return `manifest generation ${recovery.manifestGeneration}, ${recovery.blocks} blocks, ${recovery.tailRecords} unsealed records replayed` +
    (torn === "" ? ", no torn tail" : `, torn tails: ${torn}`) +
    (recovery.historyCut === null ? "" : `, history cut from revision ${recovery.historyCut.firstMissing}`) +
    (recovery.removed.length === 0 ? "" : `, removed ${recovery.removed.join(", ")}`);
}

async function main(dir: string): Promise<void> {
  let started = performance.now();
  let db = await open(dir, { durability: "sync" });
  console.log(`opened ${dir} in ${(performance.now() - started).toFixed(1)} ms: ${describeRecovery(db)}`);
  const space = await db.createSpace(SPACE, { dims: 3, bits: BITS });
  const before = db.snapshot().revision;
  console.log(`space "${space.name}": ${space.dims} dims x ${space.bits} bits; the history so far ends at revision ${before}`);

  // Concurrent writers, each awaiting its own durable acknowledgement.
  const value = new Uint8Array(128).fill(7);
  let puts = 0;
  started = performance.now();
  const until = started + WRITE_MS;
  await Promise.all(Array.from({ length: WRITERS }, async (_, writer) => {
    const next = xorshift(writer + 1 + Number(before % 1_000_000n));
    while (performance.now() < until) {
      await db.put(SPACE, randomPoint(next), value);
      puts++;
    }
  }));
  let seconds = (performance.now() - started) / 1000;
  console.log(`${WRITERS} writers: ${puts} durable puts in ${seconds.toFixed(2)} s = ${(puts / seconds / 1000).toFixed(1)} k puts/s (fdatasync before each acknowledgement)`);

  const next = xorshift(Number(before % 1_000_000n) + 7);
  started = performance.now();
  const batch = Array.from({ length: 1000 }, () => ({ put: SPACE, point: randomPoint(next), value }));
  const written = await db.write(batch);
  console.log(`one atomic batch of 1000 puts: revisions ${written.first}..${written.last}, durable in ${(performance.now() - started).toFixed(1)} ms`);

  started = performance.now();
  const sealed = await db.seal(SPACE);
  seconds = (performance.now() - started) / 1000;
  console.log(`seal: ${sealed.records} records through revision ${sealed.revision} into ${sealed.blocks} block(s) in ${(seconds * 1000).toFixed(0)} ms` +
    (sealed.records > 0 ? ` (${(sealed.records / seconds / 1e6).toFixed(2)} M records/s, sorted and written durably)` : ""));

  const newest = db.snapshot().revision;
  const side = 1 << (BITS - 3); // an eighth of each axis: 1/512 of the space
  const box = { min: [0, 0, 0], max: [side, side, side] };
  started = performance.now();
  const now = await countBox(db, box, newest);
  const then = await countBox(db, box, before);
  console.log(`box [0..${side}]^3: ${now} points at revision ${newest}, ${then} at revision ${before} (before this run); ${(performance.now() - started).toFixed(1)} ms for both`);

  const runStats = db.stats();
  await db.close();
  started = performance.now();
  db = await open(dir, { durability: "sync" });
  console.log(`closed and reopened in ${(performance.now() - started).toFixed(1)} ms: ${describeRecovery(db)}`);
  const again = await countBox(db, box, newest);
  if (again !== now) throw new Error(`after reopening, the box holds ${again} points instead of ${now}`);
  const stats = db.stats();
  console.log(`figures: revision ${stats.revision}, ${stats.spaces} space(s), ${stats.blocks} block(s), ${stats.tailRecords} unsealed records in memory; ` +
    `before the reopen this run wrote ${runStats.records.direct} records direct to the hot segment, ${runStats.records.staged} staged, ${runStats.records.promoted} promoted, in ${runStats.seals} seal(s)`);
  await db.close();
  console.log(`run again to continue the history in ${dir}`);
}

await main(process.argv[2] ?? "./data");
