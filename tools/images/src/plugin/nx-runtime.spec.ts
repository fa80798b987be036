import * as devkit from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import * as runtime from './nx-runtime';

describe("the plugin's values from Nx's own modules", () => {
  it.each(['logger', 'DependencyType', 'readCachedProjectGraph'] as const)('%s is the very one @nx/devkit exports', (name) => {
    expect(runtime[name]).toBeDefined();
    expect(runtime[name]).toBe(devkit[name]);
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
