// Child process for log-proof.test.ts: appends `count` entries with the given durability, makes
// them durable the way that mode does (sync() for "none"; an acknowledgement then idleness for
// "sync"; an interval or three for { intervalMs }), prints READY, and waits to be SIGKILLed.
import { openLog } from "../../host/wal/index.js";

const [dir, mode, countText] = process.argv.slice(2);
const count = Number(countText ?? "2000");

async function main(): Promise<void> {
  const durability = mode === "interval" ? { intervalMs: 20 } : mode === "none" ? "none" : "sync";
  const log = await openLog(dir ?? "", { durability });
  await Promise.all(Array.from({ length: count }, (_, i) => log.append(new Uint8Array(40).fill(i & 0xff))));
  if (mode === "none") await log.sync();
  await new Promise((resolve) => setTimeout(resolve, mode === "interval" ? 200 : 100));
  process.stdout.write(`READY ${log.position} ${log.syncedPosition}\n`);
  setInterval(() => undefined, 1000);
}

if (dir !== undefined) await main();
