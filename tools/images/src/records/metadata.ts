import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic-file';
import { join } from 'node:path';
import { IMAGE_RECORD, readRecord } from './schemas';

/**
 * How the executor came to have the image: `present` (already in the engine),
 * `built`, `pulled` (from the registry), `restored` (recorded here but missing
 * from the engine, so pulled or rebuilt).
 */
export type ImageStatus = 'built' | 'present' | 'pulled' | 'restored';

/** `dist/images/<name>/image.json`: written only after the image exists under `ref`. */
export interface ImageMetadata {
  name: string;
  /** The exact hash tag. */
  ref: string;
  /** The moving tag, pointing at `ref`. */
  latest: string;
  imageId: string;
  hash: string;
  parents: { name: string; ref: string }[];
  sizeBytes: number;
  durationMs: number;
  status: ImageStatus;
  engine: string;
  /** The store it was recorded against (engines/types.ts storeKey); absent in records older than it. */
  store?: string;
  finishedAt: string;
  /** Why this run built, pulled or restored it: "app/lib.py changed", "from <registry>"; none when present. */
  reason?: string;
  /** The platforms of a multi-platform image: one image each under `<hash>-<os>-<arch>`, an index when pushed. */
  platforms?: string[];
}

/** Where an image's metadata lives. */
export function metadataPath(workspaceRoot: string, outputDir: string, name: string): string {
  return join(workspaceRoot, outputDir, name, 'image.json');
}

/** Reads metadata, or undefined when there is none, or it is unreadable or of another shape (treated as absent, written again). */
export function readMetadata(path: string): ImageMetadata | undefined {
  return readRecord<ImageMetadata>(path, IMAGE_RECORD);
}

/** Writes metadata atomically (temp file, then rename), so a reader never sees half a file. */
export function writeMetadata(path: string, metadata: ImageMetadata): void {
  writeFileAtomic(path, `${JSON.stringify(metadata, null, 2)}\n`);
}

/** Removes metadata so nothing claims an image while it is rebuilt or after it is removed. */
export function removeMetadata(path: string): void {
  rmSync(path, { force: true });
}

/**
 * The stamp beside `image.json`: what the build target's shell fast path (bin/build.sh) may
 * claim, written last, once the image is verified. One value per line, in this order:
 * the image id; the ref (`<repository>:<hash>`) it holds for; the hash label the image carries;
 * the settings key (engines/types.ts settingsKey) it was verified under; the client to ask and
 * the engine's name. The shell compares, it decides nothing: the ref must be its task's, its
 * settings key the stamp's and the view's, and the engine must hold the id under the ref and
 * `:latest` with that label.
 */
export interface Stamp {
  id: string;
  ref: string;
  label: string;
  key: string;
  client: string;
  engine: string;
}

/** Fields of a stamp in the order they are written (one per line). */
export const STAMP_FIELDS = ['id', 'ref', 'label', 'key', 'client', 'engine'] as const satisfies readonly (keyof Stamp)[];

export function writeStamp(dir: string, stamp: Stamp): void {
  if (STAMP_FIELDS.some((field) => stamp[field].includes('\n')))
    throw new Error(`a stamp's values are one line each: ${JSON.stringify(stamp)}`);
  writeFileAtomic(join(dir, 'stamp'), STAMP_FIELDS.map((field) => `${stamp[field]}\n`).join(''));
}

/** Removes the stamp, so the fast path claims nothing while the image is rebuilt. */
export function removeStamp(dir: string): void {
  rmSync(join(dir, 'stamp'), { force: true });
}

/**
 * `exports.json`: the digests of the paths children copy from this image. Its bytes are an
 * input of those children's hash (Nx `dependentTasksOutputFiles`), so it holds nothing but
 * the digests. `exports.id` says which image they were taken from (first line) and the sha256
 * of exports.json's bytes (second line): bin/build.sh and exportsImageId trust exports.json
 * only while its bytes are the ones written, so a file edited or damaged by hand is written again
 * before a child hashes it.
 */
export function writeExports(dir: string, imageId: string, digests: Record<string, string>): void {
  const text = `${JSON.stringify(digests, Object.keys(digests).sort(), 2)}\n`;
  writeFileAtomic(join(dir, 'exports.json'), text);
  writeFileSync(join(dir, 'exports.id'), `${imageId}\n${sha256(text)}\n`);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The image id the current `exports.json` was taken from, if any, and only while its bytes are the ones written. */
export function exportsImageId(dir: string): string | undefined {
  try {
    const [id, sum] = readFileSync(join(dir, 'exports.id'), 'utf8').split('\n');
    if (!id || sum !== sha256(readFileSync(join(dir, 'exports.json'), 'utf8'))) return undefined;
    return id;
  } catch {
    return undefined;
  }
}
