// The process the power-loss stage kills: opens the log in `dir` as its variant says and appends
// from many concurrent writers, printing "ACK <lsn> <counter>" as soon as each append resolves.
// The entry's bytes are stageEntryBytes(round, counter, powerLossEntrySize(variant, counter)), so
// the parent knows exactly what every acknowledged LSN must hold.
//
// Usage: node dist/test/power-loss/power-loss-child.js <dir> <round> <variant> [<child options JSON>]
// Lines: "OPEN <nextLsn>" once the log is open, then ACK lines; the control's child then "QUIET".
import { openLog } from "../../host/wal/index.js";
import { stageEntryBytes } from "../stages/stage-entries.js";
import {
  CONTROL_BATCH_ENTRIES, CONTROL_QUIET_MS, POWER_LOSS_VARIANTS, type PowerLossChildOptions, type PowerLossVariantName, powerLossEntrySize,
} from "./power-loss-variants.js";

const [dir, roundText, variantText, childOptionsText] = process.argv.slice(2);
if (dir === undefined || roundText === undefined || !(variantText !== undefined && variantText in POWER_LOSS_VARIANTS)) {
  throw new Error("usage: power-loss-child.js <dir> <round> <thread|in-process|rotation|control>");
}
const round = Number(roundText);
const variant = POWER_LOSS_VARIANTS[variantText as PowerLossVariantName];

const childOptions = JSON.parse(childOptionsText ?? "{}") as PowerLossChildOptions;
const log = await openLog(dir, { ...variant.options, ...childOptions });
process.stdout.write(`OPEN ${log.nextLsn}\n`);
let next = 0;

async function appendOne(counter: number): Promise<void> {
  const lsn = await log.append(stageEntryBytes(round, counter, powerLossEntrySize(variant.name, counter)));
  process.stdout.write(`ACK ${lsn} ${counter}\n`);
}

if (variant.control) {
  await Promise.all(Array.from({ length: CONTROL_BATCH_ENTRIES }, () => appendOne(next++)));
  await new Promise((resolve) => setTimeout(resolve, CONTROL_QUIET_MS));
  process.stdout.write("QUIET\n");
  // The open log's I/O loop keeps the process alive until the parent kills it.
} else {
  // Endless by design: the parent SIGKILLs this process.
  await Promise.all(Array.from({ length: variant.writers }, async () => {
    for (;;) await appendOne(next++);
  }));
}
