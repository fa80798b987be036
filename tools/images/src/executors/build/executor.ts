import type { ExecutorContext } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { decideAcquisition, identityProblem, type HeldImage } from '../../core/acquire';
import { composeBuildArgs } from '../../core/build-args';
import { parseDockerfile } from '../../core/dockerfile';
import { checkBuilderSupports } from '../../engines/capability';
import type { Digests } from '../../core/digests';
import { ImageError, isImageError } from '../../core/errors';
import { imageRef, LATEST_TAG, splitImageRef, tagFromHash } from '../../core/naming';
import { resolveEngineSettings, resolveRegistrySettings, resolveSecrets } from '../../core/options';
import { engineAdapter } from '../../engines';
import type { EngineAdapter } from '../../engines/types';
import type { BuildTargetOptions } from './options';
import { buildImage, chooseBuilder, exportDigests, HASH_LABEL, inspectImage, tagImage, untagImage, type ImageFacts } from '../../engines/image-store';
import { lockTimeoutFrom, withImageLock } from '../../io/image-lock';
import { metadataPath, readMetadata, removeMetadata, writeMetadata, type ImageStatus } from '../../records/metadata';
import { pullIfPresent } from '../../engines/registry';
import { loadDigests } from '../../io/load-digests';
import { reportFailure } from '../report';
import { markRun, runMark } from '../../records/run-marks';
import { exportsImageId, removeStamp, writeExports, writeStamp } from '../../records/metadata';
import { runEngine } from '../../engines/run-engine';
import { explainRebuild, type InputsRecord } from '../../core/why';
import { currentInputs, readInputsRecord, writeInputsRecord } from '../../io/inputs-record';

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
    options, root, hash, tag, started,
    ref: imageRef(options.prefix, options.name, tag),
    latest: imageRef(options.prefix, options.name, LATEST_TAG),
    engine: resolveEngineSettings(options, env),
    registry: resolveRegistrySettings(options, env),
    digests: options.digestsFile ? loadDigests(root, options.digestsFile, env) : undefined,
    metaFile: metadataPath(root, options.outputDir, options.name),
    rootPid: env.NX_INVOCATION_ROOT_PID || undefined,
  };
}

/**
 * Each parent's exact ref as this run knows it: within an Nx run, the hash its run mark
 * holds (a parent not confirmed in this run has none); outside Nx's runs, its record.
 * Pure reads of the records: no engine call.
 */
function knownParents(plan: BuildPlan): { name: string; arg: string; ref?: string; hash?: string }[] {
  return plan.options.parents.map((parent) => {
    const dir = dirname(metadataPath(plan.root, plan.options.outputDir, parent.name));
    if (plan.rootPid) {
      const hash = runMark(dir, plan.rootPid);
      return { ...parent, hash, ref: hash ? imageRef(plan.options.prefix, parent.name, hash) : undefined };
    }
    const meta = readMetadata(metadataPath(plan.root, plan.options.outputDir, parent.name));
    return { ...parent, hash: meta?.hash, ref: meta?.ref };
  });
}

/** The parents recorded for an image that is reused, not built: those this run knows. */
function recordedParents(plan: BuildPlan): { name: string; ref: string }[] {
  return knownParents(plan).flatMap((p) => (p.ref ? [{ name: p.name, ref: p.ref }] : []));
}

/**
 * The parents a build starts from: each must be confirmed in this run (so
 * `--exclude-task-dependencies` can never hand it a stale tag) and be, in the engine, that
 * hash's build. Asked at once: on the critical path, each engine query counts.
 */
async function verifiedParents(plan: BuildPlan, adapter: EngineAdapter): Promise<{ name: string; arg: string; ref: string }[]> {
  const name = plan.options.name;
  return Promise.all(
    knownParents(plan).map(async (parent) => {
      if (plan.rootPid && !parent.hash) {
        throw new ImageError(
          'PARENT_NOT_BUILT',
          `Image "${name}" is built from "${parent.name}", whose build is not part of this run (--exclude-task-dependencies?), ` +
            `so its recorded tag may be stale.\nRun it with its parents: npx nx run ${name}:build`,
        );
      }
      const facts = parent.ref ? await inspectImage(adapter, parent.ref) : undefined;
      if (!parent.ref || !facts || facts.labels[HASH_LABEL] !== parent.hash) {
        const missing = parent.ref
          ? `${parent.ref} is not in ${adapter.name}'s store as that hash's build`
          : `${parent.name} has no build record in ${plan.options.outputDir}`;
        throw new ImageError(
          'PARENT_NOT_BUILT',
          `Image "${name}" is built from "${parent.name}", but ${missing}.\n` +
            `Build the chain through Nx so parents build first: npx nx run ${name}:build`,
        );
      }
      return { name: parent.name, arg: parent.arg, ref: parent.ref };
    }),
  );
}

/** Moves `:latest` to the image, once it is known to be this hash's build. */
async function moveLatest(plan: BuildPlan, adapter: EngineAdapter, facts: ImageFacts) {
  if (!facts.tags.includes(plan.latest)) await tagImage(adapter, plan.ref, plan.latest);
}

/**
 * Records the image (`image.json`), then the stamp the build target's fast path compares
 * with what the engine holds, then this run's mark (children build from it).
 */
async function writeRecord(
  plan: BuildPlan,
  adapter: EngineAdapter,
  status: ImageStatus,
  facts: ImageFacts,
  parents: { name: string; ref: string }[],
  exported?: { imageId: string; digests: Record<string, string> },
  why?: { inputs?: InputsRecord; reason?: string },
) {
  const dir = dirname(plan.metaFile);
  const exports = plan.options.exports ?? [];
  if (exports.length > 0 && exportsImageId(dir) !== facts.id) {
    writeExports(dir, facts.id, exported?.imageId === facts.id ? exported.digests : await exportDigests(adapter, plan.ref, exports));
  }
  writeMetadata(plan.metaFile, {
    name: plan.options.name, ref: plan.ref, latest: plan.latest, imageId: facts.id, hash: plan.hash,
    parents: parents.map(({ name, ref }) => ({ name, ref })), sizeBytes: facts.sizeBytes,
    durationMs: Date.now() - plan.started, status, engine: plan.engine.engine, finishedAt: new Date().toISOString(),
    ...(why?.reason ? { reason: why.reason } : {}),
  });
  // What went into this hash, for the next build's explanation (after the image is known good).
  const inputs = why?.inputs ?? currentInputs(plan.root, plan.options.name, plan.hash, process.env, parents);
  if (inputs) writeInputsRecord(dir, inputs);
  writeStamp(dir, facts.id);
  if (plan.rootPid) markRun(dir, plan.rootPid, plan.hash);
}

/**
 * Looks in the registry: `pulled` (and tagged as `plan.ref`), `absent` (the registry
 * answered without it, so its layer cache can serve the build), or `unreachable` on best effort.
 */
async function pullFromRegistry(plan: BuildPlan, adapter: EngineAdapter): Promise<'pulled' | 'absent' | 'unreachable'> {
  const { registry, bestEffort } = plan.registry;
  if (!registry) return 'unreachable';
  const source = imageRef(registry, plan.options.name, plan.tag);
  try {
    if (!(await pullIfPresent(adapter, registry, source))) return 'absent';
  } catch (error) {
    if (!bestEffort || !isImageError(error, 'REGISTRY_UNREACHABLE')) throw error;
    console.warn(`${plan.options.name}: warning: ${error.message}\n${plan.options.name}: IMAGE_REGISTRY_BEST_EFFORT is set: building locally.`);
    return 'unreachable';
  }
  await tagImage(adapter, source, plan.ref);
  return 'pulled';
}

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
      `The ${adapter.name} engine stopped answering while "${name}" was building, so this is not a failure of the Dockerfile:\n  ${error.message.split('\n').slice(0, 2).join('\n  ')}\n` +
        `Check the engine (systemctl status ${adapter.name}, its log, free disk and memory), then rerun. Nothing was tagged: ${latest} still points where it did.`,
    );
  }
}

/** What a build needs from the engine before it starts: its parents, verified, and the builder. */
type BuildFacts = Promise<[{ name: string; arg: string; ref: string }[], Awaited<ReturnType<typeof chooseBuilder>>]>;

/**
 * Asked as soon as the program starts, beside the image's own inspect: on the critical
 * path each engine query counts. A rejection is kept for the build that awaits it; a run
 * that ends up not building never sees it.
 */
function askBuildFacts(plan: BuildPlan, adapter: EngineAdapter): BuildFacts {
  const facts: BuildFacts = Promise.all([verifiedParents(plan, adapter), chooseBuilder(adapter)]);
  facts.catch(() => undefined);
  return facts;
}

async function build(plan: BuildPlan, adapter: EngineAdapter, buildFacts: BuildFacts, cache?: { previousTag?: string }) {
  const [parents, builder] = await buildFacts;
  const { options, root } = plan;
  const info = parseDockerfile(readFileSync(join(root, options.dockerfile), 'utf8'));
  checkBuilderSupports(
    options.dockerfile,
    info.buildkitFeatures,
    { engine: adapter.name, buildkit: builder.buildkit, buildx: builder.buildx, version: builder.version, client: adapter.client },
    Boolean(info.syntax),
  );
  const secrets = resolveSecrets(options.secrets, process.env).map(({ id, src }) => {
    const path = resolve(root, src);
    if (!existsSync(path)) {
      throw new ImageError('BAD_OPTION', `Build secret "${id}" names ${src}, which does not exist. Create it, or drop it from IMAGE_BUILD_SECRETS / the option secrets.`);
    }
    return { id, src: path };
  });
  console.log(`${options.name}: building ${plan.ref} with ${builder.note}${secrets.length ? ` (secrets: ${secrets.map((s) => s.id).join(', ')})` : ''}`);
  const building = buildImage(adapter, {
    dockerfile: join(root, options.dockerfile),
    context: join(root, options.context),
    // :latest moves with the build itself (one engine call fewer on the critical path): an
    // engine tags nothing when a build fails, and the stamp, written last, is what the
    // fast path trusts, so an unverified image is never taken as present.
    tags: [plan.ref, plan.latest],
    target: options.target,
    secrets,
    buildArgs: composeBuildArgs(parents, plan.digests),
    labels: { 'org.ffreis.image': options.name, [HASH_LABEL]: plan.hash },
    network: plan.engine.network,
    buildkit: builder.buildkit,
    cache: cache && adapter.layerCache(plan.registry.registry as string, options.name, cache.previousTag, builder.buildkit),
  });
  // Read while the engine builds (the engine's child is already running): off the critical path.
  const inputs = currentInputs(root, options.name, plan.hash, process.env, parents);
  const exitCode = await building;
  if (exitCode !== 0) {
    await assertEngineAlive(adapter, options.name, plan.latest);
    throw new ImageError(
      'BUILD_FAILED',
      `Image "${options.name}" failed to build from ${options.dockerfile} (${adapter.client} exit ${exitCode}); its output is above.\n` +
        `Nothing was tagged: ${plan.latest} still points where it did. Fix the failing step, then rerun: npx nx run ${options.name}:build`,
    );
  }
  return { parents, inputs };
}

/** What the engine holds under the hash tag, for the identity check. */
function held(facts: ImageFacts | undefined): HeldImage | undefined {
  return facts ? { id: facts.id, hashLabel: facts.labels[HASH_LABEL] } : undefined;
}

/** Builds through the engine and checks that the client really produced the image. */
async function buildAndInspect(plan: BuildPlan, adapter: EngineAdapter, buildFacts: BuildFacts, cache?: { previousTag?: string }) {
  const { parents, inputs } = await build(plan, adapter, buildFacts, cache);
  // What children copy out is read beside the inspect; it is kept only for the image the inspect verifies.
  const exported = plan.options.exports?.length ? exportDigests(adapter, plan.ref, plan.options.exports) : undefined;
  exported?.catch(() => undefined);
  const built = await inspectImage(adapter, plan.ref);
  if (!built || built.labels[HASH_LABEL] !== plan.hash) {
    throw new ImageError('ENGINE_FAILED', `${adapter.client} reported success but ${plan.ref} is not in its store${built ? ' with this hash\'s label' : ''}; nothing was recorded.`);
  }
  return { parents, built, inputs, exports: exported && { imageId: built.id, digests: await exported } };
}

/**
 * What a build decides on, and the decision (present, pull or build; the preview asks the
 * same): the image's last record and what the engine holds under its hash tag.
 */
export async function decide(plan: BuildPlan, adapter: EngineAdapter) {
  const previous = readMetadata(plan.metaFile);
  const record = previous?.hash === plan.hash && previous.ref === plan.ref ? { imageId: previous.imageId } : undefined;
  const facts = plan.options.alwaysBuild ? undefined : await inspectImage(adapter, plan.ref);
  const decision = decideAcquisition(plan.ref, {
    hash: plan.hash,
    alwaysBuild: plan.options.alwaysBuild,
    held: held(facts),
    record,
    registry: Boolean(plan.registry.registry),
  });
  return { previous, record, facts, decision };
}

/**
 * Finds, pulls, or builds the image under `plan.ref`, then records how. The decision is
 * made from facts (decideAcquisition); an image is reused only when it proves it is
 * this hash's build, here and again after a pull.
 */
async function acquireImage(plan: BuildPlan, adapter: EngineAdapter): Promise<void> {
  const name = plan.options.name;
  const previousInputs = readInputsRecord(dirname(plan.metaFile));
  const buildFacts = askBuildFacts(plan, adapter);
  const { previous, record, facts, decision } = await decide(plan, adapter);
  if (decision.action === 'present') {
    await moveLatest(plan, adapter, facts as ImageFacts);
    await writeRecord(plan, adapter, 'present', facts as ImageFacts, previous?.ref === plan.ref ? previous.parents : recordedParents(plan));
    console.log(`${name}: present ${plan.ref} (${adapter.name}), no build needed`);
    return;
  }
  removeMetadata(plan.metaFile);
  removeStamp(dirname(plan.metaFile));
  if (decision.note) console.log(`${name}: ${decision.note.replace('the engine', adapter.name)}`);
  if (decision.restoring) console.log(`${name}: ${plan.ref} is recorded in ${relative(plan.root, plan.metaFile)} but missing from ${adapter.name}: restoring it`);
  const lookup = decision.action === 'pull' ? await pullFromRegistry(plan, adapter) : undefined;
  if (lookup === 'pulled') {
    const pulled = (await inspectImage(adapter, plan.ref)) as ImageFacts;
    const problem = identityProblem(`${plan.registry.registry}/${name}:${plan.tag}`, held(pulled) as HeldImage, plan.hash, record);
    if (!problem) {
      await moveLatest(plan, adapter, pulled);
      const reason = `from ${plan.registry.registry}${decision.restoring ? ': the engine had lost it' : ''}`;
      await writeRecord(plan, adapter, decision.restoring ? 'restored' : 'pulled', pulled, recordedParents(plan), undefined, { reason });
      console.log(`${name}: ${decision.restoring ? 'restored' : 'pulled'} ${plan.ref} from ${plan.registry.registry}, no build needed`);
      return;
    }
    console.log(`${name}: ${problem}: not reusing it, building instead`);
    await untagImage(adapter, plan.ref);
  }
  // The registry answered: its layer cache (the image's previous builds there) serves the build.
  const cache = lookup === 'absent' ? { previousTag: previous?.ref ? splitImageRef(previous.ref).tag : undefined } : undefined;
  const { parents, built, exports, inputs } = await buildAndInspect(plan, adapter, buildFacts, cache);
  await moveLatest(plan, adapter, built);
  const reason = decision.restoring ? 'rebuilt: the engine had lost it' : explainRebuild(previousInputs, inputs);
  await writeRecord(plan, adapter, decision.restoring ? 'restored' : 'built', built, parents, exports, { inputs, reason });
  console.log(`${name}: ${decision.restoring ? 'restored (rebuilt)' : 'built'} ${plan.ref} in ${((Date.now() - plan.started) / 1000).toFixed(1)} s: ${reason}`);
}

/**
 * Builds one image under `<prefix>/<name>:<Nx hash>`, or finds it in the engine or the
 * registry, then moves `:latest` to it and records `image.json`. A failed or interrupted
 * build leaves no tag, no `:latest` move and no record. Returns true on success; only
 * this outermost layer prints an error.
 */
export async function runBuild(options: BuildTargetOptions, root: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    const plan = planBuild(options, root, env, Date.now());
    const adapter = engineAdapter(plan.engine.engine, plan.engine.client);
    await withImageLock(dirname(plan.metaFile), () => acquireImage(plan, adapter), {
      label: options.name,
      root,
      timeoutMs: lockTimeoutFrom(env),
    });
    return true;
  } catch (error) {
    reportFailure(error, options.name);
    return false;
  }
}

/** The same build as an Nx executor, for a hand-written target (the inferred one runs bin/build.sh). */
export default async function buildExecutor(options: BuildTargetOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return { success: await runBuild(options, context.root, process.env) };
}
