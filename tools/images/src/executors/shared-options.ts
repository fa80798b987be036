import { ENGINES, normalizePluginOptions, type EngineName } from '../core/options';

/** The options every executor acting on one recorded image takes (their schema entries: sharedOptionSchemas). */
export interface ImageTargetOptions {
  name: string;
  prefix: string;
  outputDir: string;
  engine: EngineName;
  client?: string;
}

/** One option's entry in an executor's schema.json. */
export interface OptionSchema {
  type: string;
  description: string;
  enum?: string[];
  default?: unknown;
}

/**
 * The schema entries of the options several executors share: the one source of their
 * words, defaults (core/options.ts) and engine list. `npx nx run nx-images:schemas` writes
 * them into every schema.json that has the option; a unit test fails when one drifts.
 */
export function sharedOptionSchemas(): Record<string, OptionSchema> {
  const defaults = normalizePluginOptions(undefined);
  return {
    name: { type: 'string', description: 'Image (and project) name.' },
    prefix: { type: 'string', description: 'Repository prefix: <prefix>/<name>:<tag>.', default: defaults.prefix },
    outputDir: { type: 'string', description: 'Workspace-relative folder of image.json records.', default: defaults.outputDir },
    engine: { type: 'string', enum: [...ENGINES], description: 'Engine; CONTAINER_ENGINE overrides.', default: defaults.engine },
    client: {
      type: 'string',
      description: "Path of the engine's client; CONTAINER_CLIENT overrides. Default: the engine's name on PATH.",
    },
  };
}

/** A schema with its shared options' entries replaced by the one source's, in place and order kept. */
export function withSharedOptions<T extends { properties: Record<string, unknown> }>(schema: T): T {
  const shared = sharedOptionSchemas();
  const properties = Object.fromEntries(Object.entries(schema.properties).map(([key, entry]) => [key, shared[key] ?? entry]));
  return { ...schema, properties };
}
