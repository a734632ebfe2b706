// The host's copy of the frame layout in assembly/frame-format.ts (prose: docs/FORMAT.md "Frames").
// checkFrameFormat() compares these numbers with the core's exported copies when the core loads,
// so the two can never drift apart silently.
import { CoreLoadError } from "../errors.js";

export const FRAME_LENGTH_OFFSET = 0;
export const FRAME_CRC_OFFSET = 4;
export const FRAME_PAYLOAD_OFFSET = 8;
export const FRAME_HEADER_SIZE = 8;
/** 16 MiB: a larger length is corruption, never a frame. */
export const FRAME_PAYLOAD_MAX = 1 << 24;
export const SCAN_RECORD_SIZE = 16;
export const SCAN_RESULT_SIZE = 8;

/** Why a scan stopped. See assembly/frame-format.ts for what each means to recovery. */
export const ScanStop = {
  End: 0,
  ZeroTail: 1,
  Torn: 2,
  Crc: 3,
  Length: 4,
  OutputFull: 5,
} as const;
export type ScanStopName = keyof typeof ScanStop;

const scanStopNames: readonly ScanStopName[] = ["End", "ZeroTail", "Torn", "Crc", "Length", "OutputFull"];

export function scanStopName(code: number): ScanStopName {
  const name = scanStopNames[code];
  if (name === undefined) throw new CoreLoadError(`the core returned an unknown scan stop code ${code}`);
  return name;
}

export const ENCODE_ERROR_LENGTH = -1;
export const ENCODE_ERROR_TOTAL = -2;

function globalValue(exports: WebAssembly.Exports, name: string): number {
  const global: unknown = exports[name];
  const value: unknown = typeof global === "object" && global !== null && "value" in global ? global.value : undefined;
  if (typeof value !== "number") throw new CoreLoadError(`core export "${name}" is missing`);
  return value;
}

export function checkFrameFormat(exports: WebAssembly.Exports): void {
  const pairs: Array<[string, number]> = [
    ["frameHeaderSize", FRAME_HEADER_SIZE],
    ["framePayloadMax", FRAME_PAYLOAD_MAX],
    ["scanRecordSize", SCAN_RECORD_SIZE],
  ];
  for (const [name, expected] of pairs) {
    const actual = globalValue(exports, name);
    if (actual !== expected) throw new CoreLoadError(`core and host disagree on ${name}: ${actual} vs ${expected}`);
  }
}
