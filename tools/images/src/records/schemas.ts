/**
 * The one schema of each record the plugin keeps per image (dist/images/<name>/), and the one
 * reader that checks a file against it. A record that cannot be read, is not JSON or has the
 * wrong shape is absent: the run treats the image as unrecorded and writes the record again,
 * never crashes on it. The layout of the folder is in docs/architecture.md.
 */
import { readFileSync } from 'node:fs';

/** A field: a JSON type, an enumeration, a nested object, an array of objects, or a map of strings. */
type Field =
  | 'string'
  | 'number'
  | 'boolean'
  | 'string[]'
  | 'map'
  | readonly string[]
  | { readonly object: Schema }
  | { readonly arrayOf: Schema }
  | { readonly optional: Field };
export type Schema = { readonly [key: string]: Field };

const optional = (field: Field) => ({ optional: field }) as const;
const isMap = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');

const isEnumeration = (field: Field): field is readonly string[] => Array.isArray(field);

function fits(field: Field, value: unknown): boolean {
  if (typeof field === 'string') {
    if (field === 'string[]') return Array.isArray(value) && value.every((v) => typeof v === 'string');
    if (field === 'map') return isMap(value);
    return typeof value === field && (field !== 'number' || Number.isFinite(value));
  }
  if (isEnumeration(field)) return field.includes(value as string);
  if ('optional' in field) return value === undefined || fits(field.optional, value);
  if ('object' in field) return conforms(field.object, value);
  return Array.isArray(value) && value.every((item) => conforms(field.arrayOf, item));
}

/** Whether a parsed value has the schema's shape (extra keys are allowed: a newer writer's). */
export function conforms(schema: Schema, value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return Object.entries(schema).every(([key, field]) => fits(field, record[key]));
}

/** `image.json`: the image a run recorded (records/metadata.ts). */
export const IMAGE_RECORD: Schema = {
  name: 'string',
  ref: 'string',
  latest: 'string',
  imageId: 'string',
  hash: 'string',
  parents: { arrayOf: { name: 'string', ref: 'string' } },
  sizeBytes: 'number',
  durationMs: 'number',
  status: ['built', 'present', 'pulled', 'restored'],
  engine: 'string',
  store: optional('string'),
  finishedAt: 'string',
  reason: optional('string'),
  platforms: optional('string[]'),
};

/** `inputs.json`: what went into the hash of the last successful run (io/inputs-record.ts). */
export const INPUTS_RECORD: Schema = { hash: 'string', files: 'map', env: 'map', parents: 'map', exports: 'map' };

/** `provenance.json`: how the image came to be (records/attachments.ts). */
export const PROVENANCE_RECORD: Schema = {
  schema: ['nx-images/provenance/v1'],
  image: { object: { name: 'string', ref: 'string', id: 'string', hash: 'string' } },
  platforms: optional({ arrayOf: { platform: 'string', ref: 'string', id: 'string' } }),
  status: ['built', 'present', 'pulled', 'restored'],
  parents: { arrayOf: { name: 'string', ref: 'string', id: optional('string') } },
  engine: { object: { name: 'string', client: 'string', version: optional('string') } },
  versions: { object: { nxImages: 'string', nx: 'string', node: 'string' } },
  finishedAt: 'string',
};

/** `warm.json`: how to start the image's next build early (executors/build/warm.ts). */
export const WARM_RECORD: Schema = {
  engine: 'string',
  client: 'string',
  dockerfile: 'string',
  context: 'string',
  target: optional('string'),
  network: optional('string'),
  buildArgs: 'map',
  parents: { arrayOf: { name: 'string', arg: 'string', ref: 'string' } },
  dockerfiles: 'string[]',
};

/** The record in `path` when it is there, is JSON and has the schema's shape; else undefined (absent). */
export function readRecord<T>(path: string, schema: Schema): T | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return conforms(schema, parsed) ? (parsed as T) : undefined;
  } catch {
    return undefined;
  }
}
