// The cold half of StorageIo over the real file system (node:fs, synchronous), shared by the sync
// and threadpool backends. Each registered file is a slot in the completion table; `fds` maps the
// slot to the OS descriptor.
import * as fs from "node:fs";
import { assert } from "../assert.js";
import { CapacityError, DiskFullError, IoError } from "../errors.js";
import { type CompletionTable } from "../core/index.js";
import { type IoFile, type OpenFileOptions, errnoOf } from "./storage-io.js";

export function ioErrorOf(what: string, error: unknown): IoError {
  const errno = errnoOf(error);
  const message = `${what}: ${errno}${error instanceof Error ? ` (${error.message})` : ""}`;
  return errno === "ENOSPC" ? new DiskFullError(message, errno, { cause: error }) : new IoError(message, errno, { cause: error });
}

/** Runs a cold-path call and turns its failure into an IoError naming what was attempted. */
export function coldCall<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw ioErrorOf(what, error);
  }
}

export class RealFiles {
  protected readonly fds: Array<number | undefined> = [];
  protected readonly paths: Array<string | undefined> = [];

  constructor(readonly completions: CompletionTable, private readonly filesMax: number) {}

  openFile(path: string, options: OpenFileOptions): IoFile {
    const slot = this.freeSlot();
    const { O_RDWR, O_CREAT, O_EXCL } = fs.constants;
    const flags = O_RDWR | (options.create ? O_CREAT : 0) | (options.create && options.exclusive ? O_EXCL : 0);
    const fd = coldCall(`open ${path}`, () => fs.openSync(path, flags, 0o644));
    const size = coldCall(`stat ${path}`, () => fs.fstatSync(fd).size);
    this.fds[slot] = fd;
    this.paths[slot] = path;
    this.completions.openFile(slot, BigInt(options.position ?? size));
    return slot as IoFile;
  }

  closeFile(file: IoFile): void {
    const fd = this.fd(file);
    const token = this.completions.registerClose(file);
    assert(token !== null, "the completion table has no slot for a close");
    let result = 0;
    try {
      fs.closeSync(fd);
    } catch (error) {
      result = -5;
      this.completions.complete(token, result);
      this.forget(file);
      throw ioErrorOf(`close ${this.paths[file] ?? "?"}`, error);
    }
    this.completions.complete(token, result);
    this.forget(file);
  }

  fileSize(file: IoFile): number {
    return coldCall("fstat", () => fs.fstatSync(this.fd(file)).size);
  }

  readAt(file: IoFile, buffer: Uint8Array, position: number): number {
    let done = 0;
    while (done < buffer.byteLength) {
      const n = coldCall(`read ${this.paths[file] ?? "?"}`, () =>
        fs.readSync(this.fd(file), buffer, done, buffer.byteLength - done, position + done));
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  truncate(file: IoFile, size: number): void {
    coldCall(`truncate ${this.paths[file] ?? "?"}`, () => fs.ftruncateSync(this.fd(file), size));
    this.syncFile(file);
  }

  syncFile(file: IoFile): void {
    coldCall(`fdatasync ${this.paths[file] ?? "?"}`, () => fs.fdatasyncSync(this.fd(file)));
  }

  listDirectory(dir: string): string[] {
    return coldCall(`list ${dir}`, () => fs.readdirSync(dir)).sort();
  }

  makeDirectory(dir: string): void {
    coldCall(`mkdir ${dir}`, () => fs.mkdirSync(dir, { recursive: true }));
  }

  removeFile(path: string): void {
    coldCall(`unlink ${path}`, () => fs.unlinkSync(path));
  }

  renameFile(from: string, to: string): void {
    coldCall(`rename ${from}`, () => fs.renameSync(from, to));
  }

  syncDirectory(dir: string): void {
    const fd = coldCall(`open ${dir}`, () => fs.openSync(dir, "r"));
    try {
      coldCall(`fsync ${dir}`, () => fs.fsyncSync(fd));
    } finally {
      fs.closeSync(fd);
    }
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  readSmallFile(path: string): Uint8Array | undefined {
    try {
      return fs.readFileSync(path);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return undefined;
      throw ioErrorOf(`read ${path}`, error);
    }
  }

  overwriteAt(path: string, bytes: Uint8Array, position: number): void {
    let fd: number;
    try {
      fd = fs.openSync(path, "r+");
    } catch (error) {
      throw ioErrorOf(`open ${path}`, error);
    }
    try {
      // A short write continues with the rest.
      for (let done = 0; done < bytes.byteLength;) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
      fs.fdatasyncSync(fd);
    } catch (error) {
      throw ioErrorOf(`write ${path}`, error);
    } finally {
      fs.closeSync(fd);
    }
  }

  createSmallFile(path: string, bytes: Uint8Array): boolean {
    let fd: number;
    try {
      fd = fs.openSync(path, "wx");
    } catch (error) {
      if (errnoOf(error) === "EEXIST") return false;
      throw ioErrorOf(`create ${path}`, error);
    }
    try {
      // A short write continues with the rest: the file exists only whole, or not at all.
      for (let done = 0; done < bytes.byteLength;) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done, done);
      fs.fsyncSync(fd);
    } catch (error) {
      fs.closeSync(fd);
      fs.rmSync(path, { force: true });
      throw ioErrorOf(`write ${path}`, error);
    }
    fs.closeSync(fd);
    return true;
  }

  protected fd(file: IoFile): number {
    const fd = this.fds[file];
    assert(fd !== undefined, `file slot ${file} is not open`);
    return fd;
  }

  private forget(file: IoFile): void {
    this.fds[file] = undefined;
    this.paths[file] = undefined;
  }

  private freeSlot(): number {
    for (let slot = 0; slot < this.filesMax; slot++) {
      if (this.fds[slot] === undefined && this.completions.fileState(slot) !== "open") return slot;
    }
    throw new CapacityError(`all ${this.filesMax} file slots are in use`);
  }

  disposeFiles(): void {
    for (const fd of this.fds) assert(fd === undefined, "dispose() with files still open");
    this.completions.release();
  }
}
