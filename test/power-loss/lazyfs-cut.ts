// The power cut, sent to a mounted LazyFS (../shared/lazyfs/README.md): "lazyfs::clear-cache"
// on its command fifo drops every write that was not fsynced or fdatasynced; LazyFS answers
// "finished::clear-cache" on its done fifo when the drop is complete.
//
// The done fifo stays open for reading (O_RDWR, so opening never blocks) for as long as this
// object lives: LazyFS's fault thread opens it for writing at mount and waits for a reader, and a
// reader must be there whenever it answers. Reads are non-blocking and polled, so a LazyFS that
// never answers is a timeout, not a hang.
import * as fs from "node:fs";

const CLEAR_CACHE = "lazyfs::clear-cache\n";
const CLEARED = "finished::clear-cache";

export class LazyFsCut {
  private readonly doneFd: number;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly commandFifo: string, doneFifo: string) {
    this.doneFd = fs.openSync(doneFifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    this.readAvailable(); // nothing is pending before the first command
  }

  /** Drops every unsynced write; returns once LazyFS says the drop is complete. */
  cut(timeoutMs = 30_000): void {
    const stale = this.readAvailable();
    if (stale.includes(CLEARED)) throw new Error(`LazyFS answered a clear-cache nobody sent: ${JSON.stringify(stale)}`);
    const fd = fs.openSync(this.commandFifo, fs.constants.O_WRONLY);
    try {
      fs.writeSync(fd, CLEAR_CACHE);
    } finally {
      fs.closeSync(fd);
    }
    let answer = "";
    for (let waitedMs = 0; !answer.includes(CLEARED); waitedMs += 2) {
      if (waitedMs > timeoutMs) throw new Error(`LazyFS did not answer clear-cache within ${timeoutMs} ms (got ${JSON.stringify(answer)})`);
      Atomics.wait(this.sleeper, 0, 0, 2);
      answer += this.readAvailable();
    }
  }

  close(): void {
    fs.closeSync(this.doneFd);
  }

  private readAvailable(): string {
    const buffer = Buffer.alloc(256);
    let text = "";
    for (;;) {
      let count: number;
      try {
        count = fs.readSync(this.doneFd, buffer, 0, buffer.byteLength, null);
      } catch (error) {
        if (typeof error === "object" && error !== null && "code" in error && error.code === "EAGAIN") return text;
        throw error;
      }
      if (count === 0) return text;
      text += buffer.toString("utf8", 0, count);
    }
  }
}
