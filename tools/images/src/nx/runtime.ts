/*
 * The one adapter between the plugin and Nx's internals: every private `nx/src/...` module and
 * every Nx global the plugin uses is named here and nowhere else. The values come from the
 * modules Nx itself has already loaded: `@nx/devkit`'s index re-exports several of these very
 * objects but loads about 75 ms of other modules (yaml, jsonc-parser, semver…) into every run
 * without the daemon. runtime.spec.ts checks each (against the devkit's own where it exports
 * one), so an Nx that moves one fails there, on every Nx version CI runs.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Devkit from '@nx/devkit';

/**
 * Every private Nx module the plugin loads, and what it takes from each: runtime.spec.ts
 * checks that each is there (and is the devkit's own where @nx/devkit exports it too).
 */
export const NX_PRIVATE_MODULES = {
  'nx/src/utils/logger': ['logger'],
  'nx/src/config/project-graph': ['DependencyType'],
  'nx/src/project-graph/project-graph': ['readCachedProjectGraph'],
  'nx/src/utils/cache-directory': ['workspaceDataDirectoryForWorkspace'],
  'nx/src/project-graph/nx-deps-cache': ['readFileMapCache'],
} as const;

/** The project graph Nx cached for this run. Loaded on first use: the build program's start does not pay for Nx's graph modules. */
export function readCachedProjectGraph(): ReturnType<typeof Devkit.readCachedProjectGraph> {
  return (require('nx/src/project-graph/project-graph') as Pick<typeof Devkit, 'readCachedProjectGraph'>).readCachedProjectGraph();
}

/*
 * Each module is loaded on first use, not when this file is: the build program (which imports
 * this adapter through its records) would otherwise pay about 50 ms of Nx modules at every start.
 * In the plugin's own process Nx has loaded them already.
 */

/** Nx's logger (`logger.warn` prints as Nx's own warnings do). */
export const logger = {
  warn(message: string): void {
    (require('nx/src/utils/logger') as Pick<typeof Devkit, 'logger'>).logger.warn(message);
  },
};

/** Nx's dependency types (a static edge: read from a file, here a Dockerfile's FROM). */
export function staticDependency(): Devkit.DependencyType.static {
  return (require('nx/src/config/project-graph') as Pick<typeof Devkit, 'DependencyType'>).DependencyType.static;
}

/**
 * Nx's data directory for a workspace (`.nx/workspace-data`, or NX_WORKSPACE_DATA_DIRECTORY):
 * where Nx keeps its graph and its plugins keep their caches. Not in @nx/devkit.
 */
export function workspaceDataDirectoryOf(workspaceRoot: string): string {
  const module = require('nx/src/utils/cache-directory') as { workspaceDataDirectoryForWorkspace: (root: string) => string };
  return module.workspaceDataDirectoryForWorkspace(workspaceRoot);
}

/** A project's file as Nx hashed it for this run. */
export interface NxFileHash {
  file: string;
  hash: string;
}

/**
 * The content hash of every workspace file as Nx computed it for this run (its file map cache,
 * `nx/src/project-graph/nx-deps-cache`, not in @nx/devkit), or undefined when Nx wrote none.
 * Loaded lazily: only a run that acquires an image pays for it.
 */
export function nxFileHashes(): NxFileHash[] | undefined {
  try {
    const cache = require('nx/src/project-graph/nx-deps-cache') as {
      readFileMapCache(): { fileMap: { projectFileMap: Record<string, NxFileHash[]>; nonProjectFiles: NxFileHash[] } } | null;
    };
    const fileMap = cache.readFileMapCache()?.fileMap;
    return fileMap ? [...Object.values(fileMap.projectFileMap).flat(), ...fileMap.nonProjectFiles] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A target's options as Nx merged them for this run (the inferred target, then nx.json's
 * targetDefaults, then the project's project.json; then the configuration's), from the project
 * graph Nx cached for the run. Undefined when there is no cached graph or no such target.
 */
export function mergedTargetOptions(project: string, target: string, configuration?: string): Record<string, unknown> | undefined {
  let graph: ReturnType<typeof readCachedProjectGraph>;
  try {
    graph = readCachedProjectGraph();
  } catch {
    return undefined;
  }
  const config = graph.nodes[project]?.data.targets?.[target];
  if (!config) return undefined;
  return { ...config.options, ...(configuration ? config.configurations?.[configuration] : undefined) };
}

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

/** Whether this process is Nx's daemon (`global.NX_DAEMON`), whose exit code is not the run's. */
export function onNxDaemon(): boolean {
  return Boolean((globalThis as { NX_DAEMON?: unknown }).NX_DAEMON);
}

/**
 * The pid of this run's outermost `nx` process, which Nx hands to every task: the key of the run's
 * marks (records/run-marks.ts) and the process whose output progress and the daemon's summary go to.
 * Nx 23 names it NX_INVOCATION_ROOT_PID; Nx 24 passes NX_INVOCATION_ANCESTOR_PIDS, outermost first.
 * bin/build.sh reads the same two (build-sh.spec checks both sides over one set of cases).
 */
export function invocationRootPid(env: NodeJS.ProcessEnv): string | undefined {
  const pid = env.NX_INVOCATION_ROOT_PID || env.NX_INVOCATION_ANCESTOR_PIDS?.split(',')[0];
  return pid && /^\d+$/.test(pid) ? pid : undefined;
}
