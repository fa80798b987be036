import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINES, normalizePluginOptions } from '../core/options';
import { sharedOptionSchemas, withSharedOptions } from './shared-options';

interface Schema {
  properties: Record<string, { default?: unknown; description?: string; enum?: unknown[] }>;
}

const schemas = readdirSync(__dirname, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) => {
    try {
      return [[entry.name, JSON.parse(readFileSync(join(__dirname, entry.name, 'schema.json'), 'utf8')) as Schema] as const];
    } catch {
      return [];
    }
  });

describe('the executors’ schemas', () => {
  const defaults = normalizePluginOptions(undefined) as unknown as Record<string, unknown>;

  it('are found, one per executor', () => {
    expect(schemas.map(([name]) => name).sort()).toEqual(['build', 'clean', 'lint', 'push', 'run', 'sbom', 'test', 'update-digest']);
  });

  it.each(schemas)(
    '%s: an option the plugin also has defaults to the plugin’s default (core/options.ts is the one source)',
    (_name, schema) => {
      for (const [key, property] of Object.entries(schema.properties)) {
        if (!(key in defaults) || property.default === undefined) continue;
        expect(property.default, key).toEqual(defaults[key]);
      }
    },
  );

  it.each(schemas)('%s: a shared option (name, prefix, outputDir, engine, client) is written from shared-options.ts', (_name, schema) => {
    expect(withSharedOptions(schema)).toEqual(schema);
  });

  it('offer the engines the plugin knows (core/options.ts ENGINES)', () => {
    expect(sharedOptionSchemas().engine.enum).toEqual([...ENGINES]);
    expect(
      schemas
        .filter(([, schema]) => schema.properties.engine)
        .map(([name]) => name)
        .sort(),
    ).toEqual(['build', 'clean', 'push', 'run', 'sbom', 'test']);
  });
});
