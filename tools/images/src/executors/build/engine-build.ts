import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { composeBuildArgs } from '../../core/build-args';
import { parseDockerfile } from '../../core/dockerfile';
import { ociLabels } from '../../core/oci-labels';
import { ImageError, isImageError } from '../../core/errors';
import { resolveSecrets, type LayerCacheMode } from '../../core/options';
import { checkBuilderSupports } from '../../engines/capability';
import { buildImage, chooseBuilder, type BuilderChoice } from '../../engines/builds';
import { HASH_LABEL, inspectImages, removeTag, tagImage } from '../../engines/image-store';
import { cacheDirOf } from '../../engines/client-version';
import { runEngine } from '../../engines/run-engine';
import type { BuildSpec, EngineAdapter, LayerCache } from '../../engines/types';
import { currentInputs } from '../../io/inputs-record';
import { mismatchedParent, parentNotBuilt, parentRefs, verifiedParents, type VerifiedParent } from './parents';
import { checkEmulation, checkUpstreamPlatforms, heldForEveryPlatform, imageExports } from './platform-images';
import { startProgress } from './progress';
import { platformImages, type BuildPlan } from './plan';
import { warmChildren } from './warm';

/** Exit codes of a client a signal ended (128 + its number): the build was stopped, not failed. */
const STOPPED_BY: Record<number, string> = { 130: 'SIGINT', 137: 'SIGKILL', 143: 'SIGTERM', 129: 'SIGHUP' };

/**
 * After a failed build: when the engine no longer answers, the build did not fail on a
 * Dockerfile step, the engine went away under it; say that instead.
 */
async function assertEngineAlive(adapter: EngineAdapter, name: string, latest: string): Promise<void> {
  try {
    await runEngine(adapter, adapter.serverVersion());
  } catch (error) {
    if (!isImageError(error, 'ENGINE_UNREACHABLE') && !isImageError(error, 'ENGINE_FAILED')) throw error;
    throw new ImageError(
      'ENGINE_DIED',
      `The ${adapter.name} engine stopped answering while "${name}" was building, ` +
        `so this is not a failure of the Dockerfile:\n  ${error.message.split('\n').slice(0, 2).join('\n  ')}\n` +
        `Check the engine (systemctl status ${adapter.name}, its log, free disk and memory), then rerun. ` +
        `Nothing was tagged: ${latest} still points where it did.`,
    );
  }
}

/**
 * What a build needs before it starts: the builder and, for a multi-platform build, its
 * parents verified (each platform's image is an argument). A single-platform build starts
 * from the parents' refs in the records and verifies them after, with its own inspect.
 */
export interface BuildFacts {
  builder: Promise<BuilderChoice>;
  parents?: Promise<VerifiedParent[]>;
}

/**
 * Asked as soon as the program starts, beside the image's own inspect: on the critical
 * path each engine query counts. A rejection is kept for the build that awaits it; a run
 * that ends up not building never sees it.
 */
export function askBuildFacts(plan: BuildPlan, adapter: EngineAdapter): BuildFacts {
  const facts: BuildFacts = {
    builder: chooseBuilder(adapter, cacheDirOf(plan.root)),
    parents: plan.platforms.length > 0 ? verifiedParents(plan, adapter) : undefined,
  };
  facts.builder.catch(() => undefined);
  facts.parents?.catch(() => undefined);
  return facts;
}

/** Whether a Dockerfile has an ignore file of its own, which the engine reads only beside a Dockerfile it is given by path. */
function ownIgnoreFile(dockerfile: string): boolean {
  return existsSync(`${dockerfile}.dockerignore`) || existsSync(`${dockerfile}.containerignore`);
}

/** What the build spec is made of: the plan, the Dockerfile, the parents' refs and the builder's choice. */
export interface BuildSpecInput {
  plan: Pick<BuildPlan, 'root' | 'ref' | 'latest' | 'hash' | 'digests' | 'engine'> & {
    options: Pick<BuildPlan['options'], 'name' | 'dockerfile' | 'context' | 'target' | 'labels'>;
  };
  /** The Dockerfile's text, and what the parser read of it. */
  dockerfile: string;
  info: ReturnType<typeof parseDockerfile>;
  parents: { name: string; arg: string; ref: string }[];
  secrets: { id: string; src: string }[];
  buildkit: boolean;
  /** Whether the Dockerfile has an ignore file of its own (then it is given by path, not on standard input). */
  ownIgnoreFile: boolean;
  cache?: LayerCache;
}

/**
 * Pure: the one build the engine is asked for, from the facts the program gathered. With the
 * adapters' arguments it is the build recipe (core/recipe.ts): its golden test pins what this returns.
 */
export function createBuildSpec(input: BuildSpecInput): BuildSpec {
  const { plan, dockerfile, info, parents } = input;
  const { options, root } = plan;
  return {
    dockerfile: join(root, options.dockerfile),
    context: join(root, options.context),
    // :latest moves with the build itself (one engine call fewer on the critical path): an
    // engine tags nothing when a build fails, and the stamp, written last, is what the
    // fast path trusts, so an unverified image is never taken as present.
    tags: [plan.ref, plan.latest],
    target: options.target,
    secrets: input.secrets,
    buildArgs: composeBuildArgs(parents, plan.digests),
    // OCI labels from inputs only (the hash stays the identity); the plugin's own last.
    labels: {
      ...ociLabels({
        name: options.name,
        dockerfile,
        stages: info.stages,
        target: options.target,
        digests: plan.digests,
        parents,
        workspace: options.labels,
      }),
      'org.ffreis.image': options.name,
      [HASH_LABEL]: plan.hash,
    },
    dockerfileText: input.ownIgnoreFile ? undefined : dockerfile,
    network: plan.engine.network,
    buildkit: input.buildkit,
    cache: input.cache,
  };
}

async function build(plan: BuildPlan, adapter: EngineAdapter, buildFacts: BuildFacts, cache?: { previousTag?: string }) {
  const { options, root } = plan;
  // Each parent's exact ref, from this run's marks: no engine call (verified in buildAndInspect).
  const unverified = buildFacts.parents ? [] : parentRefs(plan);
  const parents = buildFacts.parents ? await buildFacts.parents : unverified;
  const dockerfile = readFileSync(join(root, options.dockerfile), 'utf8');
  const info = parseDockerfile(dockerfile);
  const builder = await buildFacts.builder;
  checkBuilderSupports(
    options.dockerfile,
    info.buildkitFeatures,
    { engine: adapter.name, buildkit: builder.buildkit, buildx: builder.buildx, version: builder.version, client: adapter.client },
    Boolean(info.syntax),
  );
  const secrets = resolveSecrets(options.secrets, process.env).map(({ id, src }) => {
    const path = resolve(root, src);
    if (!existsSync(path)) {
      throw new ImageError(
        'BAD_OPTION',
        `Build secret "${id}" names ${src}, which does not exist. Create it, or drop it from IMAGE_BUILD_SECRETS / the option secrets.`,
      );
    }
    return { id, src: path };
  });
  console.log(
    `${options.name}: building ${plan.ref} with ${builder.note}` +
      (secrets.length ? ` (secrets: ${secrets.map((s) => s.id).join(', ')})` : ''),
  );
  const spec = createBuildSpec({
    plan,
    dockerfile,
    info,
    parents,
    secrets,
    buildkit: builder.buildkit,
    ownIgnoreFile: ownIgnoreFile(join(root, options.dockerfile)),
    cache:
      cache &&
      withoutExport(
        adapter.layerCache(plan.registry.registry as string, options.name, cache.previousTag, builder.buildkit),
        plan.registry.layerCache,
      ),
  });
  // Without a terminal Nx shows the build's output only when it ends: say which step it is on meanwhile.
  const progress = startProgress(options.name, process.env);
  const building = (
    plan.platforms.length > 0 ? buildPlatforms(plan, adapter, spec, parents, progress.line) : buildImage(adapter, spec, progress.line)
  ).finally(progress.stop);
  // Read while the engine builds (the engine's child is already running): off the critical path.
  const inputs = currentInputs(root, options.name, plan.hash, process.env, parents);
  const exitCode = await building;
  if (exitCode !== 0) {
    const signal = STOPPED_BY[exitCode];
    if (signal) {
      // Stopped from outside (Ctrl-C, Nx or CI cancelling the run): not a failure of the Dockerfile.
      throw new ImageError(
        'BUILD_FAILED',
        `The build of "${options.name}" was stopped by ${signal} (${adapter.client} exit ${exitCode}), not by a failing step.\n` +
          `Nothing was tagged: ${plan.latest} still points where it did. Rerun when ready: npx nx run ${options.name}:build`,
      );
    }
    await assertEngineAlive(adapter, options.name, plan.latest);
    throw new ImageError(
      'BUILD_FAILED',
      `Image "${options.name}" failed to build from ${options.dockerfile} (${adapter.client} exit ${exitCode}); its output is above.\n` +
        `Nothing was tagged: ${plan.latest} still points where it did. Fix the failing step, then rerun: npx nx run ${options.name}:build`,
    );
  }
  return { parents, unverified, inputs, engineVersion: builder.version, spec };
}

/**
 * A multi-platform build: one image per platform, one after the other (a foreign one runs
 * its RUN steps under qemu), each from its parents' image of that platform and tagged
 * `<hash>-<os>-<arch>`; then the hash tag and :latest name the primary (the host's). No
 * layer cache from the registry: its entries do not say which platform they were built for.
 * On a failure the platforms already built are untagged, so nothing claims a partial build.
 */
async function buildPlatforms(
  plan: BuildPlan,
  adapter: EngineAdapter,
  spec: BuildSpec,
  parents: VerifiedParent[],
  onLine?: (line: string) => void,
): Promise<number> {
  const images = platformImages(plan);
  checkEmulation(plan, process.env);
  await checkUpstreamPlatforms(plan, process.env);
  for (const [i, image] of images.entries()) {
    console.log(`${plan.options.name}: ${image.platform} (${i + 1} of ${images.length}) as ${image.ref}`);
    const buildArgs = composeBuildArgs(
      parents.map((parent) => ({ ...parent, ref: parent.platforms?.[image.platform] ?? parent.ref })),
      plan.digests,
    );
    const untagBuilt = () =>
      runEngine(adapter, adapter.removeImages(images.slice(0, i + 1).map((built) => built.ref)), { allowFailure: true });
    let exitCode: number;
    try {
      exitCode = await buildImage(adapter, { ...spec, tags: [image.ref], platform: image.platform, buildArgs, cache: undefined }, onLine);
    } catch (error) {
      await untagBuilt();
      throw error;
    }
    if (exitCode !== 0) {
      await untagBuilt();
      console.error(`${plan.options.name}: the ${image.platform} build failed`);
      return exitCode;
    }
  }
  await tagImage(adapter, images[0].ref, plan.ref);
  await tagImage(adapter, images[0].ref, plan.latest);
  return 0;
}

/** The layer cache as IMAGE_LAYER_CACHE asks: `read` imports only (podman's --cache-to is left out). */
function withoutExport(cache: LayerCache | undefined, mode: LayerCacheMode): LayerCache | undefined {
  return cache && mode === 'read' ? { ...cache, to: undefined } : cache;
}

/**
 * Takes back a build whose parent proved not to be its hash's build: :latest goes back to
 * the image the last record names (or is removed when that is gone), then the hash tag
 * is removed. Says what it did, for the error.
 */
export async function discardBuild(
  plan: BuildPlan,
  adapter: EngineAdapter,
  builtId: string,
  previousId: string | undefined,
): Promise<string> {
  try {
    const restored =
      previousId !== undefined &&
      previousId !== builtId &&
      (await tagImage(adapter, previousId, plan.latest).then(
        () => true,
        () => false,
      ));
    if (!restored) await removeTag(adapter, plan.latest);
    await removeTag(adapter, plan.ref);
    const latest = restored ? `back on ${previousId.replace(/^sha256:/, '').slice(0, 12)}` : 'removed';
    return `${plan.ref} is removed and ${plan.latest} is ${latest}`;
  } catch (error) {
    return `removing ${plan.ref} failed (${(error as Error).message.split('\n')[0]}): remove it by hand`;
  }
}

/**
 * Builds through the engine, then checks with one engine call that the client really
 * produced the image and that each parent is still that hash's build: checked after the
 * build, so the parent checked is the one the build could have used. A build from a
 * parent that changed meanwhile is taken back (discardBuild).
 */
export async function buildAndInspect(
  plan: BuildPlan,
  adapter: EngineAdapter,
  buildFacts: BuildFacts,
  options: { cache?: { previousTag?: string }; previousId?: string } = {},
) {
  const { parents, unverified, inputs, engineVersion, spec } = await build(plan, adapter, buildFacts, options.cache);
  // Children built from this image usually build next: their layers start now (warm.ts).
  warmChildren(plan, adapter);
  // What children copy out is read beside the inspect; it is kept only for the image the inspect verifies.
  const exported = plan.options.exports?.length ? imageExports(plan, adapter) : undefined;
  exported?.catch(() => undefined);
  const [held, platformsHeld] = await Promise.all([
    inspectImages(adapter, [plan.ref, ...unverified.map((parent) => parent.ref)]),
    heldForEveryPlatform(plan, adapter),
  ]);
  const built = held[0];
  if (!built || built.labels[HASH_LABEL] !== plan.hash || platformsHeld === false) {
    throw new ImageError(
      'ENGINE_FAILED',
      `${adapter.client} reported success but ${plan.ref} is not in its store` +
        `${built ? " with this hash's label" : ''}${platformsHeld === false ? ' for every platform' : ''}; nothing was recorded.`,
    );
  }
  const mismatch = mismatchedParent(unverified, held.slice(1));
  if (mismatch) {
    await exported?.catch(() => undefined);
    const undone = await discardBuild(plan, adapter, built.id, options.previousId);
    throw parentNotBuilt(plan, adapter, mismatch, ` when its build ended, so that build is not kept: ${undone}; nothing was recorded`);
  }
  return { parents, built, inputs, engineVersion, spec, exports: exported && { imageId: built.id, digests: await exported } };
}
