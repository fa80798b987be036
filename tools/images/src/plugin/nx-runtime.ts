/*
 * The three values the plugin takes from Nx at run time, from the modules Nx itself has
 * already loaded. `@nx/devkit`'s index re-exports these very objects but loads about 75 ms
 * of other modules (yaml, jsonc-parser, semver…) into every run without the daemon.
 * nx-runtime.spec.ts checks that each is the devkit's own, so an Nx that moves one fails there.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Devkit from '@nx/devkit';

export const { logger } = require('nx/src/utils/logger') as Pick<typeof Devkit, 'logger'>;
export const { DependencyType } = require('nx/src/config/project-graph') as Pick<typeof Devkit, 'DependencyType'>;
export const { readCachedProjectGraph } = require('nx/src/project-graph/project-graph') as Pick<typeof Devkit, 'readCachedProjectGraph'>;

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
