// Reading a child process's first line of output, for tests that start a holder and wait until
// it says it is ready.
import { type ChildProcess } from "node:child_process";

export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      buffered += chunk;
      const end = buffered.indexOf("\n");
      if (end >= 0) resolve(buffered.slice(0, end));
    });
    child.once("exit", (code) => reject(new Error(`the child exited (${code}) before a line: ${buffered}`)));
  });
}
