import * as devkit from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import * as runtime from './runtime';

describe("the plugin's values from Nx's own modules (the one adapter)", () => {
  it('answers as @nx/devkit does', () => {
    expect(runtime.staticDependency()).toBe(devkit.DependencyType.static);
    expect(typeof runtime.logger.warn).toBe('function');
  });

  it.each(Object.entries(runtime.NX_PRIVATE_MODULES).flatMap(([module, names]) => names.map((name) => [module, name] as const)))(
    '%s still exports %s',
    (module, name) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const value = (require(module) as Record<string, unknown>)[name];
      expect(typeof value === 'function' || (typeof value === 'object' && value !== null)).toBe(true);
      if (name in devkit) expect(value).toBe((devkit as Record<string, unknown>)[name]);
    },
  );

  it('names every private module the sources load, and no source but the adapter loads one', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const src = join(__dirname, '..');
    const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    const loads = new Map<string, string[]>();
    for (const file of files) {
      for (const [, module] of readFileSync(join(src, file), 'utf8').matchAll(/(?:require\(|from )'(nx\/src\/[^']+)'/g)) {
        loads.set(module, [...(loads.get(module) ?? []), file]);
      }
    }
    expect([...loads.keys()].sort()).toEqual(Object.keys(runtime.NX_PRIVATE_MODULES).sort());
    for (const users of loads.values()) expect(users).toEqual(['nx/runtime.ts']);
  });
});

describe('mergedTargetOptions', () => {
  it('is undefined for a project Nx does not know, never a throw', () => {
    expect(runtime.mergedTargetOptions('no-such-project-here', 'build')).toBeUndefined();
  });
});

describe("Nx's workspace data directory", () => {
  it('is .nx/workspace-data in the workspace, or where NX_WORKSPACE_DATA_DIRECTORY says', () => {
    const saved = { data: process.env.NX_WORKSPACE_DATA_DIRECTORY, graph: process.env.NX_PROJECT_GRAPH_CACHE_DIRECTORY };
    try {
      delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
      delete process.env.NX_PROJECT_GRAPH_CACHE_DIRECTORY;
      expect(runtime.workspaceDataDirectoryOf('/ws')).toBe('/ws/.nx/workspace-data');
      process.env.NX_WORKSPACE_DATA_DIRECTORY = 'elsewhere/data';
      expect(runtime.workspaceDataDirectoryOf('/ws')).toBe('/ws/elsewhere/data');
    } finally {
      for (const [key, value] of [
        ['NX_WORKSPACE_DATA_DIRECTORY', saved.data],
        ['NX_PROJECT_GRAPH_CACHE_DIRECTORY', saved.graph],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
