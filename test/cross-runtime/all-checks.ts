// Every core check list, in one place, for the cross-runtime runner.
import { type CoreCheck } from "../core/core-check.js";
import { crcChecks } from "../core/crc-checks.js";
import { xxh64Checks } from "../core/xxh64-checks.js";
import { frameChecks } from "../core/frame-checks.js";
import { logRuntimeChecks } from "../core/log-runtime-checks.js";
import { hilbertChecks } from "../core/hilbert-checks.js";
import { hilbertRangesChecks } from "../core/hilbert-ranges-checks.js";
import { sortChecks } from "../core/sort-checks.js";
import { completionsChecks } from "../core/completions-checks.js";
import { storeRuntimeChecks } from "../core/store-runtime-checks.js";

export const allCoreChecks: ReadonlyArray<readonly [string, readonly CoreCheck[]]> = [
  ["crc", crcChecks],
  ["xxh64", xxh64Checks],
  ["frame", frameChecks],
  ["log", logRuntimeChecks],
  ["hilbert", hilbertChecks],
  ["hilbert ranges", hilbertRangesChecks],
  ["sort", sortChecks],
  ["completions", completionsChecks],
  ["store", storeRuntimeChecks],
];
