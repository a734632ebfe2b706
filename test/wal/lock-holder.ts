// Child process for the LOCK tests: opens the log in argv[2], appends one entry, prints
// "OPEN <entries>" (the entries it replayed, its own included) and then either holds the log
// open until it is killed ("hold") or closes it and exits ("close"). An open that fails prints
// "FAILED <code>" and exits 0, so the parent reads the outcome from stdout.
import { openLog } from "../../host/wal/index.js";

const [dir, mode] = process.argv.slice(2);

async function main(): Promise<void> {
  let log;
  try {
    log = await openLog(dir ?? "", { durability: "sync" });
  } catch (error) {
    process.stdout.write(`FAILED ${error instanceof Error && "code" in error ? String(error.code) : String(error)}\n`);
    return;
  }
  await log.append(new TextEncoder().encode(`opened by ${process.pid}`));
  let entries = 0;
  for await (const _ of log.replay()) entries++;
  process.stdout.write(`OPEN ${entries}\n`);
  if (mode === "hold") {
    setInterval(() => undefined, 60_000); // until SIGKILL
    return;
  }
  await log.close();
}

if (dir !== undefined) await main();
