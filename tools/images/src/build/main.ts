/**
 * The build target's full program: bin/build.sh runs it when its fast path cannot
 * claim the image (no stamp, a different image under the tag, an image handed to the
 * engine on every run). The target's options come as JSON in NX_IMAGES_BUILD; the hash
 * is NX_TASK_HASH, as for any Nx task.
 */
import { runBuild } from '../executors/build/executor';
import { runPreview } from '../executors/build/preview';
import type { BuildTargetOptions } from '../core/build-options';
import { noteStartedWithoutExtraCerts } from '../oci/distribution';
import { posix } from 'node:path';
import { mergedTargetOptions } from '../nx/runtime';
import { argumentOverrides, withProjectOptions } from '../executors/build/project-options';
import { reportFailure } from '../executors/report';

/**
 * bin/build.sh starts a build without NODE_EXTRA_CA_CERTS, kept in NX_IMAGES_EXTRA_CA_CERTS: Node
 * would read the certificates as it starts, and a build opens no TLS connection itself. Put back
 * for the engine's children (a credential helper may be a Node program).
 */
export function restoreExtraCerts(env: NodeJS.ProcessEnv): void {
  const file = env.NX_IMAGES_EXTRA_CA_CERTS;
  if (file === undefined) return;
  delete env.NX_IMAGES_EXTRA_CA_CERTS;
  if (!file) return;
  env.NODE_EXTRA_CA_CERTS = file;
  noteStartedWithoutExtraCerts(file);
}

/**
 * The build's options: the inferred ones (NX_IMAGES_BUILD), with what the project sets itself:
 * its target's options as Nx merged them for this run (project.json, targetDefaults, the
 * configuration), then the command line's (`--network=host`). All of them are in the task hash.
 */
export function buildOptions(env: NodeJS.ProcessEnv, argv: string[]): BuildTargetOptions {
  const inferred = JSON.parse(env.NX_IMAGES_BUILD ?? '') as BuildTargetOptions;
  const project = env.NX_TASK_TARGET_PROJECT || inferred.name;
  const own = mergedTargetOptions(project, env.NX_TASK_TARGET_TARGET || 'build', env.NX_TASK_TARGET_CONFIGURATION || undefined);
  const projectJson = posix.join(posix.dirname(inferred.dockerfile), 'project.json');
  const where = `the build target of image "${inferred.name}" (${projectJson}, or nx.json's targetDefaults)`;
  return withProjectOptions(inferred, { ...own, ...argumentOverrides(argv) }, where);
}

function options(): BuildTargetOptions | undefined {
  if (!process.env.NX_IMAGES_BUILD) {
    console.error(
      'NX_IMAGES_BUILD is not set: bin/build.sh runs this program for the inferred `build` target; run it through Nx (`npx nx ' +
        'run <image>:build`).',
    );
    return undefined;
  }
  try {
    return buildOptions(process.env, process.argv.slice(2));
  } catch (error) {
    reportFailure(error, process.env.NX_IMAGES_NAME ?? 'build');
    return undefined;
  }
}

if (require.main === module) restoreExtraCerts(process.env);
const parsed = require.main === module ? options() : undefined;
if (require.main === module && !parsed) process.exitCode = 1;
else if (parsed) {
  // NX_IMAGES_PLAN: a preview that builds nothing (an environment variable, not an Nx configuration: a configuration would change the
  // task hash, so the preview would speak of other tags).
  const run = process.env.NX_IMAGES_PLAN ? runPreview : runBuild;
  run(parsed, process.env.NX_WORKSPACE_ROOT || process.cwd(), process.env).then((ok) => (process.exitCode = ok ? 0 : 1));
}
