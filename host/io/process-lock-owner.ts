// This OS process as a LOCK owner (host/io/lock-owner.ts; docs/FORMAT.md "LOCK").
//
// A pid alone cannot name a process: a container restarts its service as the same pid (often 1),
// so "pid 1 runs" says nothing about the pid 1 that wrote the LOCK. On Linux the identity is
//   pid=<pid> start=<starttime> boot=<boot id>
// starttime is field 22 of /proc/<pid>/stat, the clock ticks from boot to the process's start:
// a reused pid gets a later one. The boot id (/proc/sys/kernel/random/boot_id) is new at every
// boot, when start times begin again from zero. A holder is gone if the boot id differs, if its
// pid does not run (or is a zombie), or if its pid runs with another start time.
//
// Where there is no /proc (macOS), the identity is pid=<pid> and liveness is kill(pid, 0): a pid
// reused there still reads as running. Deno refuses every /proc read without --allow-all, so
// under Deno the identity is pid=<pid> too, and the kernel decides instead: Deno has flock
// (FsFile.tryLockSync), the advisory lock that makes the identity a label for messages.
//
// Limits: pids belong to a pid namespace. Two containers running at once on one volume see each
// other's pid as another process (or none), so the identity file tells them apart only by luck;
// an advisory lock (Deno, or the native shim later) does, because flock works across namespaces.
import * as fs from "node:fs";
import { assert } from "../assert.js";
import { type AdvisoryLock, type LockOwner, type LockOwnerStatus, identityFields } from "./lock-owner.js";
import { coldCall, ioErrorOf } from "./real-files.js";
import { errnoOf } from "./storage-io.js";

/** /proc/<pid>/stat: "pid (comm) state ppid ..."; field 3 is the state, field 22 the start time. */
const STAT_FIELD_STATE = 3;
const STAT_FIELD_START_TIME = 22;

export interface ProcStat {
  /** R, S, D, Z (zombie: dead, not yet reaped), X (dead), ... */
  readonly state: string;
  /** Clock ticks from boot to the process's start, as decimal digits. */
  readonly startTime: string;
}

/**
 * Parses /proc/<pid>/stat. The comm field (the second) is in parentheses and may itself hold
 * spaces and parentheses ("(a) b)" is a valid comm), so the fields after it start after the LAST
 * ")". A worked example: "7 (x) y) S 1 ..." -> after the last ")" come "S", "1", ...; the state
 * is field 3, so fields[3 - 3], and the start time is fields[22 - 3].
 */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const fields = text.slice(close + 1).trim().split(/ +/);
  const state = fields[STAT_FIELD_STATE - 3];
  const startTime = fields[STAT_FIELD_START_TIME - 3];
  if (state === undefined || startTime === undefined || !/^[0-9]+$/.test(startTime)) return null;
  return { state, startTime };
}

interface DenoFile {
  tryLockSync(exclusive?: boolean): boolean;
  unlockSync(): void;
  close(): void;
}

interface DenoApi {
  openSync(path: string, options: { read: boolean; write: boolean; create: boolean }): DenoFile;
  permissions: { querySync(descriptor: { name: "run" }): { state: string } };
}

function denoApi(): DenoApi | null {
  const deno = (globalThis as { Deno?: Partial<DenoApi> }).Deno;
  return deno?.openSync !== undefined && deno.permissions !== undefined ? (deno as DenoApi) : null;
}

/** Deno's flock: FsFile.tryLockSync(true) is flock(LOCK_EX | LOCK_NB), per open file. */
function denoAdvisoryLock(deno: DenoApi): AdvisoryLock {
  return {
    tryLock(path: string) {
      const file = coldCall(`open ${path}`, () => deno.openSync(path, { read: true, write: true, create: true }));
      const locked = coldCall(`flock ${path}`, () => file.tryLockSync(true));
      if (!locked) {
        file.close();
        return null;
      }
      return {
        unlock() {
          file.unlockSync();
          file.close();
        },
      };
    },
  };
}

type ProcRead = { kind: "stat"; stat: ProcStat } | { kind: "none" } | { kind: "hidden" };

/** /proc/<pid>/stat of a pid: none if no such process; hidden if /proc will not show it (hidepid). */
function readProcStat(pid: number): ProcRead {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === "ENOENT" || errno === "ESRCH") return { kind: "none" };
    if (errno === "EACCES" || errno === "EPERM") return { kind: "hidden" };
    throw ioErrorOf(`read /proc/${pid}/stat`, error);
  }
  const stat = parseProcStat(text);
  assert(stat !== null, `/proc/${pid}/stat has a start time: ${text.slice(0, 80)}`);
  return { kind: "stat", stat };
}

type Signal = "running" | "gone" | "unknown";

/** kill(pid, 0): EPERM means the pid exists and belongs to someone else. Unknown where not allowed (Deno without --allow-run). */
function signalProbe(pid: number, deno: DenoApi | null): Signal {
  if (deno !== null && deno.permissions.querySync({ name: "run" }).state !== "granted") return "unknown";
  try {
    process.kill(pid, 0);
    return "running";
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === "ESRCH") return "gone";
    if (errno === "EPERM") return "running";
    throw ioErrorOf(`kill(${pid}, 0)`, error);
  }
}

interface OwnFacts {
  readonly pid: number;
  /** Null where /proc is not read (no /proc, or Deno). */
  readonly startTime: string | null;
  readonly bootId: string | null;
}

function ownFacts(deno: DenoApi | null): OwnFacts {
  const pid = process.pid;
  assert(Number.isSafeInteger(pid) && pid > 0, `process.pid is a positive integer; got ${pid}`);
  const none: OwnFacts = { pid, startTime: null, bootId: null };
  if (deno !== null || !fs.existsSync("/proc/self/stat")) return none;
  const text = fs.readFileSync("/proc/self/stat", "latin1");
  const stat = parseProcStat(text);
  assert(stat !== null, `/proc/self/stat has a start time: ${text.slice(0, 80)}`);
  // A /proc mounted for another pid namespace names other processes by our pids: not usable.
  if (Number.parseInt(text, 10) !== pid) return none;
  const bootId = fs.readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim().toLowerCase();
  assert(/^[0-9a-f-]+$/.test(bootId), `the boot id is a UUID; got ${bootId}`);
  return { pid, startTime: stat.startTime, bootId };
}

/** What became of the holder named by (pid, startTime, bootId), seen from `own`. */
function statusOfHolder(own: OwnFacts, deno: DenoApi | null, pid: number, startTime: string | undefined, bootId: string | undefined): LockOwnerStatus {
  if (own.bootId !== null && bootId !== undefined && bootId !== own.bootId) return "gone"; // a reboot ended it
  if (pid === own.pid) {
    // This pid is ours now. The holder was this process only if it recorded what we would record.
    return (startTime ?? null) === own.startTime ? "self" : "gone";
  }
  if (own.startTime !== null) {
    const read = readProcStat(pid);
    if (read.kind === "none") return signalProbe(pid, deno) === "gone" ? "gone" : startTime === undefined ? "running" : "unknown";
    if (read.kind === "stat") {
      if (read.stat.state === "Z" || read.stat.state === "X") return "gone"; // dead, not yet reaped
      if (startTime === undefined) return "running"; // a pid-only record: its pid runs
      return read.stat.startTime === startTime ? "running" : "gone";
    }
  }
  const signal = signalProbe(pid, deno);
  if (signal === "gone") return "gone";
  // The pid runs (or may): without its start time, a pid-only record is taken at its word.
  return signal === "running" && startTime === undefined ? "running" : "unknown";
}

function overwriteRealFile(path: string, record: Uint8Array): void {
  const fd = coldCall(`open ${path}`, () => fs.openSync(path, fs.constants.O_WRONLY));
  try {
    // A short write continues with the rest; the record is far below a block, so the file's
    // first block (allocated when LOCK was created) takes it and nothing new is allocated.
    for (let done = 0; done < record.byteLength;) {
      const written = coldCall(`write ${path}`, () => fs.writeSync(fd, record, done, record.byteLength - done, done));
      assert(written > 0, "a write to a regular file writes at least one byte or fails");
      done += written;
    }
    const size = coldCall(`stat ${path}`, () => fs.fstatSync(fd).size);
    if (size > record.byteLength) coldCall(`truncate ${path}`, () => fs.ftruncateSync(fd, record.byteLength));
    coldCall(`fdatasync ${path}`, () => fs.fdatasyncSync(fd));
  } finally {
    fs.closeSync(fd);
  }
}

function createProcessLockOwner(): LockOwner {
  const deno = denoApi();
  const own = ownFacts(deno);
  const identity = own.startTime !== null && own.bootId !== null
    ? `pid=${own.pid} start=${own.startTime} boot=${own.bootId}`
    : `pid=${own.pid}`;
  const limits = deno !== null
    ? "Deno reads no /proc (it asks --allow-all for it) and signals a pid only with --allow-run"
    : own.startTime === null ? "this platform has no /proc, so a pid is checked without its start time"
    : "its pid runs, but /proc does not show this process its start time (mounted with hidepid?)";
  return {
    identity,
    limits,
    advisoryLock: deno === null ? null : denoAdvisoryLock(deno),
    overwrite: overwriteRealFile,
    statusOf(recorded: string): LockOwnerStatus {
      const fields = identityFields(recorded);
      const pid = Number(fields?.get("pid") ?? "");
      // A record this process cannot read as a process names no process it could wait for.
      if (fields === null || !Number.isSafeInteger(pid) || pid <= 0) return "gone";
      return statusOfHolder(own, deno, pid, fields.get("start"), fields.get("boot"));
    },
  };
}

let processOwner: LockOwner | null = null;

/** This process as a LOCK owner; computed once (its identity never changes). */
export function processLockOwner(): LockOwner {
  processOwner ??= createProcessLockOwner();
  return processOwner;
}
