// The store in whatever runtime runs the checks (Bun, Deno, Node): its model test's seeds
// (test/store/store-model.ts), in-process and with the I/O thread, against the same model and
// checks as under mocha.
import { expect } from "chai";
import { configOf, runSeed } from "../store/store-model.js";
import { type CoreCheck } from "./core-check.js";

/** Seeds 1 to 4 run the loop in-process, 5 on the I/O thread (store-model.ts IO_THREAD_EVERY). */
export const STORE_RUNTIME_SEEDS = [1, 2, 3, 4, 5];

export const storeRuntimeChecks: CoreCheck[] = STORE_RUNTIME_SEEDS.map((seed) => ({
  name: `the store's model test, seed ${seed} (${configOf(seed).ioThread ? "I/O thread" : "in-process"})`,
  async run() {
    const result = await runSeed(seed);
    expect(result.records).to.be.greaterThan(0);
  },
}));
