// A space's definition, checked once at the door: createSpace(name, { dims, bits }) becomes a
// SpaceSpec, or a typed error and nothing changes. Pure: no I/O, no store state beyond what the
// caller passes in.
//
// The rules, and why:
// - A name is a non-empty string of at most 255 bytes of UTF-8, so the manifest can store its
//   length in one byte. It must be well-formed UTF-16 (no lone surrogate: TextEncoder would turn
//   one into U+FFFD, and two different names would be stored as the same bytes) and hold no NUL
//   (U+0000 ends a string in C tools and in most terminals' copy-paste). Everything else is
//   allowed, spaces and emoji included: a name is an identifier the user chose, not a file name
//   (files are named by the space's id). Names are compared code unit for code unit, with no
//   Unicode normalisation: "é" as U+00E9 and as "e" + U+0301 are two spaces.
// - dims and bits follow the core (host/core/hilbert-space.ts `checkSpace`): dims 1..16, bits >= 1,
//   dims*bits <= 64, else DimensionsOutOfRangeError. A missing or non-number dims/bits is a wrong
//   type, not a wrong range: InvalidArgumentError, as is any option key other than dims and bits
//   (a typo such as { dim: 3 } would otherwise be ignored).
// - Creating a space that exists with the same dims and bits is not an error (createSpace is
//   idempotent, so a program can run its setup on every start); with other dims or bits it is a
//   SpaceExistsError, since the points already stored have the old meaning.
import { assert } from "../assert.js";
import { checkSpace } from "../core/hilbert-space.js";
import { InvalidArgumentError, SpaceExistsError, UnknownSpaceError } from "../errors.js";

/** A name's UTF-8 length fits one byte in the manifest. */
export const SPACE_NAME_BYTES_MAX = 255;

export interface SpaceOptions {
  /** The number of axes, 1..16. */
  readonly dims: number;
  /** Bits per axis: every coordinate is in [0, 2^bits). bits >= 1 and dims*bits <= 64. */
  readonly bits: number;
}

/** A checked space definition (frozen). */
export interface SpaceSpec {
  readonly name: string;
  readonly dims: number;
  readonly bits: number;
}

const SPACE_OPTION_KEYS: ReadonlySet<string> = new Set(["dims", "bits"]);
const utf8 = new TextEncoder();

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  return String(value);
}

/** The UTF-8 bytes of a valid space name (what the manifest stores). */
export function spaceNameBytes(name: string): Uint8Array {
  const bytes = utf8.encode(name);
  assert(bytes.byteLength >= 1 && bytes.byteLength <= SPACE_NAME_BYTES_MAX, "spaceNameBytes takes a checked name");
  return bytes;
}

/** A space name as the rules above define it; anything else is an InvalidArgumentError. */
export function checkSpaceName(name: unknown): string {
  if (typeof name !== "string") throw new InvalidArgumentError(`a space name must be a string; got ${describe(name)}`);
  if (name.length === 0) throw new InvalidArgumentError("a space name must not be empty");
  if (!name.isWellFormed()) throw new InvalidArgumentError(`a space name must be well-formed Unicode (it has a lone surrogate): ${JSON.stringify(name)}`);
  if (name.includes("\u0000")) throw new InvalidArgumentError(`a space name must not contain NUL (U+0000): ${JSON.stringify(name)}`);
  // Every code unit is at least one byte of UTF-8 (a surrogate pair, two units, is four), so a
  // name of more than 255 units is refused before it is encoded.
  if (name.length > SPACE_NAME_BYTES_MAX) throw new InvalidArgumentError(`a space name is at most ${SPACE_NAME_BYTES_MAX} bytes of UTF-8; got ${name.length} characters`);
  const byteLength = utf8.encode(name).byteLength;
  if (byteLength > SPACE_NAME_BYTES_MAX) throw new InvalidArgumentError(`a space name is at most ${SPACE_NAME_BYTES_MAX} bytes of UTF-8; got ${byteLength}`);
  return name;
}

/** createSpace's second argument: exactly { dims, bits }, both numbers, in the core's ranges. */
export function checkSpaceOptions(options: unknown): SpaceOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`createSpace options must be an object { dims, bits }; got ${describe(options)}`);
  }
  const record = options as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !SPACE_OPTION_KEYS.has(key));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`unknown createSpace option${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; the options are dims, bits`);
  }
  const dims = record["dims"];
  const bits = record["bits"];
  if (typeof dims !== "number") throw new InvalidArgumentError(`createSpace needs dims, a number in 1..16; got ${describe(dims)}`);
  if (typeof bits !== "number") throw new InvalidArgumentError(`createSpace needs bits, a number >= 1 with dims*bits <= 64; got ${describe(bits)}`);
  checkSpace(dims, bits); // DimensionsOutOfRangeError: the core's rule, stated once
  return { dims, bits };
}

/** createSpace's arguments as one frozen SpaceSpec. The name is checked first. */
export function parseSpaceSpec(name: unknown, options: unknown): SpaceSpec {
  const checkedName = checkSpaceName(name);
  const { dims, bits } = checkSpaceOptions(options);
  return Object.freeze({ name: checkedName, dims, bits });
}

/** Same name, dims and bits. */
export function sameSpec(a: SpaceSpec, b: SpaceSpec): boolean {
  return a.name === b.name && a.dims === b.dims && a.bits === b.bits;
}

/**
 * What createSpace does with `requested` given the space of that name, if any: "create" a new
 * one, or "exists" (the same definition: not an error, nothing to write). Other dims or bits
 * throw SpaceExistsError.
 */
export function decideCreateSpace(existing: SpaceSpec | undefined, requested: SpaceSpec): "create" | "exists" {
  if (existing === undefined) return "create";
  assert(existing.name === requested.name, "decideCreateSpace compares a space with its own name");
  if (sameSpec(existing, requested)) return "exists";
  throw new SpaceExistsError(
    `space ${JSON.stringify(requested.name)} exists with dims ${existing.dims}, bits ${existing.bits}; ` +
    `createSpace asked for dims ${requested.dims}, bits ${requested.bits}`, requested.name);
}

/**
 * The space a call names. A non-string is an InvalidArgumentError; any string the store does not
 * hold (including one no space could have, such as "") is an UnknownSpaceError.
 */
export function requireSpace<T>(spaces: ReadonlyMap<string, T>, name: unknown): T {
  if (typeof name !== "string") throw new InvalidArgumentError(`a space name must be a string; got ${describe(name)}`);
  const space = spaces.get(name);
  if (space === undefined) throw new UnknownSpaceError(`no space named ${JSON.stringify(name)}; create it with createSpace first`, name);
  return space;
}
