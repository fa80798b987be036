import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizePluginOptions } from '../core/options';

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
    expect(schemas.map(([name]) => name).sort()).toEqual(['build', 'clean', 'lint', 'push', 'run', 'test', 'update-digest']);
  });

  it.each(schemas)('%s: an option the plugin also has defaults to the plugin’s default (core/options.ts is the one source)', (_name, schema) => {
    for (const [key, property] of Object.entries(schema.properties)) {
      if (!(key in defaults) || property.default === undefined) continue;
      expect(property.default, key).toEqual(defaults[key]);
    }
  });

  it('describe an option they share in the same words', () => {
    const byKey = new Map<string, Set<string>>();
    for (const [, schema] of schemas) {
      for (const [key, property] of Object.entries(schema.properties)) {
        if (!['name', 'prefix', 'outputDir', 'engine', 'client'].includes(key)) continue;
        byKey.set(key, (byKey.get(key) ?? new Set()).add(property.description ?? ''));
      }
    }
    for (const [key, descriptions] of byKey) expect([...descriptions], key).toHaveLength(1);
  });

  it('offer the engines the plugin knows', () => {
    for (const [, schema] of schemas) {
      if (schema.properties.engine?.enum) expect(schema.properties.engine.enum).toEqual(['docker', 'podman']);
    }
  });
});
