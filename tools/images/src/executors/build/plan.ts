import type { Digests } from '../../core/digests';
import { imageRef, LATEST_TAG, tagFromHash } from '../../core/naming';
import { resolveEngineSettings, resolveRegistrySettings } from '../../core/options';
import { loadDigests } from '../../io/load-digests';
import { metadataPath } from '../../records/metadata';
import type { BuildTargetOptions } from './options';

/** Everything one build needs, resolved and validated before any engine call. */
export interface BuildPlan {
  options: BuildTargetOptions;
  root: string;
  hash: string;
  tag: string;
  ref: string;
  latest: string;
  engine: ReturnType<typeof resolveEngineSettings>;
  registry: ReturnType<typeof resolveRegistrySettings>;
  digests?: Digests;
  metaFile: string;
  started: number;
  /** The pid of this Nx run's root process (NX_INVOCATION_ROOT_PID): the key of its run marks. */
  rootPid?: string;
}

export function planBuild(options: BuildTargetOptions, root: string, env: NodeJS.ProcessEnv, started: number): BuildPlan {
  const hash = env.NX_TASK_HASH as string;
  const tag = tagFromHash(hash);
  return {
    options,
    root,
    hash,
    tag,
    started,
    ref: imageRef(options.prefix, options.name, tag),
    latest: imageRef(options.prefix, options.name, LATEST_TAG),
    engine: resolveEngineSettings(options, env),
    registry: resolveRegistrySettings(options, env),
    digests: options.digestsFile ? loadDigests(root, options.digestsFile, env) : undefined,
    metaFile: metadataPath(root, options.outputDir, options.name),
    rootPid: env.NX_INVOCATION_ROOT_PID || undefined,
  };
}
