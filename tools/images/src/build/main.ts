/**
 * The build target's full program: bin/build.sh runs it when its fast path cannot
 * claim the image (no stamp, a different image under the tag, an image handed to the
 * engine on every run). The target's options come as JSON in NX_IMAGES_BUILD; the hash
 * is NX_TASK_HASH, as for any Nx task.
 */
import { runBuild } from '../executors/build/executor';
import type { BuildTargetOptions } from '../plugin/create-nodes';

function options(): BuildTargetOptions | undefined {
  try {
    return JSON.parse(process.env.NX_IMAGES_BUILD ?? '') as BuildTargetOptions;
  } catch {
    console.error('NX_IMAGES_BUILD is not set: bin/build.sh runs this program for the inferred `build` target; run it through Nx (`npx nx run <image>:build`).');
    return undefined;
  }
}

const parsed = options();
if (!parsed) process.exitCode = 1;
else runBuild(parsed, process.env.NX_WORKSPACE_ROOT || process.cwd(), process.env).then((ok) => (process.exitCode = ok ? 0 : 1));
