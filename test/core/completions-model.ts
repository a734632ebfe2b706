// A deliberately simple model of the completion table's rules (assembly/completions.ts), written
// from the rules and not from the core's data structures: per file, the list of every write since
// it was opened, scanned from the start on every question.
import { CompletionOutcome } from "../../host/core/completions.js";

type WriteStatus = "pending" | "done" | "failed";
type OpKind = "write" | "datasync" | "close";

interface ModelWrite {
  readonly start: bigint;
  readonly end: bigint;
  status: WriteStatus;
  /** Registered after the file failed: it never counts and is never held. */
  readonly orphan: boolean;
}

interface ModelFile {
  state: "unused" | "open" | "closing" | "closed";
  openPosition: bigint;
  writes: ModelWrite[];
  synced: bigint;
  /** null until an op fails; then the position the file is trusted up to. */
  failCap: bigint | null;
}

interface ModelOp {
  readonly kind: OpKind;
  readonly file: number;
  readonly write: ModelWrite | null;
  /** A datasync's boundary: the written position when it was registered. */
  readonly boundary: bigint;
}

function min(a: bigint, b: bigint | null): bigint {
  return b === null || a < b ? a : b;
}

export class CompletionModel {
  readonly files: ModelFile[];
  /** Ops registered and not yet completed, by token. */
  readonly pending = new Map<bigint, ModelOp>();

  constructor(readonly opsMax: number, filesMax: number) {
    this.files = Array.from({ length: filesMax }, () => ({
      state: "unused" as const, openPosition: 0n, writes: [], synced: 0n, failCap: null,
    }));
  }

  file(index: number): ModelFile {
    const file = this.files[index];
    if (file === undefined) throw new Error(`model: no file ${index}`);
    return file;
  }

  open(index: number, position: bigint): void {
    this.files[index] = { state: "open", openPosition: position, writes: [], synced: position, failCap: null };
  }

  /** Greatest end over the longest prefix of completed writes, never past the cap. */
  written(index: number): bigint {
    const file = this.file(index);
    let end = file.openPosition;
    for (const write of file.writes) {
      if (write.status !== "done" || write.orphan) break;
      if (write.end > end) end = write.end;
    }
    return min(end, file.failCap);
  }

  failed(index: number): boolean {
    return this.file(index).failCap !== null;
  }

  /** Pending ops, plus completed writes held because an earlier write of their file is pending. */
  slotsInUse(): number {
    let held = 0;
    for (const file of this.files) {
      let waiting = false;
      for (const write of file.writes) {
        // Completed writes after a failed one, or registered after the file failed, are freed.
        if (write.status === "failed" || write.orphan) break;
        if (write.status === "pending") waiting = true;
        else if (waiting) held++;
      }
    }
    return this.pending.size + held;
  }

  isFull(): boolean {
    return this.slotsInUse() >= this.opsMax;
  }

  register(token: bigint, kind: OpKind, index: number, start = 0n, end = 0n): void {
    const file = this.file(index);
    const write = kind === "write" ? { start, end, status: "pending" as const, orphan: file.failCap !== null } : null;
    if (write !== null) file.writes.push(write);
    this.pending.set(token, { kind, file: index, write, boundary: kind === "datasync" ? this.written(index) : 0n });
    if (kind === "close") file.state = "closing";
  }

  /** The outcome the table must report, applying the completion to the model. */
  complete(token: bigint, result: bigint): CompletionOutcome {
    const op = this.pending.get(token);
    if (op === undefined) return CompletionOutcome.UnknownToken;
    this.pending.delete(token);
    const file = this.file(op.file);
    if (op.write !== null) {
      const length = op.write.end - op.write.start;
      const outcome = result < 0n ? CompletionOutcome.WriteFailed
        : result < length ? CompletionOutcome.WriteShort
        : result > length ? CompletionOutcome.ResultInvalid : CompletionOutcome.Ok;
      op.write.status = outcome === CompletionOutcome.Ok ? "done" : "failed";
      if (outcome !== CompletionOutcome.Ok) file.failCap = min(op.write.start, file.failCap);
      return outcome;
    }
    if (op.kind === "close") file.state = "closed";
    const outcome = result < 0n ? (op.kind === "datasync" ? CompletionOutcome.DatasyncFailed : CompletionOutcome.CloseFailed)
      : result > 0n ? CompletionOutcome.ResultInvalid : CompletionOutcome.Ok;
    if (outcome !== CompletionOutcome.Ok) {
      file.failCap = min(file.synced, file.failCap);
    } else if (op.kind === "datasync") {
      const reached = min(op.boundary, file.failCap);
      if (reached > file.synced) file.synced = reached;
    }
    return outcome;
  }

  pendingOnFile(index: number): number {
    let count = 0;
    for (const op of this.pending.values()) if (op.file === index) count++;
    return count;
  }
}
