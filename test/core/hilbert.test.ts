import { registerChecks } from "./core-suite.js";
import { hilbertChecks } from "./hilbert-checks.js";
import { hilbertRangesChecks } from "./hilbert-ranges-checks.js";

describe("core: hilbert keys", () => {
  registerChecks(hilbertChecks);
});

describe("core: hilbert ranges", () => {
  registerChecks(hilbertRangesChecks);
});
