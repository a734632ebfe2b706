// Prints the trace hashes of the sim workload for TRACE_SEEDS as one line that
// test/sim/sim-trace.test.ts reads; it runs this file under Bun and Deno and compares with Node.
import { traceHashes } from "./trace-workload.js";

export const TRACE_LINE_PREFIX = "SIM-TRACE ";

console.log(TRACE_LINE_PREFIX + JSON.stringify(traceHashes()));
