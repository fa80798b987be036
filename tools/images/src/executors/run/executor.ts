import type { ExecutorContext } from '@nx/devkit';
import type { ImageTargetOptions } from '../shared-options';
import { ImageError } from '../../core/errors';
import { engineAdapterFor } from '../../engines';
import { runEngine } from '../../engines/run-engine';
import { metadataPath, readMetadata } from '../../records/metadata';
import { reportFailure } from '../report';

export interface RunTargetOptions extends ImageTargetOptions {
  /** Arguments passed to the app: `nx run runner:run --args="Nx --verbose"` (a string is split on spaces). Default: none. */
  args?: string[] | string;
}

/** The run target's own options (schema.json), and `_`, where Nx puts plain arguments after `--`. */
const RUN_OPTIONS = new Set(['name', 'prefix', 'outputDir', 'engine', 'client', 'args', '_']);

/** Runs the app: the exact image the last build recorded (`make run-app`). */
export default async function runExecutor(options: RunTargetOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const meta = readMetadata(metadataPath(context.root, options.outputDir, options.name));
    if (!meta) {
      throw new ImageError(
        'NOT_BUILT',
        `No build record for "${options.name}" in ${options.outputDir}. Build it first: npx nx run ${options.name}:build`,
      );
    }
    // `nx run runner:run -- --verbose`: Nx takes a dash argument as an option of the target, never as the app's.
    const dashed = Object.entries(options)
      .filter(([key]) => !RUN_OPTIONS.has(key) && !key.startsWith('__'))
      // Nx camel-cases what it reads (`--dry-run` → dryRun): spelled back as it was typed.
      .map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value] as const)
      .map(([flag, value]) => (value === true ? `--${flag}` : `--${flag}=${String(value)}`));
    if (dashed.length > 0) {
      throw new ImageError(
        'BAD_OPTION',
        `${dashed.join(' ')} reached the run target as ${dashed.length > 1 ? 'options' : 'an option'} of its own (Nx reads dash ` +
          `arguments itself), not as the app's arguments. Pass them with --args: npx nx run ${options.name}:run ` +
          `--args="${dashed.join(' ')}"`,
      );
    }
    const adapter = engineAdapterFor(options, process.env);
    const given = typeof options.args === 'string' ? options.args.split(/\s+/).filter(Boolean) : (options.args ?? []);
    const extra = [...given, ...((options as { _?: string[] })._ ?? []).map(String)];
    const result = await runEngine(adapter, adapter.run(meta.ref, extra), { stream: true, allowFailure: true });
    if (result.exitCode !== 0) {
      throw new ImageError('APP_FAILED', `${meta.ref} exited with ${result.exitCode}; its output is above.`);
    }
    return { success: true };
  } catch (error) {
    return reportFailure(error, options.name);
  }
}
