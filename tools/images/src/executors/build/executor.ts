import type { ExecutorContext } from '@nx/devkit';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { composeBuildArgs } from '../../core/build-args';
import { parseDockerfile } from '../../core/dockerfile';
import { checkBuilderSupports } from '../../core/engine-support';
import type { Digests } from '../../core/digests';
import { ImageError, isImageError } from '../../core/errors';
import { imageRef, LATEST_TAG, tagFromHash } from '../../core/naming';
import { resolveEngineSettings, resolveRegistrySettings } from '../../core/options';
import { engineAdapter } from '../../engines';
import type { EngineAdapter } from '../../engines/types';
import type { BuildTargetOptions } from '../../plugin/create-nodes';
import { buildImage, chooseBuilder, inspectImage, tagImage, type ImageFacts } from '../shared/image-store';
import { withImageLock } from '../shared/image-lock';
import { metadataPath, readMetadata, removeMetadata, writeMetadata, type ImageStatus } from '../shared/metadata';
import { pullIfPresent, registryRef } from '../shared/registry';
import { loadDigests } from '../shared/load-digests';
import { reportFailure } from '../shared/report';

/** Everything one build needs, resolved and validated before any engine call. */
interface BuildPlan {
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
  /** Ids of the tasks in this Nx run, when Nx provides the task graph. */
  runTasks?: string[];
}

function planBuild(options: BuildTargetOptions, context: ExecutorContext, env: NodeJS.ProcessEnv, started: number): BuildPlan {
  const root = context.root;
  const hash = env.NX_TASK_HASH as string;
  const tag = tagFromHash(hash);
  return {
    options, root, hash, tag, started,
    ref: imageRef(options.prefix, options.name, tag),
    latest: imageRef(options.prefix, options.name, LATEST_TAG),
    engine: resolveEngineSettings(options, env),
    registry: resolveRegistrySettings(options, env),
    digests: options.digestsFile ? loadDigests(root, options.digestsFile, env) : undefined,
    metaFile: metadataPath(root, options.outputDir, options.name),
    runTasks: context.taskGraph ? Object.keys(context.taskGraph.tasks) : undefined,
  };
}

/**
 * Parent refs as recorded by the parents' builds in this run; with `verify`, each
 * parent's build must be part of this run (so its record is current) and its tag
 * must be in the engine.
 */
async function parentRefs(plan: BuildPlan, adapter: EngineAdapter, verify: boolean) {
  const parents: { name: string; arg: string; ref: string }[] = [];
  for (const parent of plan.options.parents) {
    if (verify && plan.runTasks && !plan.runTasks.some((id) => id.startsWith(`${parent.name}:build`))) {
      throw new ImageError(
        'PARENT_NOT_BUILT',
        `Image "${plan.options.name}" is built from "${parent.name}", whose build is not part of this run (--exclude-task-dependencies?), ` +
          `so its recorded tag may be stale.\nRun it with its parents: npx nx run ${plan.options.name}:build`,
      );
    }
    const meta = readMetadata(metadataPath(plan.root, plan.options.outputDir, parent.name));
    if (!verify && meta) parents.push({ ...parent, ref: meta.ref });
    if (!verify) continue;
    if (!meta || !(await inspectImage(adapter, meta.ref))) {
      throw new ImageError(
        'PARENT_NOT_BUILT',
        `Image "${plan.options.name}" is built from "${parent.name}", but ${meta ? `${meta.ref} is not in ${adapter.name}'s store` : `${parent.name} has no build record in ${plan.options.outputDir}`}.\n` +
          `Build the chain through Nx so parents build first: npx nx run ${plan.options.name}:build`,
      );
    }
    parents.push({ ...parent, ref: meta.ref });
  }
  return parents;
}

async function record(plan: BuildPlan, adapter: EngineAdapter, status: ImageStatus, facts: ImageFacts, parents: { name: string; ref: string }[]) {
  if (!facts.tags.includes(plan.latest)) await tagImage(adapter, plan.ref, plan.latest);
  writeMetadata(plan.metaFile, {
    name: plan.options.name, ref: plan.ref, latest: plan.latest, imageId: facts.id, hash: plan.hash,
    parents: parents.map(({ name, ref }) => ({ name, ref })), sizeBytes: facts.sizeBytes,
    durationMs: Date.now() - plan.started, status, engine: plan.engine.engine, finishedAt: new Date().toISOString(),
  });
}

/** Looks in the registry; resolves true when the image was pulled and tagged as `plan.ref`. */
async function pullFromRegistry(plan: BuildPlan, adapter: EngineAdapter): Promise<boolean> {
  const { registry, bestEffort } = plan.registry;
  if (!registry) return false;
  const source = registryRef(registry, plan.options.name, plan.tag);
  try {
    if (!(await pullIfPresent(adapter, registry, source))) return false;
  } catch (error) {
    if (!bestEffort || !isImageError(error, 'REGISTRY_UNREACHABLE')) throw error;
    console.warn(`${plan.options.name}: warning: ${error.message}\n${plan.options.name}: IMAGE_REGISTRY_BEST_EFFORT is set: building locally.`);
    return false;
  }
  await tagImage(adapter, source, plan.ref);
  return true;
}

async function build(plan: BuildPlan, adapter: EngineAdapter) {
  const parents = await parentRefs(plan, adapter, true);
  const builder = await chooseBuilder(adapter);
  const { options, root } = plan;
  const features = parseDockerfile(readFileSync(join(root, options.dockerfile), 'utf8')).buildkitFeatures;
  checkBuilderSupports(options.dockerfile, features, { engine: adapter.name, buildkit: builder.buildkit, version: builder.version, client: adapter.client });
  console.log(`${options.name}: building ${plan.ref} with ${builder.note}`);
  const exitCode = await buildImage(adapter, {
    dockerfile: join(root, options.dockerfile),
    context: join(root, options.context),
    tags: [plan.ref],
    buildArgs: composeBuildArgs(parents, plan.digests),
    labels: { 'org.ffreis.image': options.name, 'org.ffreis.nx-hash': plan.hash },
    network: plan.engine.network,
    buildkit: builder.buildkit,
  });
  if (exitCode !== 0) {
    throw new ImageError(
      'BUILD_FAILED',
      `Image "${options.name}" failed to build from ${options.dockerfile} (${adapter.client} exit ${exitCode}); its output is above.\n` +
        `Nothing was tagged: ${plan.latest} still points where it did. Fix the failing step, then rerun: npx nx run ${options.name}:build`,
    );
  }
  return parents;
}

/** Finds, pulls, or builds the image under `plan.ref`, then records how. */
async function acquireImage(plan: BuildPlan, adapter: EngineAdapter): Promise<void> {
  const name = plan.options.name;
  const present = await inspectImage(adapter, plan.ref);
  if (present) {
    const previous = readMetadata(plan.metaFile);
    await record(plan, adapter, 'present', present, previous?.ref === plan.ref ? previous.parents : await parentRefs(plan, adapter, false));
    console.log(`${name}: present ${plan.ref} (${adapter.name}), no build needed`);
    return;
  }
  const remembered = readMetadata(plan.metaFile)?.ref === plan.ref;
  removeMetadata(plan.metaFile);
  if (remembered) {
    console.log(`${name}: ${plan.ref} is recorded in ${relative(plan.root, plan.metaFile)} but missing from ${adapter.name}: restoring it`);
  }
  if (await pullFromRegistry(plan, adapter)) {
    const facts = (await inspectImage(adapter, plan.ref)) as ImageFacts;
    await record(plan, adapter, remembered ? 'restored' : 'pulled', facts, await parentRefs(plan, adapter, false));
    console.log(`${name}: ${remembered ? 'restored' : 'pulled'} ${plan.ref} from ${plan.registry.registry}, no build needed`);
    return;
  }
  const parents = await build(plan, adapter);
  const built = await inspectImage(adapter, plan.ref);
  if (!built) throw new ImageError('ENGINE_FAILED', `${adapter.client} reported success but ${plan.ref} is not in its store.`);
  await record(plan, adapter, remembered ? 'restored' : 'built', built, parents);
  console.log(`${name}: ${remembered ? 'restored (rebuilt)' : 'built'} ${plan.ref} in ${((Date.now() - plan.started) / 1000).toFixed(1)} s`);
}

/**
 * Builds one image under `<prefix>/<name>:<Nx hash>`, or finds it in the engine or
 * the registry, then moves `:latest` to it and records `image.json`. A failed or
 * interrupted build leaves no tag, no `:latest` move and no record.
 */
export default async function buildExecutor(options: BuildTargetOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const plan = planBuild(options, context, process.env, Date.now());
    const adapter = engineAdapter(plan.engine.engine, plan.engine.client);
    const lockDir = join(dirname(plan.metaFile), '.lock');
    await withImageLock(lockDir, () => acquireImage(plan, adapter), () => console.log(`${options.name}: waiting for another run that is building it`));
    return { success: true };
  } catch (error) {
    return reportFailure(error, options.name);
  }
}
