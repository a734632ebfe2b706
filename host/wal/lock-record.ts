// The LOCK file's one record (docs/FORMAT.md "LOCK"): exactly 128 bytes of ASCII, one line.
//
//   record   := "spacelog-lock 1 " state [" " identity] " "* "\n"      (128 bytes in all)
//   state    := "free" | "held" | "held-flock"
//   identity := token (" " token)* ; token := [a-z]+ "=" [0-9a-z-]+     (host/io/lock-owner.ts)
//
// "free" has no identity: the last holder closed the log. "held" names the holder. "held-flock"
// names a holder that also took the kernel's advisory lock on the file, so whoever gets that lock
// next knows the holder is gone without asking about its identity.
//
// The size is fixed so that taking and releasing the LOCK overwrite one block in place: a LOCK is
// never deleted, and on a full disk no write of it needs a new block. A record is read whole and
// strictly: any other length or byte makes it unreadable (a torn write at a crash; the writer died).
import { assert } from "../assert.js";
import { LOCK_IDENTITY_SIZE_MAX, isLockIdentity } from "../io/lock-owner.js";

export const LOCK_RECORD_SIZE = 128;
export const LOCK_RECORD_PREFIX = "spacelog-lock 1 ";

export type LockState = "free" | "held" | "held-flock";

export type LockRecord =
  | { readonly state: "free" }
  | { readonly state: "held" | "held-flock"; readonly identity: string };

export type LockRead = LockRecord | { readonly state: "unreadable"; readonly why: string };

// The longest record, "spacelog-lock 1 held-flock <identity>\n", fits with room to spare.
assert(LOCK_RECORD_PREFIX.length + "held-flock ".length + LOCK_IDENTITY_SIZE_MAX + 1 <= LOCK_RECORD_SIZE);

export function encodeLockRecord(record: LockRecord): Uint8Array {
  const line = record.state === "free" ? `${LOCK_RECORD_PREFIX}free` : `${LOCK_RECORD_PREFIX}${record.state} ${record.identity}`;
  if (record.state !== "free") assert(isLockIdentity(record.identity), `a LOCK identity follows the grammar; got ${record.identity}`);
  assert(line.length < LOCK_RECORD_SIZE, "a LOCK record fits its 128 bytes");
  const bytes = new Uint8Array(LOCK_RECORD_SIZE).fill(0x20);
  for (let i = 0; i < line.length; i++) bytes[i] = line.charCodeAt(i);
  bytes[LOCK_RECORD_SIZE - 1] = 0x0a;
  return bytes;
}

export function decodeLockRecord(bytes: Uint8Array): LockRead {
  if (bytes.byteLength !== LOCK_RECORD_SIZE) return { state: "unreadable", why: `${bytes.byteLength} bytes, not ${LOCK_RECORD_SIZE}` };
  if (bytes[LOCK_RECORD_SIZE - 1] !== 0x0a) return { state: "unreadable", why: "no newline at byte 127" };
  let line = "";
  for (let i = 0; i < LOCK_RECORD_SIZE - 1; i++) {
    const byte = bytes[i] as number;
    if (byte < 0x20 || byte > 0x7e) return { state: "unreadable", why: `byte ${i} is 0x${byte.toString(16)}` };
    line += String.fromCharCode(byte);
  }
  line = line.replace(/ +$/, "");
  if (!line.startsWith(LOCK_RECORD_PREFIX)) return { state: "unreadable", why: `it does not start with "${LOCK_RECORD_PREFIX}"` };
  const rest = line.slice(LOCK_RECORD_PREFIX.length);
  if (rest === "free") return { state: "free" };
  const space = rest.indexOf(" ");
  const state = rest.slice(0, space);
  const identity = rest.slice(space + 1);
  if (space < 0 || (state !== "held" && state !== "held-flock")) return { state: "unreadable", why: `no state "free", "held" or "held-flock"` };
  if (!isLockIdentity(identity)) return { state: "unreadable", why: `the identity "${identity}" breaks the grammar` };
  return { state, identity };
}
