// The store's refusals, end to end through open() (the log's equivalents: test/wal/log-errors.test.ts
// and log-honest-failures.test.ts). Every case checks four things:
//   - the TYPED error: its class, its stable code, and that isSpacelogError knows it;
//   - a message that says what failed (the argument, the file, the offset);
//   - that an async call REJECTS: it returns a promise and never throws synchronously (query()
//     returns an async iterator whose first next() rejects; the synchronous methods, spaces(),
//     snapshot() and stats(), throw);
//   - that NOTHING CHANGED: snapshot().revision, every point of every space, stats(), the bytes of
//     every file but LOCK, and what a reopen shows.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ClosedError, CoordinateOutOfRangeError, CorruptionError, DimensionsOutOfRangeError, DirectoryInUseError,
  InvalidArgumentError, IoThreadError, NotAStoreError, PointDimensionsError, SpaceExistsError, StoreFailedError, UnknownSpaceError,
  ValueTooLargeError, isSpacelogError,
} from "../../host/errors.js";
import { type QueryResult, type SpaceInfo, type Store, VALUE_SIZE_MAX, loadCore, open } from "../../host/index.js";
import { scanStoreFile } from "../../host/store/store-file-scan.js";
import { parseStoreFileName } from "../../host/store/store-files.js";
import { terminateIoThreadForTests } from "../../host/wal/io-thread.js";
import { openLog } from "../../host/wal/index.js";
import { flipByte } from "../wal/log-files.js";
import { makeTempDir, removeTempDir } from "../wal/temp-dir.js";
import { type Rejection, rejection } from "../support/rejection.js";
import { thrownTyped } from "./thrown-typed.js";

type ErrorClass<T extends Error> = abstract new (...args: never[]) => T;

const hostIndex = new URL("../../host/index.js", import.meta.url).href;

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

function hex(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
}

/**
 * Calls `call`, which must return a promise (no synchronous throw) that rejects with an instance
 * of `type` carrying `code`, recognised by isSpacelogError, whose message matches `message`.
 */
async function rejects<T extends Error>(call: () => unknown, type: ErrorClass<T>, code: string, message?: RegExp | string): Promise<T & Rejection> {
  let returned: unknown = undefined;
  expect(() => {
    returned = call();
  }, "the call returns a promise; it does not throw").not.to.throw();
  expect(returned, "the call returns a promise").to.be.instanceOf(Promise);
  const error = await rejection(returned as Promise<unknown>);
  expect(error, `expected ${type.name} (${code}); got ${error.name}: ${error.message}`).to.be.instanceOf(type);
  expect(isSpacelogError(error), "isSpacelogError knows it").to.equal(true);
  expect(error.code).to.equal(code);
  if (typeof message === "string") expect(error.message).to.include(message);
  else if (message !== undefined) expect(error.message).to.match(message);
  return error as T & Rejection;
}

/** query() returns an iterator without throwing; its first next() rejects as `rejects` says; it yields nothing after. */
async function queryRejects<T extends Error>(store: Store, space: unknown, box: unknown, options: unknown, type: ErrorClass<T>, code: string,
  message?: RegExp | string): Promise<T & Rejection> {
  let iterator: AsyncIterableIterator<QueryResult> | undefined;
  expect(() => {
    iterator = store.query(space as never, box as never, options as never);
  }, "query() returns an iterator; it does not throw").not.to.throw();
  const it = iterator as AsyncIterableIterator<QueryResult>;
  const error = await rejects(() => it.next(), type, code, message);
  expect(await it.next(), "a refused query yields nothing afterwards").to.deep.equal({ done: true, value: undefined });
  return error;
}

/** What the store shows: the revision, the spaces, every live point of each (point=value@revision, in query order). */
interface Observed {
  readonly revision: bigint;
  readonly spaces: SpaceInfo[];
  readonly points: Record<string, string[]>;
}

function fullBox(space: SpaceInfo): { min: never; max: never } {
  const top = (1n << BigInt(space.bits)) - 1n;
  const wide = space.bits > 53;
  const min = Array.from({ length: space.dims }, () => (wide ? 0n : 0));
  const max = Array.from({ length: space.dims }, () => (wide ? top : Number(top)));
  return { min: min as never, max: max as never };
}

async function observe(store: Store): Promise<Observed> {
  const spaces = store.spaces();
  const points: Record<string, string[]> = {};
  for (const space of spaces) {
    const rows: string[] = [];
    for await (const found of store.query(space.name, fullBox(space))) rows.push(`${found.point.join(",")}=${hex(found.value)}@${found.revision}`);
    points[space.name] = rows;
  }
  return { revision: store.snapshot().revision, spaces, points };
}

/**
 * Every file but LOCK (whose owner record an open or close may rewrite), by size and hash. A hot
 * segment's or staging's zero tail is left out: the I/O loop writes zeros ahead of the data after
 * a turn (preallocation, store-loop.ts), on its own time, and zeros are no record.
 */
function diskOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    if (name === "LOCK") continue;
    let data: Uint8Array = fs.readFileSync(path.join(dir, name));
    if (name.endsWith(".seg")) {
      let end = data.byteLength;
      while (end > 0 && data[end - 1] === 0) end--;
      data = data.subarray(0, end);
    }
    out[name] = `${data.byteLength}:${createHash("sha256").update(data).digest("hex")}`;
  }
  return out;
}

interface Captured {
  readonly observed: Observed;
  readonly stats: ReturnType<Store["stats"]>;
  readonly disk: Record<string, string>;
}

describe("store: errors", function () {
  this.timeout(120_000);
  let dir: string;
  let opened: Store[] = [];

  beforeEach(() => {
    dir = makeTempDir("store-errors");
    opened = [];
  });
  afterEach(async () => {
    for (const store of opened) await store.close().catch(() => undefined);
    removeTempDir(dir);
  });

  async function openTracked(target: string, options: Parameters<typeof open>[1] = {}): Promise<Store> {
    const store = await open(target, options);
    opened.push(store);
    return store;
  }

  /** A store with two spaces, some puts, a delete and a batch: revisions 1..7. */
  async function seeded(options: Parameters<typeof open>[1] = {}): Promise<Store> {
    const store = await openTracked(dir, options);
    await store.createSpace("pts", { dims: 2, bits: 8 });
    await store.createSpace("wide", { dims: 1, bits: 60 });
    await store.put("pts", [1, 2], bytes(1));
    await store.put("pts", [3, 4], bytes(2));
    await store.write([{ put: "pts", point: [5, 6], value: bytes(3) }, { delete: "pts", point: [3, 4] }, { put: "wide", point: [1n << 55n], value: bytes(4) }]);
    expect(store.snapshot().revision).to.equal(7n);
    return store;
  }

  async function capture(store: Store, target = dir): Promise<Captured> {
    return { observed: await observe(store), stats: store.stats(), disk: diskOf(target) };
  }

  /** Nothing changed since `before`: the revision, the points, stats(), the files. */
  async function expectUnchanged(store: Store, before: Captured, target = dir): Promise<void> {
    const now = await capture(store, target);
    expect(now.observed, "the revision, spaces and points are unchanged").to.deep.equal(before.observed);
    expect(now.stats, "stats() is unchanged").to.deep.equal(before.stats);
    expect(now.disk, "no file changed").to.deep.equal(before.disk);
  }

  /** Closes `store`, reopens its directory and expects it to show what `store` showed. Returns the reopened store. */
  async function expectReopenShowsTheSame(store: Store, target = dir): Promise<Store> {
    const shown = await observe(store);
    await store.close();
    const again = await openTracked(target);
    expect(await observe(again), "a reopen shows the same state").to.deep.equal(shown);
    return again;
  }

  // --- spaces ---

  it("anUnknownSpaceIsUnknownSpaceErrorNamingItForEveryCallThatTakesASpace", async () => {
    const store = await seeded();
    const before = await capture(store);
    const named = '"nope"';
    for (const call of [
      () => store.put("nope", [1, 1], bytes(9)),
      () => store.delete("nope", [1, 2]),
      () => store.get("nope", [1, 2]),
      () => store.seal("nope"),
      () => store.write([{ put: "pts", point: [7, 7], value: bytes(9) }, { put: "nope", point: [1, 1], value: bytes(9) }]),
      () => store.write([{ delete: "nope", point: [1, 2] }]),
      () => store.putMany("nope", [{ point: [1, 1], value: bytes(9) }]),
    ]) {
      const error = await rejects(call, UnknownSpaceError, "SPACELOG_UNKNOWN_SPACE", named);
      expect(error.space).to.equal("nope");
    }
    const error = await queryRejects(store, "nope", { min: [0, 0], max: [9, 9] }, {}, UnknownSpaceError, "SPACELOG_UNKNOWN_SPACE", named);
    expect(error.space).to.equal("nope");
    // A name is compared exactly: another case or a trailing space is another (unknown) space.
    await rejects(() => store.put("PTS", [1, 1], bytes(9)), UnknownSpaceError, "SPACELOG_UNKNOWN_SPACE", '"PTS"');
    await rejects(() => store.put("pts ", [1, 1], bytes(9)), UnknownSpaceError, "SPACELOG_UNKNOWN_SPACE", '"pts "');
    // A name that is not a string is a wrong type, not an unknown space.
    await rejects(() => store.put(5 as never, [1, 1], bytes(9)), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /space name must be a string/);
    await queryRejects(store, null, { min: [0, 0], max: [9, 9] }, {}, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /space name must be a string/);
    await expectUnchanged(store, before);
    await expectReopenShowsTheSame(store);
  });

  it("createSpaceOfAnExistingNameWithOtherDimsOrBitsIsSpaceExistsError", async () => {
    const store = await seeded();
    const before = await capture(store);
    for (const options of [{ dims: 3, bits: 8 }, { dims: 2, bits: 9 }, { dims: 1, bits: 8 }]) {
      const error = await rejects(() => store.createSpace("pts", options), SpaceExistsError, "SPACELOG_SPACE_EXISTS",
        new RegExp(`"pts" exists with dims 2, bits 8; createSpace asked for dims ${options.dims}, bits ${options.bits}`));
      expect(error.space).to.equal("pts");
    }
    await rejects(() => store.createSpace("wide", { dims: 1, bits: 59 }), SpaceExistsError, "SPACELOG_SPACE_EXISTS", /"wide" exists with dims 1, bits 60/);
    await expectUnchanged(store, before);
    await expectReopenShowsTheSame(store);
  });

  it("createSpaceOfAnExistingNameWithTheSameDimsAndBitsReturnsTheExistingSpaceAndTakesNoRevision", async () => {
    const store = await seeded();
    const before = await capture(store);
    expect(await store.createSpace("pts", { dims: 2, bits: 8 })).to.deep.equal({ name: "pts", dims: 2, bits: 8 });
    expect(await store.createSpace("wide", { dims: 1, bits: 60 })).to.deep.equal({ name: "wide", dims: 1, bits: 60 });
    await expectUnchanged(store, before);
    // The next write takes the next revision: none was spent on the repeated definitions.
    expect(await store.put("pts", [9, 9], bytes(9))).to.equal(before.observed.revision + 1n);
    const again = await expectReopenShowsTheSame(store);
    // And after a reopen, the same definition is still the same space.
    const revision = again.snapshot().revision;
    expect(await again.createSpace("pts", { dims: 2, bits: 8 })).to.deep.equal({ name: "pts", dims: 2, bits: 8 });
    expect(again.snapshot().revision).to.equal(revision);
    expect(again.spaces().map((s) => s.name)).to.deep.equal(["pts", "wide"]);
  });

  it("badCreateSpaceArgumentsAreTypedErrorsAndCreateNothing", async () => {
    const store = await seeded();
    const before = await capture(store);
    // Out of range (dims 1..16, bits >= 1, dims*bits <= 64, integers): DimensionsOutOfRangeError.
    const outOfRange: Array<[{ dims: number; bits: number }, RegExp]> = [
      [{ dims: 0, bits: 8 }, /dims must be an integer in 1\.\.16; got 0/],
      [{ dims: 17, bits: 1 }, /dims must be an integer in 1\.\.16; got 17/],
      [{ dims: -1, bits: 8 }, /dims must be an integer in 1\.\.16; got -1/],
      [{ dims: 2, bits: 0 }, /bits must be an integer >= 1 with dims\*bits <= 64; got dims 2, bits 0/],
      [{ dims: 2, bits: 33 }, /dims\*bits <= 64; got dims 2, bits 33/],
      [{ dims: 16, bits: 5 }, /dims\*bits <= 64; got dims 16, bits 5/],
      [{ dims: 1, bits: 65 }, /dims\*bits <= 64; got dims 1, bits 65/],
      [{ dims: 1.5, bits: 8 }, /dims must be an integer in 1\.\.16; got 1\.5/],
      [{ dims: 2, bits: 2.5 }, /bits must be an integer .*got dims 2, bits 2\.5/],
      [{ dims: Number.NaN, bits: 8 }, /dims must be an integer .*got NaN/],
      [{ dims: 2, bits: Number.POSITIVE_INFINITY }, /bits must be an integer .*got dims 2, bits Infinity/],
    ];
    for (const [options, message] of outOfRange) {
      await rejects(() => store.createSpace("new", options), DimensionsOutOfRangeError, "SPACELOG_DIMENSIONS_OUT_OF_RANGE", message);
    }
    // The wrong shape or type: InvalidArgumentError.
    const wrongType: Array<[unknown, unknown, RegExp]> = [
      ["new", { dims: "2", bits: 8 }, /needs dims, a number in 1\.\.16; got "2"/],
      ["new", { dims: 2n, bits: 8 }, /needs dims, a number in 1\.\.16; got 2n/],
      ["new", { bits: 8 }, /needs dims/],
      ["new", { dims: 2 }, /needs bits/],
      ["new", { dims: 2, bits: 8, extra: 1 }, /unknown createSpace option "extra"/],
      ["new", { dim: 2, bits: 8 }, /unknown createSpace option "dim"/],
      ["new", null, /createSpace options must be an object/],
      ["new", undefined, /createSpace options must be an object/],
      ["new", [2, 8], /createSpace options must be an object/],
      ["", { dims: 2, bits: 8 }, /space name must not be empty/],
      [5, { dims: 2, bits: 8 }, /space name must be a string; got 5/],
      ["a\u0000b", { dims: 2, bits: 8 }, /must not contain NUL/],
      ["\uD800", { dims: 2, bits: 8 }, /well-formed Unicode/],
      ["x".repeat(256), { dims: 2, bits: 8 }, /at most 255 bytes/],
      ["é".repeat(128), { dims: 2, bits: 8 }, /at most 255 bytes of UTF-8; got 256/],
    ];
    for (const [name, options, message] of wrongType) {
      await rejects(() => store.createSpace(name as never, options as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", message);
    }
    expect(store.spaces().map((s) => s.name)).to.deep.equal(["pts", "wide"]);
    await expectUnchanged(store, before);
    await expectReopenShowsTheSame(store);
  });

  // --- points and values ---

  it("aPointWithTheWrongNumberOfCoordinatesIsPointDimensionsError", async () => {
    const store = await seeded();
    const before = await capture(store);
    const cases: Array<[unknown, RegExp]> = [
      [[1], /point has 1 coordinate; the space has 2 dims/],
      [[1, 2, 3], /point has 3 coordinates; the space has 2 dims/],
      [[], /point has 0 coordinates; the space has 2 dims/],
      [new Uint8Array(3), /point has 3 coordinates/],
    ];
    for (const [point, message] of cases) {
      await rejects(() => store.put("pts", point as never, bytes(9)), PointDimensionsError, "SPACELOG_POINT_DIMENSIONS", message);
      await rejects(() => store.delete("pts", point as never), PointDimensionsError, "SPACELOG_POINT_DIMENSIONS", message);
      await rejects(() => store.get("pts", point as never), PointDimensionsError, "SPACELOG_POINT_DIMENSIONS", message);
      await rejects(() => store.write([{ put: "pts", point: point as never, value: bytes(9) }]), PointDimensionsError, "SPACELOG_POINT_DIMENSIONS", message);
      await rejects(() => store.putMany("pts", [{ point: point as never, value: bytes(9) }]), PointDimensionsError, "SPACELOG_POINT_DIMENSIONS", message);
    }
    await rejects(() => store.put("wide", [1, 2], bytes(9)), PointDimensionsError, "SPACELOG_POINT_DIMENSIONS", /point has 2 coordinates; the space has 1 dims/);
    // Not an array at all: a wrong type.
    for (const point of ["1,2", 5, null, undefined, { 0: 1, 1: 2, length: 2 }, new DataView(new ArrayBuffer(2))]) {
      await rejects(() => store.put("pts", point as never, bytes(9)), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /point must be an array of 2 coordinates/);
      await rejects(() => store.get("pts", point as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /point must be an array of 2 coordinates/);
    }
    await expectUnchanged(store, before);
    await expectReopenShowsTheSame(store);
  });

  it("aCoordinateOutsideTheSpaceIsCoordinateOutOfRangeErrorAndIsNeverMasked", async () => {
    const store = await seeded();
    const before = await capture(store);
    // bits 8: [0, 256). Masked, 256 would be 0 and 258 would be 2.
    const cases: Array<[unknown, RegExp]> = [
      [[256, 0], /point\[0\] must be in \[0, 2\^8\); got 256/],
      [[0, 258], /point\[1\] must be in \[0, 2\^8\); got 258/],
      [[256n, 0n], /point\[0\] must be in \[0, 2\^8\); got 256/],
      [[1, 2 ** 32 + 2], /point\[1\] must be in \[0, 2\^8\)/],
    ];
    for (const [point, message] of cases) {
      const error = await rejects(() => store.put("pts", point as never, bytes(9)), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", message);
      expect(error, "a RangeError, as JavaScript's own out-of-range errors").to.be.instanceOf(RangeError);
      await rejects(() => store.delete("pts", point as never), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", message);
      await rejects(() => store.get("pts", point as never), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", message);
      await rejects(() => store.write([{ put: "pts", point: point as never, value: bytes(9) }]), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", message);
    }
    await rejects(() => store.put("wide", [1n << 60n], bytes(9)), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", /point\[0\] must be in \[0, 2\^60\)/);
    // The cells a mask would have hit hold what they held.
    expect(await store.get("pts", [0, 0])).to.equal(undefined);
    expect(await store.get("pts", [0, 2])).to.equal(undefined);
    await expectUnchanged(store, before);
    await expectReopenShowsTheSame(store);
  });

  it("aNegativeFractionalOrNaNCoordinateIsCoordinateOutOfRangeError", async () => {
    const store = await seeded();
    const before = await capture(store);
    const cases: Array<[unknown, RegExp]> = [
      [[-1, 0], /point\[0\] must be in \[0, 2\^8\); got -1/],
      [[-1n, 0], /point\[0\] must be in \[0, 2\^8\); got -1/],
      [[0, 1.5], /point\[1\] must be a safe integer number or a bigint; got 1\.5/],
      [[Number.NaN, 0], /point\[0\] must be a safe integer number or a bigint; got NaN/],
      [[0, Number.POSITIVE_INFINITY], /point\[1\] must be a safe integer number or a bigint; got Infinity/],
      [["1", 0], /point\[0\] must be a safe integer number or a bigint; got 1/],
      [[null, 0], /point\[0\] must be a safe integer number or a bigint; got null/],
    ];
    for (const [point, message] of cases) {
      await rejects(() => store.put("pts", point as never, bytes(9)), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", message);
      await rejects(() => store.get("pts", point as never), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", message);
      await rejects(() => store.putMany("pts", [{ point: point as never, value: bytes(9) }]), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", message);
    }
    await queryRejects(store, "pts", { min: [-1, 0], max: [3, 3] }, {}, CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", /box\.min\[0\] must be in \[0, 2\^8\); got -1/);
    await queryRejects(store, "pts", { min: [0, 0], max: [3, 0.5] }, {}, CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", /box\.max\[1\] must be a safe integer/);
    await expectUnchanged(store, before);
    await expectReopenShowsTheSame(store);
  });

  it("aCoordinateOf2To53OrMoreMustBeABigintWhenBitsIsAbove53", async () => {
    const store = await seeded();
    const before = await capture(store);
    // 2^53 is a number with no safe neighbours (2^53 + 1 rounds to it): refused as a number.
    for (const coordinate of [2 ** 53, 2 ** 53 + 2, 2 ** 59]) {
      await rejects(() => store.put("wide", [coordinate], bytes(9)), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE",
        new RegExp(`point\\[0\\] must be a safe integer number or a bigint; got ${coordinate}`));
      await rejects(() => store.get("wide", [coordinate]), CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", /safe integer number or a bigint/);
    }
    await expectUnchanged(store, before);
    // The same coordinates as bigints are accepted, and read back as bigints (bits > 53).
    const revision = await store.put("wide", [1n << 53n], bytes(5));
    expect(revision).to.equal(before.observed.revision + 1n);
    expect(await store.get("wide", [1n << 53n])).to.deep.equal(bytes(5));
    // A safe-integer number is exact at any bits: it names the same cell as its bigint.
    expect(await store.get("wide", [2 ** 53 - 1])).to.equal(undefined);
    await store.put("wide", [2 ** 53 - 1], bytes(6));
    expect(await store.get("wide", [(1n << 53n) - 1n])).to.deep.equal(bytes(6));
    const found: QueryResult[] = [];
    for await (const row of store.query("wide", { min: [(1n << 53n) - 1n], max: [1n << 53n] })) found.push(row);
    expect(found.map((r) => r.point)).to.deep.equal([[(1n << 53n) - 1n], [1n << 53n]]);
    await expectReopenShowsTheSame(store);
  });

  it("aValueOverVALUE_SIZE_MAXIsValueTooLargeErrorAndVALUE_SIZE_MAXItselfIsAccepted", async () => {
    const store = await seeded();
    const before = await capture(store);
    const tooLarge = new Uint8Array(VALUE_SIZE_MAX + 1);
    const message = new RegExp(`at most ${VALUE_SIZE_MAX} bytes.*got ${VALUE_SIZE_MAX + 1}`);
    const error = await rejects(() => store.put("pts", [7, 7], tooLarge), ValueTooLargeError, "SPACELOG_VALUE_TOO_LARGE", message);
    expect(error.valueSizeBytes).to.equal(VALUE_SIZE_MAX + 1);
    expect(error.valueSizeMax).to.equal(VALUE_SIZE_MAX);
    await rejects(() => store.write([{ put: "pts", point: [7, 7], value: bytes(1) }, { put: "pts", point: [7, 8], value: tooLarge }]),
      ValueTooLargeError, "SPACELOG_VALUE_TOO_LARGE", message);
    await rejects(() => store.putMany("pts", [{ point: [7, 7], value: tooLarge }]), ValueTooLargeError, "SPACELOG_VALUE_TOO_LARGE", message);
    await expectUnchanged(store, before);
    // The documented maximum is a value the store takes, keeps and gives back.
    const largest = new Uint8Array(VALUE_SIZE_MAX);
    largest[0] = 1;
    largest[VALUE_SIZE_MAX - 1] = 2;
    expect(await store.put("pts", [7, 7], largest)).to.equal(before.observed.revision + 1n);
    const read = await store.get("pts", [7, 7]);
    expect(read?.byteLength).to.equal(VALUE_SIZE_MAX);
    expect([read?.[0], read?.[VALUE_SIZE_MAX - 1]]).to.deep.equal([1, 2]);
    await store.close();
    const again = await openTracked(dir);
    const reread = await again.get("pts", [7, 7]);
    expect(reread?.byteLength).to.equal(VALUE_SIZE_MAX);
    expect([reread?.[0], reread?.[VALUE_SIZE_MAX - 1]]).to.deep.equal([1, 2]);
  });

  it("aValueThatIsNotAUint8ArrayIsInvalidArgumentError", async () => {
    const store = await seeded();
    const before = await capture(store);
    const cases: Array<[unknown, RegExp]> = [
      ["text", /a value must be a Uint8Array \(or Buffer\); got string/],
      [new ArrayBuffer(4), /got ArrayBuffer/],
      [new Int16Array(2), /got Int16Array/],
      [new DataView(new ArrayBuffer(2)), /got DataView/],
      [[1, 2], /got Array/],
      [null, /got null/],
      [undefined, /got undefined/],
      [5, /got number/],
    ];
    for (const [value, message] of cases) {
      await rejects(() => store.put("pts", [7, 7], value as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", message);
      await rejects(() => store.write([{ put: "pts", point: [7, 7], value: value as never }]), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", message);
      await rejects(() => store.putMany("pts", [{ point: [7, 7], value: value as never }]), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", message);
    }
    await expectUnchanged(store, before);
    await expectReopenShowsTheSame(store);
  });

  // --- batches ---

  it("aWriteBatchWithOneBadOpAmongGoodOnesWritesNothingOfTheBatch", async () => {
    const store = await seeded();
    const before = await capture(store);
    const good = [
      { put: "pts", point: [10, 10], value: bytes(10) },
      { delete: "pts", point: [1, 2] },
      { put: "wide", point: [5n], value: bytes(11) },
    ];
    const bad: Array<[unknown, ErrorClass<Error>, string, RegExp]> = [
      [{ put: "nope", point: [1, 1], value: bytes(1) }, UnknownSpaceError, "SPACELOG_UNKNOWN_SPACE", /"nope"/],
      [{ delete: "nope", point: [1, 1] }, UnknownSpaceError, "SPACELOG_UNKNOWN_SPACE", /"nope"/],
      [{ put: "pts", point: [1, 1, 1], value: bytes(1) }, PointDimensionsError, "SPACELOG_POINT_DIMENSIONS", /3 coordinates/],
      [{ delete: "pts", point: [300, 1] }, CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", /got 300/],
      [{ put: "pts", point: [1, 1], value: "x" }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /Uint8Array/],
      [{ put: "pts", point: [1, 1] }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /Uint8Array.*got undefined/],
      [{ put: "pts", point: [1, 1], value: new Uint8Array(VALUE_SIZE_MAX + 1) }, ValueTooLargeError, "SPACELOG_VALUE_TOO_LARGE", /at most/],
      [null, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /op \d must be \{ put, point, value \} or \{ delete, point \}/],
      [7, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /op \d must be/],
      [{ update: "pts", point: [1, 1] }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /op \d has neither put nor delete/],
    ];
    for (const [op, type, code, message] of bad) {
      // First, in the middle, and last among good ops.
      for (const batch of [[op, ...good], [good[0], op, good[1], good[2]], [...good, op]]) {
        await rejects(() => store.write(batch as never), type, code, message);
      }
    }
    // The op's index is named where the op itself is malformed.
    await rejects(() => store.write([good[0], good[1], null] as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /op 2 must be/);
    // putMany is write() with puts only: one bad entry writes none of the others.
    await rejects(() => store.putMany("pts", [{ point: [10, 10], value: bytes(1) }, { point: [10, 300], value: bytes(1) }, { point: [11, 11], value: bytes(1) }]),
      CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", /got 300/);
    await rejects(() => store.putMany("pts", [{ point: [10, 10], value: bytes(1) }, null] as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /point must be an array/);
    expect(await store.get("pts", [10, 10])).to.equal(undefined);
    expect(await store.get("pts", [1, 2]), "the delete of a refused batch did not happen").to.deep.equal(bytes(1));
    await expectUnchanged(store, before);
    // No revision was spent on a refused batch: the next good one starts right after the seed.
    expect(await store.write(good as never)).to.deep.equal({ first: before.observed.revision + 1n, last: before.observed.revision + 3n });
    await expectReopenShowsTheSame(store);
  });

  it("anEmptyBatchIsInvalidArgumentError", async () => {
    const store = await seeded();
    const before = await capture(store);
    await rejects(() => store.write([]), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /non-empty array.*got \[\]/);
    await rejects(() => store.putMany("pts", []), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /non-empty array/);
    for (const batch of [null, undefined, {}, "put", { put: "pts", point: [1, 1], value: bytes(1) }]) {
      await rejects(() => store.write(batch as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /write takes a non-empty array/);
    }
    for (const entries of [null, undefined, {}, "x"]) {
      await rejects(() => store.putMany("pts", entries as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /putMany takes a non-empty array/);
    }
    await expectUnchanged(store, before);
    await expectReopenShowsTheSame(store);
  });

  // --- reads ---

  it("aReadAtARevisionAboveTheSnapshotOrNegativeOrNotABigintIsInvalidArgumentError", async () => {
    const store = await seeded();
    const before = await capture(store);
    const top = store.snapshot().revision;
    const box = { min: [0, 0], max: [9, 9] };
    const cases: Array<[unknown, RegExp]> = [
      [{ revision: top + 1n }, new RegExp(`revision ${top + 1n} is not acknowledged yet \\(the newest is ${top}\\)`)],
      [{ revision: 1n << 64n }, new RegExp(`revision ${1n << 64n} is not acknowledged yet`)],
      [{ revision: -1n }, /revision must be a non-negative bigint; got -1/],
      [{ revision: 3 }, /revision must be a non-negative bigint; got 3/],
      [{ revision: "3" }, /revision must be a non-negative bigint; got 3/],
      [null, /options must be an object; got null/],
      [5, /options must be an object; got 5/],
    ];
    for (const [options, message] of cases) {
      await rejects(() => store.get("pts", [1, 2], options as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", new RegExp(`get: ${message.source}`));
      await queryRejects(store, "pts", box, options, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", new RegExp(`query: ${message.source}`));
    }
    // The edges are reads: at the snapshot, and at 0 (before anything).
    expect(await store.get("pts", [1, 2], { revision: top })).to.deep.equal(bytes(1));
    expect(await store.get("pts", [1, 2], { revision: 0n })).to.equal(undefined);
    expect(await store.get("pts", [3, 4], { revision: 4n }), "a read as of revision 4 sees [3, 4] before its delete").to.deep.equal(bytes(2));
    await expectUnchanged(store, before);
    await expectReopenShowsTheSame(store);
  });

  it("aBadBoxIsATypedErrorAndTheQueryYieldsNothing", async () => {
    const store = await seeded();
    const before = await capture(store);
    const cases: Array<[unknown, ErrorClass<Error>, string, RegExp]> = [
      [{ min: [5, 5], max: [4, 9] }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /box\.min\[0\] = 5 is above box\.max\[0\] = 4/],
      [{ min: [0, 9], max: [9, 8] }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /box\.min\[1\] = 9 is above box\.max\[1\] = 8/],
      [{ min: [1, 1, 1], max: [2, 2, 2] }, PointDimensionsError, "SPACELOG_POINT_DIMENSIONS", /box\.min has 3 coordinates; the space has 2 dims/],
      [{ min: [1, 1], max: [2] }, PointDimensionsError, "SPACELOG_POINT_DIMENSIONS", /box\.max has 1 coordinate; the space has 2 dims/],
      [{ min: [0, 0], max: [256, 0] }, CoordinateOutOfRangeError, "SPACELOG_COORDINATE_OUT_OF_RANGE", /box\.max\[0\] must be in \[0, 2\^8\); got 256/],
      [{ min: [1, 1] }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /box\.max must be an array of 2 coordinates/],
      [{ min: [0, 0], max: [9, 9], limit: 3 }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /unknown box key "limit"/],
      [{ low: [0, 0], high: [9, 9] }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /unknown box keys "low", "high"/],
      [[[0, 0], [9, 9]], InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /a box must be an object \{ min, max \}/],
      [null, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /a box must be an object/],
      [undefined, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /a box must be an object/],
    ];
    for (const [box, type, code, message] of cases) await queryRejects(store, "pts", box, {}, type, code, message);
    // A box of one cell is valid (min = max).
    const one: QueryResult[] = [];
    for await (const row of store.query("pts", { min: [1, 2], max: [1, 2] })) one.push(row);
    expect(one.map((r) => [r.point, hex(r.value)])).to.deep.equal([[[1, 2], "01"]]);
    await expectUnchanged(store, before);
    await expectReopenShowsTheSame(store);
  });

  it("aBadLimitIsInvalidArgumentError", async () => {
    const store = await seeded();
    const before = await capture(store);
    const box = { min: [0, 0], max: [255, 255] };
    for (const limit of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "3", 3n]) {
      await queryRejects(store, "pts", box, { limit }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT",
        new RegExp(`query: limit must be a non-negative integer; got ${String(limit).replace(/[.+]/g, "\\$&")}`));
    }
    // The edges: 0 yields nothing, 1 yields one.
    const none: QueryResult[] = [];
    for await (const row of store.query("pts", box, { limit: 0 })) none.push(row);
    expect(none).to.deep.equal([]);
    const first: QueryResult[] = [];
    for await (const row of store.query("pts", box, { limit: 1 })) first.push(row);
    expect(first).to.have.length(1);
    await expectUnchanged(store, before);
    await expectReopenShowsTheSame(store);
  });

  // Was a bug (fixed): null read options were taken as the default.
  it("aNullRevisionOrLimitIsInvalidArgumentErrorNotReadAsTheDefault", async () => {
    // store.ts readRevision and queryAll use `options.revision ?? newest` and `options.limit ?? MAX`,
    // so null passes as "not given": a read at the newest revision, a query without limit. Neither is
    // a bigint or a number (open()'s options refuse null: `sealRecords: null` is InvalidArgumentError).
    const store = await seeded();
    const before = await capture(store);
    const box = { min: [0, 0], max: [9, 9] };
    await rejects(() => store.get("pts", [1, 2], { revision: null } as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT",
      /get: revision must be a non-negative bigint; got null/);
    await queryRejects(store, "pts", box, { revision: null }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /query: revision must be a non-negative bigint; got null/);
    await queryRejects(store, "pts", box, { limit: null }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /query: limit must be a non-negative integer; got null/);
    await expectUnchanged(store, before);
  });

  // Was a bug (fixed): unknown read option keys were ignored.
  it("anUnknownReadOptionKeyIsInvalidArgumentErrorNotIgnored", async () => {
    // open(), createSpace() and query's box refuse unknown keys ("a typo such as { dim: 3 } would
    // otherwise be ignored", space-spec.ts); get's and query's options do not: { revison: 4n } reads
    // the newest revision, { limt: 1 } returns everything.
    const store = await seeded();
    const before = await capture(store);
    const box = { min: [0, 0], max: [9, 9] };
    await rejects(() => store.get("pts", [3, 4], { revison: 4n } as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /revison/);
    await queryRejects(store, "pts", box, { revison: 4n }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /revison/);
    await queryRejects(store, "pts", box, { limt: 1 }, InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /limt/);
    // get takes no limit.
    await rejects(() => store.get("pts", [1, 2], { limit: 1 } as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /limit/);
    await expectUnchanged(store, before);
  });

  // --- close ---

  it("everyCallAfterCloseIsClosedErrorAndCloseTwiceResolves", async () => {
    const store = await seeded();
    const shown = await observe(store);
    const disk = diskOf(dir);
    await store.close();
    const closed = /the store is closed/;
    const calls: Array<() => unknown> = [
      () => store.createSpace("new", { dims: 2, bits: 8 }),
      () => store.createSpace("pts", { dims: 2, bits: 8 }),
      () => store.put("pts", [1, 1], bytes(1)),
      () => store.delete("pts", [1, 2]),
      () => store.write([{ put: "pts", point: [1, 1], value: bytes(1) }]),
      () => store.putMany("pts", [{ point: [1, 1], value: bytes(1) }]),
      () => store.get("pts", [1, 2]),
      () => store.seal("pts"),
      // Bad arguments after close: closed is said first.
      () => store.put("nope", [1, 1, 1], "x" as never),
      () => store.write([]),
    ];
    for (const call of calls) {
      const error = await rejects(call, ClosedError, "SPACELOG_CLOSED", closed);
      expect(error.message).to.include(dir);
    }
    await queryRejects(store, "pts", { min: [0, 0], max: [9, 9] }, {}, ClosedError, "SPACELOG_CLOSED", closed);
    // The synchronous calls throw.
    thrownTyped(() => store.spaces(), ClosedError, "SPACELOG_CLOSED");
    thrownTyped(() => store.snapshot(), ClosedError, "SPACELOG_CLOSED");
    thrownTyped(() => store.stats(), ClosedError, "SPACELOG_CLOSED");
    // close() again, twice at once: both resolve.
    const again = store.close();
    const third = store.close();
    expect(again).to.be.instanceOf(Promise);
    await Promise.all([again, third]);
    expect(diskOf(dir), "no call after close touched a file").to.deep.equal(disk);
    const reopened = await openTracked(dir);
    expect(await observe(reopened)).to.deep.equal(shown);
  });

  it("aCallWhileCloseIsInFlightIsClosedErrorAndTheCloseCompletes", async () => {
    const store = await seeded();
    const shown = await observe(store);
    const closing = store.close();
    await rejects(() => store.put("pts", [9, 9], bytes(9)), ClosedError, "SPACELOG_CLOSED", /the store is closed/);
    await queryRejects(store, "pts", { min: [0, 0], max: [9, 9] }, {}, ClosedError, "SPACELOG_CLOSED", /the store is closed/);
    await closing;
    const reopened = await openTracked(dir);
    expect(await observe(reopened)).to.deep.equal(shown);
  });

  // --- the directory ---

  it("aSecondOpenOfTheSameDirectoryInThisProcessIsDirectoryInUseError", async () => {
    const store = await seeded();
    const before = await capture(store);
    for (const options of [{}, { ioThread: false }]) {
      const error = await rejects(() => open(dir, options), DirectoryInUseError, "SPACELOG_DIRECTORY_IN_USE", /already open in this process/);
      expect(error.message).to.include(dir);
    }
    await expectUnchanged(store, before);
    // The first store goes on, and once it is closed the directory opens again.
    expect(await store.put("pts", [9, 9], bytes(9))).to.equal(before.observed.revision + 1n);
    await expectReopenShowsTheSame(store);
  });

  it("anotherProcessOpeningTheDirectoryGetsDirectoryLockedError", async () => {
    const store = await seeded();
    const before = await capture(store);
    const script = `const { open } = await import(${JSON.stringify(hostIndex)});
      try { const store = await open(${JSON.stringify(dir)}); console.log("OPENED " + store.snapshot().revision); await store.close(); }
      catch (e) { console.log(e.name + " " + e.code); console.log(e.message); }`;
    const runChild = (): Promise<string[]> => new Promise((resolve, reject) => {
      execFile(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`the child failed: ${error.message}\n${stderr}`));
        else resolve(stdout.trim().split("\n"));
      });
    });
    const lines = await runChild();
    expect(lines[0]).to.equal("DirectoryLockedError SPACELOG_DIRECTORY_LOCKED");
    expect(lines[1]).to.include(dir);
    expect(lines[1]).to.match(/locked by another process/);
    await expectUnchanged(store, before);
    expect(await store.put("pts", [9, 9], bytes(9))).to.equal(before.observed.revision + 1n);
    // Once this process closes it, the other one opens it (the refusal was the LOCK, nothing else).
    await store.close();
    expect(await runChild()).to.deep.equal([`OPENED ${before.observed.revision + 1n}`]);
  });

  it("aFolderWithAUsersFileIsNotAStoreErrorAndIsLeftAsItWas", async () => {
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
    fs.mkdirSync(path.join(dir, "photos"));
    const error = await rejects(() => open(dir), NotAStoreError, "SPACELOG_NOT_A_STORE", /is not a spacelog store directory \(it holds/);
    expect(error.message).to.include(dir);
    expect(error.message).to.include("notes.txt");
    expect(fs.readdirSync(dir).sort(), "no LOCK, no SPACELOG left behind").to.deep.equal(["notes.txt", "photos"]);
    expect(fs.readFileSync(path.join(dir, "notes.txt"), "utf8")).to.equal("mine");
    // And again with the I/O on this thread: the same.
    await rejects(() => open(dir, { ioThread: false }), NotAStoreError, "SPACELOG_NOT_A_STORE");
    expect(fs.readdirSync(dir).sort()).to.deep.equal(["notes.txt", "photos"]);
  });

  it("aSpacelogLogDirectoryIsNotAStoreErrorAndTheLogIsLeftAsItWas", async () => {
    const logDir = path.join(dir, "log");
    const log = await openLog(logDir, { ioThread: false });
    await log.append(bytes(1, 2, 3));
    await log.close();
    const disk = diskOf(logDir);
    const error = await rejects(() => open(logDir), NotAStoreError, "SPACELOG_NOT_A_STORE", /holds a spacelog file of another kind or version: "spacelog log 1"/);
    expect(error.message).to.include(logDir);
    expect(diskOf(logDir), "the log's files are unchanged").to.deep.equal(disk);
    // The log still opens, with its entry, and its LOCK is free.
    const again = await openLog(logDir, { ioThread: false });
    const entries: string[] = [];
    for await (const record of again.replay()) if (record.entry.type === "raw") entries.push(hex(record.entry.bytes));
    expect(entries).to.deep.equal(["010203"]);
    await again.close();
  });

  it("aRegularFileAsTheDirectoryIsNotAStoreErrorNamingIt", async () => {
    const file = path.join(dir, "plain-file");
    fs.writeFileSync(file, "mine");
    const error = await rejects(() => open(file), NotAStoreError, "SPACELOG_NOT_A_STORE", /is a file, not a directory/);
    expect(error.message).to.include(file);
    expect(fs.readFileSync(file, "utf8")).to.equal("mine");
    expect(fs.readdirSync(dir)).to.deep.equal(["plain-file"]);
    // A path below a file cannot be created either; it is refused with a typed error, and nothing appears.
    const below = await rejection(open(path.join(file, "store")));
    expect(isSpacelogError(below), `${below.name}: ${below.message}`).to.equal(true);
    expect(below.message).to.include(file);
    expect(fs.readdirSync(dir)).to.deep.equal(["plain-file"]);
  });

  it("unknownOrWrongTypedOpenOptionsAreInvalidArgumentErrorAndCreateNothing", async () => {
    const target = path.join(dir, "store");
    const cases: Array<[unknown, RegExp]> = [
      [{ durabilty: "sync" }, /unknown open option "durabilty"; the options are durability, /],
      [{ sealRecord: 10, ioThreads: false }, /unknown open options "sealRecord", "ioThreads"/],
      [{ durability: "always" }, /durability must be "sync", "none" or \{ intervalMs \}; got "always"/],
      [{ durability: { intervalMs: 0 } }, /durability\.intervalMs must be an integer in 1\.\./],
      [{ sealRecords: 0 }, /sealRecords must be an integer in 1\.\.\d+; got 0/],
      [{ sealRecords: 1.5 }, /sealRecords must be an integer .*got 1\.5/],
      [{ sealRecords: "10" }, /sealRecords must be an integer .*got 10/],
      [{ sealBytes: 10 }, /sealBytes must be an integer in 1024\.\.\d+; got 10/],
      [{ cacheBytes: -1 }, /cacheBytes must be an integer in 0\.\.\d+; got -1/],
      [{ cacheBytes: 2 ** 41 }, /cacheBytes must be an integer in 0\.\.\d+; got 2199023255552/],
      [{ ioThread: "false" }, /ioThread must be a boolean; got "false"/],
      [{ ioThread: 0 }, /ioThread must be a boolean; got 0/],
      [{ io: "uring" }, /io must be "sync" or "threadpool"; got uring/],
      [{ core: {} }, /core must be an object with a crc32c\(\) method/],
      [{ storage: "sim" }, /storage must be a function/],
      [{ clock: 5 }, /clock must be an object with a nowMs\(\) method/],
      [{ timers: {} }, /timers must be an object with a setTimer\(\) method/],
      [{ storage: () => null, ioThread: true }, /cannot be combined with ioThread: true/],
      [null, /open options must be an object; got null/],
      [[], /open options must be an object/],
      ["sync", /open options must be an object; got sync/],
    ];
    for (const [options, message] of cases) {
      await rejects(() => open(target, options as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", message);
      expect(fs.existsSync(target), `nothing is created for ${String(options)}`).to.equal(false);
    }
    for (const bad of ["", 5, undefined, null]) {
      await rejects(() => open(bad as never), InvalidArgumentError, "SPACELOG_INVALID_ARGUMENT", /open needs a directory path \(a non-empty string\)/);
    }
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  // --- damaged files ---

  /** Seeds, seals "pts" into a block, closes; returns the block's file name. */
  async function sealedAndClosed(): Promise<{ block: string; shown: Observed }> {
    const store = await seeded();
    for (let i = 0; i < 30; i++) await store.put("pts", [i, 100 + i], bytes(i));
    const sealed = await store.seal("pts");
    expect(sealed.blocks).to.equal(1);
    const shown = await observe(store);
    await store.close();
    const blocks = fs.readdirSync(dir).filter((n) => /^blk-.*\.blk$/.test(n));
    expect(blocks).to.have.length(1);
    return { block: blocks[0] as string, shown };
  }

  it("aFlippedByteInASealedBlocksChunkIsCorruptionErrorNamingTheFileAndAnOffset", async () => {
    const { block, shown } = await sealedAndClosed();
    const file = path.join(dir, block);
    // The first chunk begins right after the 64-byte header; byte 64 + 20 is its first record's value.
    flipByte(file, 64 + 20);
    // open() verifies a block's header, index and trailer; the chunk is verified when it is read.
    const store = await openTracked(dir);
    const disk = diskOf(dir); // after open(), which starts a new staging generation of its own
    const size = fs.statSync(file).size;
    const checkCorruption = (error: Rejection): void => {
      expect(error.file).to.equal(file);
      expect(error.offset).to.be.a("number");
      expect(error.offset).to.be.at.least(64).and.below(size);
      expect(error.reason).to.be.a("string").and.not.equal("");
      expect(error.message).to.include(file);
      expect(error.message).to.include(`offset ${error.offset}`);
    };
    checkCorruption(await rejects(() => store.get("pts", [1, 2]), CorruptionError, "SPACELOG_CORRUPTION"));
    checkCorruption(await queryRejects(store, "pts", fullBox({ name: "pts", dims: 2, bits: 8 }), {}, CorruptionError, "SPACELOG_CORRUPTION"));
    // Nothing was cut or rewritten, and the rest of the store answers as before.
    expect(diskOf(dir)).to.deep.equal(disk);
    expect(store.snapshot().revision).to.equal(shown.revision);
    expect(await store.get("wide", [1n << 55n])).to.deep.equal(bytes(4));
  });

  it("aFlippedByteInASealedBlocksHeaderMakesOpenRejectWithCorruptionErrorNamingTheBlock", async () => {
    const { block } = await sealedAndClosed();
    const file = path.join(dir, block);
    flipByte(file, 20); // the header's recordCount
    const disk = diskOf(dir);
    const error = await rejects(() => open(dir), CorruptionError, "SPACELOG_CORRUPTION", file);
    expect(error.file).to.equal(file);
    expect(error.offset).to.be.a("number");
    expect(error.message).to.include(`offset ${error.offset}`);
    expect(diskOf(dir), "a refused open changes no file").to.deep.equal(disk);
    // The LOCK was released: a second attempt says the same, not DirectoryInUseError.
    await rejects(() => open(dir), CorruptionError, "SPACELOG_CORRUPTION", file);
  });

  it("aFlippedByteInMANIFESTMakesOpenRejectWithCorruptionErrorNamingMANIFEST", async () => {
    await sealedAndClosed();
    const manifest = path.join(dir, "MANIFEST");
    const size = fs.statSync(manifest).size;
    flipByte(manifest, Math.floor(size / 2));
    const disk = diskOf(dir);
    const error = await rejects(() => open(dir), CorruptionError, "SPACELOG_CORRUPTION", /MANIFEST/);
    expect(error.file).to.equal(manifest);
    expect(error.offset).to.be.a("number").and.to.be.at.least(0).and.below(size);
    expect(error.message).to.include(manifest);
    expect(error.message).to.include(`offset ${error.offset}`);
    expect(diskOf(dir), "a refused open changes no file").to.deep.equal(disk);
    await rejects(() => open(dir), CorruptionError, "SPACELOG_CORRUPTION", /MANIFEST/);
  });

  /** Seeds, puts ten more points one by one, closes; returns the hot segment of "pts" and its records' frames. */
  async function hotSegmentOfPts(): Promise<{ name: string; file: string; frames: Array<{ offset: number; end: number; revision: bigint }>; shown: Observed }> {
    const store = await seeded();
    for (let i = 0; i < 10; i++) await store.put("pts", [20 + i, 20 + i], bytes(20 + i, 1, 2, 3));
    const shown = await observe(store);
    await store.close();
    const hot = fs.readdirSync(dir).filter((n) => /^hot-00000001-.*\.seg$/.test(n));
    expect(hot, "one hot segment for space 1").to.have.length(1);
    const name = hot[0] as string;
    const file = path.join(dir, name);
    const identity = parseStoreFileName(name);
    if (identity === undefined) throw new Error(`${name} is not a store file name`);
    const scan = scanStoreFile(await loadCore(), file, fs.readFileSync(file), identity);
    expect(scan.tail.kind).to.equal("clean");
    return { name, file, frames: scan.records.map((r) => ({ offset: r.offset, end: r.end, revision: r.record.revision })), shown };
  }

  it("aFlippedByteInTheMiddleOfAHotSegmentIsCorruptionErrorWithPathAndOffsetNotACut", async () => {
    const { file, frames } = await hotSegmentOfPts();
    // A frame in the middle, with later frames (and the sync marks between them) after it.
    const damaged = frames[Math.floor(frames.length / 2)];
    if (damaged === undefined) throw new Error("no frame");
    expect(frames[frames.length - 1]?.offset).to.be.above(damaged.end);
    flipByte(file, damaged.offset + 8 + 2); // a payload byte: the frame's checksum fails
    const disk = diskOf(dir);
    const error = await rejects(() => open(dir), CorruptionError, "SPACELOG_CORRUPTION", file);
    expect(error.file).to.equal(file);
    expect(error.offset, "the damaged frame's offset").to.equal(damaged.offset);
    expect(error.message).to.include(`offset ${damaged.offset}`);
    expect(diskOf(dir), "not cut: the refused open changes no file").to.deep.equal(disk);
    await rejects(() => open(dir), CorruptionError, "SPACELOG_CORRUPTION", file);
  });

  it("aLastFrameCutShortIsATornTailThatOpenRepairsAndReports", async () => {
    const { name, file, frames, shown } = await hotSegmentOfPts();
    const last = frames[frames.length - 1];
    if (last === undefined) throw new Error("no frame");
    expect(last.end, "the last put is the file's last frame").to.equal(fs.statSync(file).size);
    expect(last.revision).to.equal(shown.revision);
    const cutTo = last.end - 5;
    fs.truncateSync(file, cutTo);
    const store = await openTracked(dir);
    expect(store.stats().recovery.tornTails).to.deep.equal([{ file: name, offset: last.offset, bytes: cutTo - last.offset }]);
    expect(store.stats().recovery.historyCut).to.equal(null);
    // The torn put is gone and everything before it is there.
    expect(store.snapshot().revision).to.equal(shown.revision - 1n);
    expect(await store.get("pts", [29, 29])).to.equal(undefined);
    expect(await store.get("pts", [28, 28])).to.deep.equal(bytes(28, 1, 2, 3));
    const pts = shown.points["pts"] ?? [];
    expect((await observe(store)).points).to.deep.equal({ ...shown.points, pts: pts.filter((row) => !row.startsWith("29,29=")) });
    // The cut is durable: the file ends at the last whole frame, and the next open finds nothing torn.
    expect(fs.statSync(file).size).to.be.at.most(last.offset);
    expect(await store.put("pts", [29, 29], bytes(7))).to.equal(shown.revision);
    const shownNow = await observe(store);
    await store.close();
    const again = await openTracked(dir);
    expect(again.stats().recovery.tornTails).to.deep.equal([]);
    expect(await observe(again)).to.deep.equal(shownNow);
  });

  it("aBatchTornInOneSpacesHotSegmentIsCutWholeFromEverySpace", async () => {
    const store = await seeded();
    const shown = await observe(store);
    await store.write([{ put: "pts", point: [40, 40], value: bytes(40) }, { put: "wide", point: [40n], value: bytes(41) }]);
    await store.close();
    const wide = fs.readdirSync(dir).filter((n) => /^hot-00000002-.*\.seg$/.test(n));
    expect(wide).to.have.length(1);
    const name = wide[0] as string;
    const file = path.join(dir, name);
    const identity = parseStoreFileName(name);
    if (identity === undefined) throw new Error(`${name} is not a store file name`);
    const last = scanStoreFile(await loadCore(), file, fs.readFileSync(file), identity).records.at(-1);
    if (last === undefined) throw new Error("no frame");
    expect(last.end).to.equal(fs.statSync(file).size);
    fs.truncateSync(file, last.end - 3);
    const again = await openTracked(dir);
    expect(again.stats().recovery.tornTails).to.deep.equal([{ file: name, offset: last.offset, bytes: last.end - 3 - last.offset }]);
    // The batch's other half, whole in "pts"'s hot segment, is cut too (the prefix rule's cut, beside
    // the torn tail's): a batch is all or nothing.
    expect(again.stats().recovery.historyCut).to.deep.equal({ firstMissing: shown.revision + 2n, revisionsCut: 1, recordsCut: 1 });
    expect(again.snapshot().revision).to.equal(shown.revision);
    expect(await again.get("pts", [40, 40])).to.equal(undefined);
    expect(await observe(again)).to.deep.equal(shown);
  });

  // Was a bug (fixed): a damaged definition was blamed on the hot segment, after cutting every file.
  it("aFlippedByteInTheLastDefinitionInStagingIsCorruptionErrorNamingStaging", async () => {
    // createSpace("wide") was acknowledged and its hot segment exists, so its definition (the
    // staging log's last frame) was durable: damage there is corruption at that frame. Recovery
    // reads the frame as a torn tail, drops the definition, and then refuses the hot segment
    // ("a hot segment of space 2, which no definition names", at offset 0): the error names a
    // file that is intact and says nothing of staging (store-recovery.ts spacesOf, the last loop).
    const store = await seeded();
    await store.close();
    const staging = fs.readdirSync(dir).filter((n) => /^staging-.*\.seg$/.test(n));
    expect(staging).to.have.length(1);
    const name = staging[0] as string;
    const file = path.join(dir, name);
    const identity = parseStoreFileName(name);
    if (identity === undefined) throw new Error(`${name} is not a store file name`);
    const records = scanStoreFile(await loadCore(), file, fs.readFileSync(file), identity).records;
    const last = records.at(-1);
    if (last === undefined || last.record.type !== "space") throw new Error("the last frame of staging is a definition");
    expect(last.record.name).to.equal("wide");
    flipByte(file, last.offset + 8 + 10);
    const disk = diskOf(dir);
    const error = await rejects(() => open(dir), CorruptionError, "SPACELOG_CORRUPTION");
    expect(error.file, `${error.message}`).to.equal(file);
    expect(error.offset).to.equal(last.offset);
    expect(error.message).to.include(`offset ${last.offset}`);
    // Today the refused open has also cut both hot segments to their headers and staging past its
    // first definition (the prefix rule's cut is made before the definitions are checked).
    expect(diskOf(dir), "a refused open changes no file").to.deep.equal(disk);
  });

  // Was a bug (fixed): a torn-looking frame below proven-durable revisions was cut silently.
  it("aFlippedByteInASpacesLastFrameWithLaterRevisionsElsewhereIsCorruptionErrorNotASilentCut", async () => {
    // "pts"'s last put (revision 8) is the last frame of its hot segment, so nothing in that file
    // proves it durable; but revisions 9..18 were acknowledged after it, in "wide"'s hot segment, and
    // that file's sync marks prove them fdatasynced: revision 8 was durable and is damaged. Today
    // open() succeeds, reads the frame as a torn tail, and the prefix rule drops revisions 8..18
    // (historyCut { firstMissing: 8n, revisionsCut: 10 }) without an error: acknowledged writes,
    // proven durable, gone (store-recovery.ts recoverStore: planHistory ignores every file's
    // durableProven; history-prefix.ts).
    const store = await seeded();
    await store.put("pts", [50, 50], bytes(50));
    for (let i = 0; i < 10; i++) await store.put("wide", [BigInt(100 + i)], bytes(i));
    await store.close();
    const name = fs.readdirSync(dir).find((n) => /^hot-00000001-.*\.seg$/.test(n)) ?? "";
    const file = path.join(dir, name);
    const identity = parseStoreFileName(name);
    if (identity === undefined) throw new Error(`${name} is not a store file name`);
    const last = scanStoreFile(await loadCore(), file, fs.readFileSync(file), identity).records.at(-1);
    if (last === undefined) throw new Error("no frame");
    expect(last.record.revision).to.equal(8n);
    expect(last.end, "the put is its file's last frame").to.equal(fs.statSync(file).size);
    flipByte(file, last.offset + 8 + 10);
    const disk = diskOf(dir);
    let error: Rejection | null = null;
    let report: unknown = null;
    try {
      const again = await openTracked(dir);
      report = { revision: again.snapshot().revision, recovery: again.stats().recovery };
    } catch (caught) {
      error = caught as Rejection;
    }
    expect(error, `open() succeeded and cut acknowledged writes: ${JSON.stringify(report, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))}`).not.to.equal(null);
    expect(error).to.be.instanceOf(CorruptionError);
    expect(error?.file).to.equal(file);
    expect(error?.offset).to.equal(last.offset);
    expect(diskOf(dir), "a refused open changes no file").to.deep.equal(disk);
  });

  // --- a dead I/O thread ---

  it("aDeadIoThreadFailsTheStoreWithIoThreadErrorNotFdatasyncFailed", async () => {
    const store = await seeded();
    expect(store.stats().ioThread).to.equal(true);
    const shown = await observe(store);
    await terminateIoThreadForTests(dir);
    const first = await rejects(() => store.put("pts", [9, 9], bytes(9)), IoThreadError, "SPACELOG_IO_THREAD", /I\/O thread exited \(code 1\) while the store was open/);
    expect(first).to.be.instanceOf(StoreFailedError);
    expect(first.message).to.include(dir);
    expect(first.message).not.to.match(/fdatasync/);
    expect(first.cause).to.have.property("message", "worker exit code 1");
    // Every later call is refused with the same recorded failure.
    const second = await rejects(() => store.write([{ put: "pts", point: [9, 9], value: bytes(9) }]), IoThreadError, "SPACELOG_IO_THREAD");
    expect(second, "the first failure is kept").to.equal(first);
    await rejects(() => store.get("pts", [1, 2]), IoThreadError, "SPACELOG_IO_THREAD");
    await queryRejects(store, "pts", { min: [0, 0], max: [9, 9] }, {}, IoThreadError, "SPACELOG_IO_THREAD");
    thrownTyped(() => store.snapshot(), IoThreadError, "SPACELOG_IO_THREAD");
    // close() resolves, and a reopen shows what was acknowledged before the thread died.
    await store.close();
    const again = await openTracked(dir);
    expect(await observe(again)).to.deep.equal(shown);
  });

  for (const ioThread of [false, true]) {
    it(`aStoreThatFailedOnTheWritersThreadStillClosesAndReopens (${ioThread ? "I/O thread" : "in-process"})`, async () => {
      const store = await seeded({ ioThread });
      const shown = await observe(store);
      // A failure on this side (a seal's, a placement's), with the loop still running. close()
      // used to wait for an in-process loop that nothing stopped.
      store.failBy(new StoreFailedError(`${dir}: a failure for this test`));
      await rejects(() => store.put("pts", [9, 9], bytes(9)), StoreFailedError, "SPACELOG_STORE_FAILED", /a failure for this test/);
      await store.close();
      await store.close();
      const again = await openTracked(dir);
      expect(await observe(again), "a reopen shows what was acknowledged").to.deep.equal(shown);
    });
  }
});
