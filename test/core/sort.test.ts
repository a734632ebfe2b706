import { registerChecks } from "./core-suite.js";
import { sortChecks } from "./sort-checks.js";

describe("core: radix sort", () => {
  registerChecks(sortChecks);
});
