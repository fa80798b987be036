import type { PreTasksExecution } from '@nx/devkit';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ImagesPluginOptions } from '../core/options';
import { started, takePrefetched, VIEW_ENV, viewFileValue, viewQuery } from '../engines/view';
import { servesOneRun, workspaceDataDirectoryOf } from '../nx/runtime';
import { exportShapes } from './shapes';

/**
 * Before every task run: each image's shape (its modes and folders, into its hash), and one
 * engine query for every image this workspace built, handed to
 * the `build` targets as BUILD_NX_IMAGES_VIEW, so that a present image costs no engine call of
 * its own (bin/build.sh). Without an engine, or when the query fails, there is no view and
 * each build asks the engine itself. node:child_process, not execa: this runs on every
 * `nx` task run, and loading execa would cost more than the query.
 *
 * In a process that outlives the run (the Nx daemon, a plugin worker), the hook does not wait
 * for the answer: the variable names the file the answer is written to (`file:<path>`), and the
 * listing runs while Nx prepares the tasks (about 70 ms of a daemon-on run here). The tasks
 * read that file; bin/build.sh waits for it as long as the listing may take (viewFileValue),
 * then asks the engine itself.
 * Apart from engines/view.ts, which the full build program loads: this module takes Nx's own
 * modules (nx-runtime.ts), which the program must not load at its start.
 */
export const preTasksExecution: PreTasksExecution<ImagesPluginOptions> = async (rawOptions, context) => {
  // Each image's modes and folders, which Nx's file hashes leave out (plugin/shapes.ts).
  const images = context?.workspaceRoot ? exportShapes(context.workspaceRoot, rawOptions, process.env) : [];
  const query = viewQuery(rawOptions, images);
  // Always set (Nx hands what a hook sets to the run): an empty view replaces any the
  // environment inherited, e.g. from an outer `nx` run.
  if (!query) {
    process.env[VIEW_ENV] = '';
    return;
  }
  const prefetchedView = takePrefetched(query);
  if (prefetchedView || servesOneRun() || !context?.id) {
    process.env[VIEW_ENV] = await (prefetchedView ?? started(query));
    return;
  }
  const file = join(workspaceDataDirectoryOf(context.workspaceRoot), 'nx-images', 'views', context.id.replace(/[^A-Za-z0-9_-]/g, '_'));
  try {
    sweepViews(dirname(file));
    started(query).then(
      (view) => writeView(file, view),
      () => writeView(file, ''),
    );
    process.env[VIEW_ENV] = viewFileValue(file);
  } catch {
    process.env[VIEW_ENV] = await started(query);
  }
};

/** Written whole or not at all: a reader sees the file only once it holds the view ('' when the engine did not answer). */
function writeView(file: string, view: string): void {
  try {
    writeFileSync(`${file}.tmp`, view);
    renameSync(`${file}.tmp`, file);
  } catch {
    // no file: each task waits briefly, then asks the engine itself
  }
}

/** Views of runs over an hour old (a task still running after that asks the engine itself). */
function sweepViews(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const cutoff = Date.now() - 3_600_000;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if ((statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? cutoff) < cutoff) rmSync(path, { force: true });
  }
}
