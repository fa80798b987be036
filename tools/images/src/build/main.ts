/**
 * The build target's full program: bin/build.sh runs it when its fast path cannot
 * claim the image (no stamp, a different image under the tag, an image handed to the
 * engine on every run). The target's options come as JSON in NX_IMAGES_BUILD; the hash
 * is NX_TASK_HASH, as for any Nx task.
 */
import { runBuild } from '../executors/build/executor';
import { runPreview } from '../executors/build/preview';
import type { BuildTargetOptions } from '../executors/build/options';
import { noteStartedWithoutExtraCerts } from '../oci/distribution';

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
 * Options a project's own project.json sets on the `build` target reach the command as
 * arguments (`--target=runtime`); the ones the build reads override the inferred ones.
 */
export function argumentOverrides(argv: string[]): Partial<BuildTargetOptions> {
  const overrides: Partial<BuildTargetOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const match = /^--(target|platforms)(?:=(.*))?$/.exec(argv[i]);
    if (match?.[1] === 'target') overrides.target = match[2] ?? argv[++i];
    // An array in project.json arrives as one --platforms per item.
    else if (match) overrides.platforms = [overrides.platforms, match[2] ?? argv[++i]].filter(Boolean).join(',');
  }
  return overrides;
}

function options(): BuildTargetOptions | undefined {
  try {
    return { ...(JSON.parse(process.env.NX_IMAGES_BUILD ?? '') as BuildTargetOptions), ...argumentOverrides(process.argv.slice(2)) };
  } catch {
    console.error(
      'NX_IMAGES_BUILD is not set: bin/build.sh runs this program for the inferred `build` target; run it through Nx (`npx nx ' +
        'run <image>:build`).',
    );
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
