// The process store-sigkill.test.ts kills: the store workload of store-kill-workload.ts on a
// directory on the real disk. Usage: node dist/test/store/store-kill-child.js <dir> <options JSON>
import { storeKillChildMain } from "./store-kill-workload.js";

await storeKillChildMain(process.argv.slice(2));
