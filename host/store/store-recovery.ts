// Recovery of a store directory (docs/FORMAT.md "Store recovery"): what open() finds on disk, and
// the cuts that make it a consistent prefix of history. In order:
//   1. MANIFEST (none: a store that never sealed); MANIFEST.tmp is never the store's and goes.
//   2. The blocks it lists, each opened and checked against its entry; a block file it does not
//      list is a seal that crashed before its manifest, and goes.
//   3. Every hot segment and staging file, scanned (store-file-scan.ts). A file without a whole
//      header never got a frame (the header is synced before any) and goes.
//   4. The prefix rule (history-prefix.ts) over every file's records above the manifest's
//      durableRevision: each file is cut at its torn tail or at its first record past the kept
//      history, whichever comes first, and the cut is synced before the store takes a write.
//   5. Spaces: the manifest's, plus the definitions kept; a space's records above its sealed
//      revision become its live tail, one copy per revision (a promoted record is in staging and
//      in its hot segment).
// Damage to durable bytes is a CorruptionError naming the file and offset, never a silent cut.
import { assert } from "../assert.js";
import { type Core } from "../core/index.js";
import { CorruptionError } from "../errors.js";
import { type StorageIo } from "../io/storage-io.js";
import { blockIdOfName } from "./block-format.js";
import { type BlockReader, type BlockReaderShared, openBlock } from "./block-reader.js";
import { type HistoryFile, isHistoryProblem, planHistory } from "./history-prefix.js";
import { type Manifest, type ManifestBlock, MANIFEST_FILE_NAME, MANIFEST_TEMP_NAME, decodeManifest, isManifestProblem } from "./manifest-format.js";
import { type ScannedStoreRecord, type StoreFileScan, scanStoreFile } from "./store-file-scan.js";
import { type StoreFileIdentity, isMisnamedStoreFile, parseStoreFileName } from "./store-files.js";
import { type StoreRecord } from "./store-record.js";
import { type VersionRecord } from "./version-record.js";

/** The manifest of a store that has never sealed. */
export const EMPTY_MANIFEST: Manifest = { generation: 0n, nextSpaceId: 1, nextBlockId: 1n, durableRevision: 0n, spaces: [], blocks: [] };

export interface RecoveredBlock {
  readonly entry: ManifestBlock;
  readonly reader: BlockReader;
}

/** A space's hot segment file as recovery left it: appends continue at `size`. */
export interface RecoveredHotFile {
  readonly name: string;
  readonly generation: bigint;
  readonly size: number;
  /** The last revision it holds (0n if none). */
  readonly lastRevision: bigint;
}

export interface RecoveredSpace {
  readonly spaceId: number;
  readonly name: string;
  readonly dims: number;
  readonly bits: number;
  /** Listed in the manifest (else only its definition record in staging makes it known). */
  readonly listed: boolean;
  /** The definition's revision, when a definition record holds it (0n when only the manifest does). */
  readonly definedAt: bigint;
  readonly sealedRevision: bigint;
  readonly blocks: readonly RecoveredBlock[];
  /** Unsealed records, one per revision, in revision order: the live tail. */
  readonly records: readonly VersionRecord[];
  /** Unsealed puts and deletes no hot segment holds (only staging): to promote. In revision order. */
  readonly stagedOnly: readonly StoreRecord[];
  /** The newest hot generation (appends continue there), or null if the space has none. */
  readonly hot: RecoveredHotFile | null;
  /** Older hot generations: still needed until the space's next seal removes them. */
  readonly olderHot: readonly string[];
  /** The highest hot generation any file of the space ever had (new generations go above). */
  readonly generationMax: bigint;
}

export interface RecoveryReport {
  readonly manifestGeneration: bigint;
  readonly blocks: number;
  /** Unsealed records recovered into live tails. */
  readonly tailRecords: number;
  /** Torn tails cut: a write a crash interrupted, never acknowledged. */
  readonly tornTails: ReadonlyArray<{ readonly file: string; readonly offset: number; readonly bytes: number }>;
  /** The prefix rule's cut (history-prefix.ts), when it cut anything. */
  readonly historyCut: { readonly firstMissing: bigint | null; readonly revisionsCut: number; readonly recordsCut: number } | null;
  /** Files removed: MANIFEST.tmp, unlisted blocks, files without a whole header. */
  readonly removed: readonly string[];
}

export interface StoreRecovery {
  readonly manifest: Manifest;
  readonly spaces: readonly RecoveredSpace[];
  readonly nextSpaceId: number;
  /** Every staging file present; open() starts a new generation and removes these once it is durable. */
  readonly stagingFiles: readonly string[];
  readonly stagingGenerationMax: bigint;
  /** The revision the next write gets. */
  readonly nextRevision: bigint;
  readonly report: RecoveryReport;
}

interface ScannedFile {
  readonly name: string;
  readonly identity: StoreFileIdentity;
  readonly scan: StoreFileScan;
}

function readWhole(io: StorageIo, path: string): Uint8Array {
  const file = io.openFile(path, { create: false });
  try {
    const bytes = new Uint8Array(io.fileSize(file));
    for (let filled = 0; filled < bytes.byteLength;) {
      const count = io.readAt(file, bytes.subarray(filled), filled);
      assert(count > 0, `${path}: a read below the file's size returns bytes`);
      filled += count;
    }
    return bytes;
  } finally {
    io.closeFile(file);
  }
}

function readManifest(core: Core, io: StorageIo, dir: string): Manifest {
  const path = `${dir}/${MANIFEST_FILE_NAME}`;
  if (!io.exists(path)) return EMPTY_MANIFEST;
  const decoded = decodeManifest(core, readWhole(io, path));
  // MANIFEST appears only by rename of a synced file: a manifest that does not decode is damage.
  if (isManifestProblem(decoded)) throw new CorruptionError(`corrupt store file: ${path} at offset ${decoded.offset}: ${decoded.reason}`, path, decoded.offset, decoded.reason);
  return decoded;
}

function syncWhole(io: StorageIo, path: string): void {
  const file = io.openFile(path, { create: false });
  try {
    io.syncFile(file);
  } finally {
    io.closeFile(file);
  }
}

/** Cuts `name` to `size` and syncs it (io.truncate syncs). */
function cut(io: StorageIo, path: string, size: number): void {
  const file = io.openFile(path, { create: false });
  try {
    io.truncate(file, size);
  } finally {
    io.closeFile(file);
  }
}

/**
 * Recovers the store in `dir` (its LOCK taken, its identity checked). Everything is read and
 * checked first; only then are files removed, cut and synced, so a store found corrupt is left
 * exactly as it was. Cuts and removals are durable on return.
 */
/** `shared` is the store's chunk cache and block file pool: the blocks opened here read through them. */
export function recoverStore(core: Core, io: StorageIo, dir: string, shared: BlockReaderShared): StoreRecovery {
  const toRemove: string[] = [];
  const names = io.listDirectory(dir).sort();
  if (names.includes(MANIFEST_TEMP_NAME)) toRemove.push(MANIFEST_TEMP_NAME);
  const manifest = readManifest(core, io, dir);

  const listedBlocks = new Set(manifest.blocks.map((b) => b.blockId));
  for (const name of names) {
    const blockId = blockIdOfName(name);
    if (blockId !== undefined && !listedBlocks.has(blockId)) toRemove.push(name);
  }

  const scanned: ScannedFile[] = [];
  for (const name of names) {
    // A file renamed by hand: skipping it could drop its records unnoticed.
    if (isMisnamedStoreFile(name)) throw new CorruptionError(`corrupt store: ${dir}/${name} looks like a store file but is not named as one (FORMAT.md "Hot segments and staging")`, `${dir}/${name}`, 0, "name");
    const identity = parseStoreFileName(name);
    if (identity === undefined) continue;
    const scan = scanStoreFile(core, `${dir}/${name}`, readWhole(io, `${dir}/${name}`), identity);
    if (scan.header !== "valid") toRemove.push(name);
    else scanned.push({ name, identity, scan });
  }

  const historyFiles: HistoryFile[] = scanned.map((file) => ({
    fileId: file.name,
    records: file.scan.records.map((r) => ({ revision: r.record.revision, batchEnd: r.record.batchEnd, offsetInFile: r.offset, endInFile: r.end })),
  }));
  const plan = planHistory(manifest.durableRevision, historyFiles);
  if (isHistoryProblem(plan)) {
    const path = `${dir}/${plan.fileId}`;
    throw new CorruptionError(`corrupt store file: ${path} at offset ${plan.offset}: revision ${plan.revision} breaks the history's ${plan.reason} rule (${plan.row.why})`, path, plan.offset, plan.reason);
  }
  if (plan.firstMissing !== null) checkMissingNotProven(dir, scanned, plan.firstMissing);

  const tornTails: Array<{ file: string; offset: number; bytes: number }> = [];
  const kept = new Map<string, { records: ScannedStoreRecord[]; size: number }>();
  const sizes: Array<{ name: string; size: number; fileSize: number }> = [];
  scanned.forEach((file, i) => {
    const historyCut = plan.files[i]?.cutAt ?? null;
    const size = historyCut === null ? file.scan.dataEnd : Math.min(historyCut, file.scan.dataEnd);
    if (file.scan.tail.kind === "torn") tornTails.push({ file: file.name, offset: file.scan.tail.at, bytes: file.scan.tail.bytes });
    sizes.push({ name: file.name, size, fileSize: file.scan.tail.at + file.scan.tail.bytes });
    kept.set(file.name, { records: file.scan.records.filter((r) => r.end <= size), size });
  });

  const spaces = spacesOf(core, io, dir, manifest, scanned, kept, shared);
  try {
    for (const name of toRemove) io.removeFile(`${dir}/${name}`);
    if (toRemove.length > 0) io.syncDirectory(dir);
    // Cut (io.truncate syncs), or synced as it is: a killed process may have left its last turn
    // in the page cache only, and what this open reads must be durable before it acknowledges
    // anything after it (FORMAT.md "Store directory and recovery", step 4).
    for (const { name, size, fileSize } of sizes) {
      if (size < fileSize) cut(io, `${dir}/${name}`, size);
      else syncWhole(io, `${dir}/${name}`);
    }
  } catch (error) {
    for (const space of spaces) for (const block of space.blocks) block.reader.close();
    throw error;
  }
  let nextSpaceId = manifest.nextSpaceId;
  for (const space of spaces) if (space.spaceId >= nextSpaceId) nextSpaceId = space.spaceId + 1;
  const staging = scanned.filter((f) => f.identity.kind === "staging");
  let stagingGenerationMax = 0n;
  for (const file of staging) if (file.identity.generation > stagingGenerationMax) stagingGenerationMax = file.identity.generation;
  const nextRevision = plan.nextRevision > manifest.durableRevision ? plan.nextRevision : manifest.durableRevision + 1n;
  return {
    manifest, spaces, nextSpaceId, stagingFiles: staging.map((f) => f.name), stagingGenerationMax, nextRevision,
    report: {
      manifestGeneration: manifest.generation,
      blocks: manifest.blocks.length,
      tailRecords: spaces.reduce((n, s) => n + s.records.length, 0),
      tornTails,
      historyCut: plan.revisionsCut === 0 ? null : { firstMissing: plan.firstMissing, revisionsCut: plan.revisionsCut, recordsCut: plan.recordsCut },
      removed: toRemove,
    },
  };
}

/**
 * A missing revision is a torn turn only if nothing proves it durable. A file's sync mark states
 * a durable end its writer learned from a completed turn: every file of that turn was synced, and
 * so was every revision placed before it (acknowledgements follow revision order). So a missing
 * revision at or below the highest revision below some file's proven end was durable: the bytes
 * that held it are damaged (the torn tail that took it is corruption), and cutting would drop
 * acknowledged writes after it.
 */
function checkMissingNotProven(dir: string, scanned: readonly ScannedFile[], firstMissing: bigint): void {
  let proven = 0n;
  let prover: ScannedFile | null = null;
  for (const file of scanned) {
    for (const { record, end } of file.scan.records) {
      if (end <= file.scan.durableProven && record.revision > proven) {
        proven = record.revision;
        prover = file;
      }
    }
  }
  if (firstMissing > proven || prover === null) return;
  const torn = scanned.find((f) => f.scan.tail.kind === "torn");
  const file = torn ?? prover;
  const offset = torn === undefined ? 0 : torn.scan.tail.at;
  const path = `${dir}/${file.name}`;
  throw new CorruptionError(
    `corrupt store file: ${path} at offset ${offset}: revision ${firstMissing} is missing, but a sync mark in ${dir}/${prover.name} proves revision ${proven} durable` +
    (torn === undefined ? " (a store file is missing or cut short)" : " (the bytes that held it are damaged, not a torn write)"),
    path, offset, "durableGap");
}

interface SpaceDefinition {
  readonly spaceId: number;
  readonly name: string;
  readonly dims: number;
  readonly bits: number;
  readonly listed: boolean;
  readonly definedAt: bigint;
  readonly sealedRevision: bigint;
}

function definitionsOf(dir: string, manifest: Manifest, scanned: readonly ScannedFile[], kept: ReadonlyMap<string, { records: ScannedStoreRecord[] }>): Map<number, SpaceDefinition> {
  const byId = new Map<number, SpaceDefinition>();
  for (const space of manifest.spaces) byId.set(space.spaceId, { ...space, listed: true, definedAt: 0n });
  for (const file of scanned) {
    for (const { record, offset } of kept.get(file.name)?.records ?? []) {
      if (record.type !== "space") continue;
      const known = byId.get(record.spaceId);
      if (known !== undefined) {
        if (known.name !== record.name || known.dims !== record.dims || known.bits !== record.bits) {
          throw new CorruptionError(`corrupt store file: ${`${dir}/${file.name}`} at offset ${offset}: space ${record.spaceId} is defined twice, differently`, `${dir}/${file.name}`, offset, "space");
        }
        continue;
      }
      byId.set(record.spaceId, { spaceId: record.spaceId, name: record.name, dims: record.dims, bits: record.bits, listed: false, definedAt: record.revision, sealedRevision: 0n });
    }
  }
  const names = new Map<string, number>();
  for (const space of byId.values()) {
    const other = names.get(space.name);
    if (other !== undefined) throw new CorruptionError(`corrupt store: spaces ${other} and ${space.spaceId} share the name ${JSON.stringify(space.name)}`, dirOfNothing, 0, "space");
    names.set(space.name, space.spaceId);
  }
  return byId;
}

/** The file a whole-store problem names: the manifest and the definitions together, so none in particular. */
const dirOfNothing = "(store)";

function spacesOf(core: Core, io: StorageIo, dir: string, manifest: Manifest, scanned: readonly ScannedFile[],
  kept: ReadonlyMap<string, { records: ScannedStoreRecord[]; size: number }>, shared: BlockReaderShared): RecoveredSpace[] {
  const definitions = definitionsOf(dir, manifest, scanned, kept);
  for (const file of scanned) {
    if (file.identity.kind === "hot" && !definitions.has(file.identity.spaceId)) {
      // S2: the definition was durable before this file was created. A staging file with a torn
      // or cut tail lost it: that tail is damage, and the staging file is what to name.
      const staging = scanned.find((f) => f.identity.kind === "staging" && (f.scan.tail.kind === "torn" || (kept.get(f.name)?.size ?? 0) < f.scan.dataEnd));
      if (staging !== undefined) {
        const offset = staging.scan.tail.kind === "torn" ? staging.scan.tail.at : kept.get(staging.name)?.size ?? 0;
        throw new CorruptionError(`corrupt store file: ${dir}/${staging.name} at offset ${offset}: the definition of space ${file.identity.spaceId} is lost there, but its hot segment ${file.name} exists (it was created only after the definition was durable)`, `${dir}/${staging.name}`, offset, "definition");
      }
      throw new CorruptionError(`corrupt store file: ${dir}/${file.name}: a hot segment of space ${file.identity.spaceId}, which no definition names`, `${dir}/${file.name}`, 0, "space");
    }
  }
  const out: RecoveredSpace[] = [];
  const opened: RecoveredBlock[] = [];
  const openAll = (entries: readonly ManifestBlock[]): RecoveredBlock[] => {
    try {
      return entries.map((entry) => {
        const block = { entry, reader: openBlock(core, io, dir, entry.blockId, entry, shared) };
        opened.push(block);
        return block;
      });
    } catch (error) {
      for (const block of opened) block.reader.close();
      throw error;
    }
  };
  for (const space of [...definitions.values()].sort((a, b) => a.spaceId - b.spaceId)) {
    const blocks = openAll(manifest.blocks.filter((b) => b.spaceId === space.spaceId));
    const hotFiles = scanned.filter((f) => f.identity.kind === "hot" && f.identity.spaceId === space.spaceId)
      .sort((a, b) => (a.identity.generation < b.identity.generation ? -1 : 1));
    const inHot = new Set<bigint>();
    const records = new Map<bigint, VersionRecord>();
    for (const file of hotFiles) {
      for (const { record } of kept.get(file.name)?.records ?? []) {
        if (record.type === "space" || record.revision <= space.sealedRevision) continue;
        inHot.add(record.revision);
        records.set(record.revision, versionOf(record));
      }
    }
    const stagedOnly: StoreRecord[] = [];
    for (const file of scanned.filter((f) => f.identity.kind === "staging")) {
      for (const { record } of kept.get(file.name)?.records ?? []) {
        if (record.type === "space" || record.spaceId !== space.spaceId || record.revision <= space.sealedRevision) continue;
        if (!definitions.has(record.spaceId)) throw new CorruptionError(`corrupt store file: ${dir}/${file.name}: a record of space ${record.spaceId}, which no definition names`, `${dir}/${file.name}`, 0, "space");
        if (records.has(record.revision)) continue;
        records.set(record.revision, versionOf(record));
        if (!inHot.has(record.revision)) stagedOnly.push(record);
      }
    }
    stagedOnly.sort((a, b) => (a.revision < b.revision ? -1 : 1));
    const newest = hotFiles[hotFiles.length - 1];
    const hot = newest === undefined ? null : hotFileOf(newest, kept.get(newest.name));
    out.push({
      ...space, blocks,
      records: [...records.values()].sort((a, b) => (a.revision < b.revision ? -1 : 1)),
      stagedOnly, hot,
      olderHot: hotFiles.slice(0, -1).map((f) => f.name),
      generationMax: newest?.identity.generation ?? 0n,
    });
  }
  return out;
}

function hotFileOf(file: ScannedFile, kept: { records: ScannedStoreRecord[]; size: number } | undefined): RecoveredHotFile {
  assert(file.identity.kind === "hot" && kept !== undefined, "a hot file that was scanned");
  const last = kept.records[kept.records.length - 1];
  return { name: file.name, generation: file.identity.generation, size: kept.size, lastRevision: last?.record.revision ?? 0n };
}

function versionOf(record: StoreRecord): VersionRecord {
  assert(record.type !== "space", "a space definition is not a version");
  return { key: record.key, revision: record.revision, value: record.type === "put" ? record.value : null };
}

