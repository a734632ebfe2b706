// Registers a list of core checks as mocha tests over one shared core instance.
import { type Core, loadCore } from "../../host/core/index.js";
import { type CoreCheck } from "./core-check.js";

let shared: Promise<Core> | null = null;

/** One core per mocha process: instantiating is cheap, but one instance also tests reuse. */
export function sharedCore(): Promise<Core> {
  shared ??= loadCore();
  return shared;
}

export function registerChecks(checks: readonly CoreCheck[]): void {
  for (const check of checks) {
    it(check.name, async function () {
      this.timeout(60_000);
      await check.run(await sharedCore());
    });
  }
}
