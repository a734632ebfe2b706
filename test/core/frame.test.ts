import { registerChecks } from "./core-suite.js";
import { frameChecks } from "./frame-checks.js";

describe("core: frames", () => {
  registerChecks(frameChecks);
});
