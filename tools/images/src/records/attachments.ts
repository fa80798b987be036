/** What goes with an image: its provenance (written by every build) and its SBOM (the sbom target). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InputsRecord } from '../core/why';
import { writeFileAtomic } from '../io/atomic-file';
import type { ImageStatus } from './metadata';
import { PROVENANCE_RECORD, readRecord } from './schemas';

export const PROVENANCE_FILE = 'provenance.json';
/** The CycloneDX SBOM the `sbom` target writes beside image.json; pushed as `<hash tag>.sbom`. */
export const SBOM_FILE = 'sbom.cdx.json';
export const SBOM_TAG_SUFFIX = '.sbom';
/** The tag suffix its copy in the registry carries: `<registry>/<name>:<hash tag>.provenance`. */
export const PROVENANCE_TAG_SUFFIX = '.provenance';

/**
 * How an image came to be, beside image.json and pushed with the image: what went into its
 * hash (each input file's content hash, each environment input's sha256, never a value),
 * the parents it was built from (refs and ids), the engine and the tools' versions.
 */
export interface Provenance {
  schema: 'nx-images/provenance/v1';
  image: { name: string; ref: string; id: string; hash: string };
  /** A multi-platform image: each platform's image, by its tag and id (the hash tag names the first). */
  platforms?: { platform: string; ref: string; id: string }[];
  /** How this machine got it: built here, or pulled (its builder's provenance is in the registry). */
  status: ImageStatus;
  parents: { name: string; ref: string; id?: string }[];
  inputs?: Pick<InputsRecord, 'files' | 'env' | 'exports'>;
  engine: { name: string; client: string; version?: string };
  versions: { nxImages: string; nx: string; node: string };
  finishedAt: string;
}

export function readProvenance(dir: string): Provenance | undefined {
  return readRecord<Provenance>(join(dir, PROVENANCE_FILE), PROVENANCE_RECORD);
}

export function writeProvenance(dir: string, provenance: Provenance): void {
  writeFileAtomic(join(dir, PROVENANCE_FILE), `${JSON.stringify(provenance, null, 2)}\n`);
}

/** Writes the image's SBOM (CycloneDX JSON) beside image.json; returns its path. */
export function writeSbom(dir: string, json: string): string {
  const file = join(dir, SBOM_FILE);
  writeFileAtomic(file, json);
  return file;
}

function versionOf(manifest: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(manifest), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The versions a provenance names: this plugin's, Nx's and Node's. */
export function toolVersions(): Provenance['versions'] {
  return { nxImages: versionOf(join(__dirname, '..', '..', 'package.json')), nx: versionOf('nx/package.json'), node: process.version };
}

/** The image id an SBOM beside image.json describes (its metadata component's version), if any. */
export function sbomImageId(dir: string): string | undefined {
  try {
    const bom = JSON.parse(readFileSync(join(dir, SBOM_FILE), 'utf8')) as { metadata?: { component?: { version?: string } } };
    return bom.metadata?.component?.version;
  } catch {
    return undefined;
  }
}
