/*
 * The values the plugin takes from Nx at run time, from the modules Nx itself has
 * already loaded. `@nx/devkit`'s index re-exports these very objects but loads about 75 ms
 * of other modules (yaml, jsonc-parser, semver…) into every run without the daemon.
 * nx-runtime.spec.ts checks each (against the devkit's own where it exports one), so an Nx
 * that moves one fails there.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Devkit from '@nx/devkit';

export const { logger } = require('nx/src/utils/logger') as Pick<typeof Devkit, 'logger'>;
export const { DependencyType } = require('nx/src/config/project-graph') as Pick<typeof Devkit, 'DependencyType'>;
export const { readCachedProjectGraph } = require('nx/src/project-graph/project-graph') as Pick<typeof Devkit, 'readCachedProjectGraph'>;

/**
 * Nx's data directory for a workspace (`.nx/workspace-data`, or NX_WORKSPACE_DATA_DIRECTORY):
 * where Nx keeps its graph and its plugins keep their caches. Not in @nx/devkit.
 */
export const { workspaceDataDirectoryForWorkspace: workspaceDataDirectoryOf } = require('nx/src/utils/cache-directory') as {
  workspaceDataDirectoryForWorkspace: (workspaceRoot: string) => string;
};

/**
 * Whether this process serves one `nx` command only: Nx's own CLI process, not its daemon
 * (`global.NX_DAEMON`, set in `daemon/server/server.js`, read by `daemon/is-on-daemon.js`)
 * nor a plugin worker (`global.NX_PLUGIN_WORKER`, `plugins/isolation/plugin-worker.js`),
 * both of which live across runs.
 */
export function servesOneRun(): boolean {
  const nx = globalThis as { NX_DAEMON?: unknown; NX_PLUGIN_WORKER?: unknown };
  return !nx.NX_DAEMON && !nx.NX_PLUGIN_WORKER;
}
