// Child process for the SIGKILL test: appends with durability "sync" from several concurrent
// writers and prints "ACK <run> <counter>" for each acknowledged entry, until it is killed.
// Each entry's bytes are [run u32][counter u32][crc32 of those 8 bytes u32] + padding, so the
// parent can tell an entry this child wrote from anything else.
import * as zlib from "node:zlib";
import { openLog } from "../../host/wal/index.js";

const [dir, runText, writersText] = process.argv.slice(2);
const run = Number(runText);
const writers = Number(writersText ?? "8");

export function entryBytes(runId: number, counter: number): Uint8Array {
  const bytes = new Uint8Array(12 + (counter % 97));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, runId, true);
  view.setUint32(4, counter, true);
  view.setUint32(8, zlib.crc32(bytes.subarray(0, 8)), true);
  return bytes;
}

async function main(): Promise<void> {
  const log = await openLog(dir ?? "", { durability: "sync", segmentSizeMax: 64 * 1024 });
  let next = 0;
  await Promise.all(Array.from({ length: writers }, async () => {
    for (;;) {
      const counter = next++;
      await log.append(entryBytes(run, counter));
      process.stdout.write(`ACK ${run} ${counter}\n`);
    }
  }));
}

if (dir !== undefined) await main();
