import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInputsRecord, writeInputsRecord } from './inputs';
import { readProvenance, writeProvenance, type Provenance } from './attachments';
import { exportsImageId, readMetadata, writeExports, writeMetadata, type ImageMetadata } from './metadata';

const dir = mkdtempSync(join(tmpdir(), 'records-'));
const ID = `sha256:${'a'.repeat(64)}`;
const metadata: ImageMetadata = {
  name: 'runner',
  ref: 'ffreis/runner:42',
  latest: 'ffreis/runner:latest',
  imageId: ID,
  hash: '42',
  parents: [{ name: 'base-runner', ref: 'ffreis/base-runner:7' }],
  sizeBytes: 10,
  durationMs: 5,
  status: 'built',
  engine: 'docker',
  store: '||||',
  finishedAt: '2026-01-01T00:00:00.000Z',
  reason: 'app/lib.py changed',
};
const provenance: Provenance = {
  schema: 'nx-images/provenance/v1',
  image: { name: 'runner', ref: 'ffreis/runner:42', id: ID, hash: '42' },
  status: 'built',
  parents: [{ name: 'base-runner', ref: 'ffreis/base-runner:7', id: ID }],
  inputs: { files: { 'app/lib.py': '1' }, env: {}, exports: {} },
  engine: { name: 'docker', client: 'docker', version: '20.10' },
  versions: { nxImages: '0.1.0', nx: '23.3.1', node: '20.20.0' },
  finishedAt: '2026-01-01T00:00:00.000Z',
};

describe('each record has one schema, and a record of another shape is absent', () => {
  it('reads back what its writer wrote', () => {
    writeMetadata(join(dir, 'image.json'), metadata);
    expect(readMetadata(join(dir, 'image.json'))).toEqual(metadata);
    writeProvenance(dir, provenance);
    expect(readProvenance(dir)).toEqual(provenance);
    const inputs = { hash: '42', files: { a: '1' }, env: { X: '2' }, parents: { base: 'ffreis/base:1' }, exports: {} };
    writeInputsRecord(dir, inputs);
    expect(readInputsRecord(dir)).toEqual(inputs);
    writeExports(dir, ID, { '/app': 'sha256:1' });
    expect(exportsImageId(dir)).toBe(ID);
  });

  it.each([
    ['empty', ''],
    ['garbage', 'not json {'],
    ['null', 'null'],
    ['an array', '[]'],
    ['a field of the wrong type', JSON.stringify({ ...metadata, sizeBytes: '10' })],
    ['an unknown status', JSON.stringify({ ...metadata, status: 'maybe' })],
    ['a field missing', JSON.stringify({ ...metadata, hash: undefined })],
    ['parents of the wrong shape', JSON.stringify({ ...metadata, parents: [{ name: 'x' }] })],
  ])('image.json %s is no record', (_case, text) => {
    writeFileSync(join(dir, 'image.json'), text);
    expect(readMetadata(join(dir, 'image.json'))).toBeUndefined();
  });

  it('takes provenance.json, inputs.json and exports.json of another shape as absent', () => {
    writeFileSync(join(dir, 'provenance.json'), JSON.stringify({ ...provenance, image: { id: ID } }));
    expect(readProvenance(dir)).toBeUndefined();
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify({ files: 7, env: null }));
    expect(readInputsRecord(dir)).toBeUndefined();
    writeExports(dir, ID, { '/app': 'sha256:1' });
    writeFileSync(join(dir, 'exports.json'), '{"/app": 7}');
    // The exports are written again when the image is next recorded.
    expect(exportsImageId(dir)).toBeUndefined();
  });
});
