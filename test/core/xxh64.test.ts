import { registerChecks } from "./core-suite.js";
import { xxh64Checks } from "./xxh64-checks.js";

describe("core: xxh64", () => {
  registerChecks(xxh64Checks);
});
