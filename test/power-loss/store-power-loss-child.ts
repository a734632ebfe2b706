// The process the power-loss stage's store variants kill (store-power-loss-main.ts): the store
// workload of test/store/store-kill-workload.ts on a directory under the LazyFS mount.
// Usage: node dist/test/power-loss/store-power-loss-child.js <dir> <options JSON>
import { storeKillChildMain } from "../store/store-kill-workload.js";

await storeKillChildMain(process.argv.slice(2));
