import { registerChecks } from "./core-suite.js";
import { logRuntimeChecks } from "./log-runtime-checks.js";

describe("runtime: log and simulation", () => {
  registerChecks(logRuntimeChecks);
});
