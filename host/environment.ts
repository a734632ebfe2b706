// Reading spacelog's own environment switches (SPACELOG_VERIFY, SPACELOG_SIM_TRACE) below the CLI.
//
// Deno throws from every process.env read made without --allow-env. A library that threw there
// would make --allow-env a condition of opening a log, for a debugging switch. So a variable is
// read only where the runtime lets it be read without asking: Deno's permission is queried first
// (querySync never prompts), and a variable the program may not read counts as unset.

interface DenoPermissions {
  querySync(descriptor: { name: "env"; variable: string }): { state: string };
}

function denoPermissions(): DenoPermissions | null {
  const deno = (globalThis as { Deno?: { permissions?: Partial<DenoPermissions> } }).Deno;
  return typeof deno?.permissions?.querySync === "function" ? (deno.permissions as DenoPermissions) : null;
}

/** The variable's value, or undefined if it is unset or this program may not read it. */
export function environmentValue(name: string): string | undefined {
  if (typeof process === "undefined") return undefined;
  const deno = denoPermissions();
  if (deno !== null && deno.querySync({ name: "env", variable: name }).state !== "granted") return undefined;
  return process.env?.[name];
}

/** True when the variable is exactly "1" (how every spacelog switch is turned on). */
export function environmentFlag(name: string): boolean {
  return environmentValue(name) === "1";
}
