import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The source folders in layers, lowest first: a module imports only from its own folder or a
 * lower layer, never up (docs/architecture.md). Tests (spec files) may import anything.
 */
export const LAYERS: string[][] = [
  ['core'],
  ['nx', 'oci', 'io', 'records', 'engines'],
  ['executors'],
  ['plugin', 'build', 'generators', 'docs'],
  ['testing', '.'],
];

const SRC = __dirname;
const layerOf = (folder: string) => LAYERS.findIndex((layer) => layer.includes(folder));

describe('imports run down the layers only', () => {
  const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));

  it('knows every source folder', () => {
    for (const file of files) expect(layerOf(file.split('/').length > 1 ? file.split('/')[0] : '.'), file).toBeGreaterThanOrEqual(0);
  });

  it.each(files)('%s', (file) => {
    const folder = file.includes('/') ? file.split('/')[0] : '.';
    const up: string[] = [];
    for (const [, spec] of readFileSync(join(SRC, file), 'utf8').matchAll(/(?:from |import\(|require\()'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(SRC, normalize(join(SRC, dirname(file), spec)));
      // `../../engines` is the folder's index.
      const targetFolder = target.includes('/') || layerOf(target) >= 0 ? target.split('/')[0] : '.';
      if (targetFolder !== folder && layerOf(targetFolder) > layerOf(folder)) up.push(target);
    }
    expect(up).toEqual([]);
  });
});
