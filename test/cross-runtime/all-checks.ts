// Every core check list, in one place, for the cross-runtime runner.
import { type CoreCheck } from "../core/core-check.js";
import { crcChecks } from "../core/crc-checks.js";
import { xxh64Checks } from "../core/xxh64-checks.js";
import { frameChecks } from "../core/frame-checks.js";

export const allCoreChecks: ReadonlyArray<readonly [string, readonly CoreCheck[]]> = [
  ["crc", crcChecks],
  ["xxh64", xxh64Checks],
  ["frame", frameChecks],
];
