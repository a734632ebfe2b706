import { completionsChecks } from "./completions-checks.js";
import { registerChecks } from "./core-suite.js";

describe("core: completions", () => {
  registerChecks(completionsChecks);
});
