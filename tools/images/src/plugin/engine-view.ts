import type { PreTasksExecution } from '@nx/devkit';
import { execFile } from 'node:child_process';
import { normalizePluginOptions, resolveEngineSettings, type ImagesPluginOptions } from '../core/options';
import { HASH_LABEL, LATEST_TAG } from '../core/naming';
import { engineAdapter } from '../engines';
import { STORE_ENV } from '../engines/types';

/**
 * The variable bin/build.sh reads: what the engine held when the run started. Named
 * `BUILD_…` because the Nx daemon keeps variables of that prefix out of its own environment
 * (`daemon/client/daemon-environment.js`, its CI-platform exclusions): any other name, set
 * by this hook on every run with a new value, is an environment change to the daemon, which
 * then throws away its project graph and computes it again on the next run (about 0.1 s, and
 * the hashes after it). tests/graph.spec.ts fails when that comes back.
 */
export const VIEW_ENV = 'BUILD_NX_IMAGES_VIEW';

/** How long the one engine query may take before the run goes on without a view. */
const QUERY_TIMEOUT_MS = 10_000;

/**
 * The settings that decide which store an engine client talks to. bin/build.sh trusts a
 * view only when its own settings are the same (with the Nx daemon on, this hook runs in
 * the daemon, whose environment can differ from the run's).
 */
export function viewHeader(engine: string, client: string, env: Record<string, string | undefined>): string {
  const store = STORE_ENV.map((k) => env[k] ?? '');
  return ['view1', engine, client, ...store].join('|');
}

/**
 * From `repository:tag id` lines, one line per image repository under the prefix whose
 * `:latest` exists: `<repository> <id> <tag>,<tag>…`, the tags that image carries in
 * that repository (what bin/build.sh reads). Then, when they fit, one `+<repository>
 * <tag>,<tag>…` line per repository with every tag it holds, and `+complete` (what the
 * full program reads: heldAtStart). Podman names unqualified repositories `localhost/<name>`.
 */
export function viewLines(listing: string, prefix: string): string[] {
  const byRepo = new Map<string, { id: string; tag: string }[]>();
  for (const line of listing.split('\n')) {
    const [ref, id] = line.trim().split(/\s+/);
    if (!ref || !id) continue;
    const colon = ref.lastIndexOf(':');
    const repository = ref.slice(0, colon).replace(/^localhost\//, '');
    if (!repository.startsWith(`${prefix}/`)) continue;
    byRepo.set(repository, [...(byRepo.get(repository) ?? []), { id: id.replace(/^sha256:/, ''), tag: ref.slice(colon + 1) }]);
  }
  const lines: string[] = [];
  for (const [repository, tags] of byRepo) {
    const latest = tags.find((t) => t.tag === LATEST_TAG);
    if (!latest) continue;
    lines.push(
      `${repository} ${latest.id} ${tags
        .filter((t) => t.id === latest.id)
        .map((t) => t.tag)
        .join(',')}`,
    );
  }
  // Every tag of every repository, for the full program's "absent when the run started"
  // (heldAtStart); left out whole when it would make the variable too long for exec.
  const everyTag = [...byRepo].map(([repository, tags]) => `${ALL_TAGS}${repository} ${tags.map((t) => t.tag).join(',')}`);
  const size = [...lines, ...everyTag].reduce((total, line) => total + line.length + 1, 0);
  return size <= MAX_VIEW_BYTES ? [...lines, ...everyTag, COMPLETE] : lines;
}

/** Marks a line of every tag a repository held (bin/build.sh's `<repository> ` match never takes it). */
const ALL_TAGS = '+';
/** The last line of a view that holds every tag of every repository. */
const COMPLETE = '+complete';
/** Well under Linux's 128 KiB for one environment string. */
const MAX_VIEW_BYTES = 48 * 1024;

/**
 * Whether the engine held `repository:tag` when the run started, from the view the hook
 * handed to this task: `false` only when the view is for this engine, client and store
 * and lists every tag; `undefined` (ask the engine) otherwise. The view is never taken as
 * proof that an image is there: an image absent at the start that another process built
 * meanwhile is only built again, under the same hash.
 */
export function heldAtStart(view: string | undefined, header: string, repository: string, tag: string): boolean | undefined {
  const lines = (view ?? '').split('\n');
  if (lines[0] !== header || lines[lines.length - 1] !== COMPLETE) return undefined;
  const line = lines.find((l) => l.startsWith(`${ALL_TAGS}${repository} `));
  return line
    ? line
        .slice(line.indexOf(' ') + 1)
        .split(',')
        .includes(tag)
    : false;
}

function list(command: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: QUERY_TIMEOUT_MS, maxBuffer: 64 * 2 ** 20 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

/**
 * Before every task run: one engine query for every image this workspace built, handed to
 * the `build` targets as BUILD_NX_IMAGES_VIEW, so that a present image costs no engine call of
 * its own (bin/build.sh). Without an engine, or when the query fails, there is no view and
 * each build asks the engine itself. node:child_process, not execa: this runs on every
 * `nx` task run, and loading execa would cost more than the query.
 */
export const preTasksExecution: PreTasksExecution<ImagesPluginOptions> = async (rawOptions) => {
  // Always set (Nx hands what a hook sets to the run): an empty view replaces any the
  // environment inherited, e.g. from an outer `nx` run.
  process.env[VIEW_ENV] = await engineView(rawOptions);
};

async function engineView(rawOptions: ImagesPluginOptions | undefined): Promise<string> {
  let options;
  let settings;
  try {
    options = normalizePluginOptions(rawOptions);
    settings = resolveEngineSettings(options, process.env);
  } catch {
    return '';
  }
  const command = engineAdapter(settings.engine, settings.client).listLabelled(HASH_LABEL);
  const listing = await list(command.command, command.args);
  if (listing === undefined) return '';
  return [viewHeader(settings.engine, settings.client, process.env), ...viewLines(listing, options.prefix)].join('\n');
}
