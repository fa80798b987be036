import type { ExecutorContext } from '@nx/devkit';
import { dirname, relative } from 'node:path';
import { decideAcquisition, identityProblem, type HeldImage } from '../../core/acquire';
import { ImageError, isImageError } from '../../core/errors';
import { imageRef, splitImageRef } from '../../core/naming';
import { explainRebuild } from '../../core/why';
import { engineAdapter } from '../../engines';
import { HASH_LABEL, inspectImage, tagImage, untagImage, type ImageFacts } from '../../engines/image-store';
import { pullIfPresent } from '../../engines/registry';
import { storeKey, type EngineAdapter } from '../../engines/types';
import { lockTimeoutFrom, withImageLock } from '../../io/image-lock';
import { readInputsRecord } from '../../records/inputs';
import { readMetadata, removeMetadata, removeStamp } from '../../records/metadata';
import { reportFailure } from '../report';
import { askBuildFacts, buildAndInspect, discardBuild, type BuildFacts } from './engine-build';
import type { BuildTargetOptions } from '../../core/build-options';
import { recordedParents } from './parents';
import { heldForEveryPlatform, pullPlatforms } from './platform-images';
import { planBuild, type BuildPlan } from './plan';
import { moveLatest, writeRecord } from './record';
import { dockerfilesRead, writeWarmSpec } from './warm';
import { removeWarmRecord } from '../../records/warm';

/*
 * The build, top to bottom: plan.ts resolves the options and the hash into a plan;
 * decide() asks the record and the engine (core/acquire.ts decides: present, pull or
 * build); a pull is checked for identity; engine-build.ts builds from verified parents
 * (parents.ts); record.ts moves :latest and writes the records children and the next run read.
 */

/** What the engine holds under the hash tag, for the identity check. */
function held(facts: ImageFacts | undefined): HeldImage | undefined {
  return facts ? { id: facts.id, hashLabel: facts.labels[HASH_LABEL] } : undefined;
}

/** The engine's version for the provenance, from the facts asked at the start (already on their way). */
async function engineVersionOf(buildFacts: BuildFacts): Promise<string | undefined> {
  return buildFacts.builder.then((builder) => builder.version).catch(() => undefined);
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
    if (plan.platforms.length > 0) return (await pullPlatforms(plan, adapter, registry, source)) ? 'pulled' : 'absent';
    if (!(await pullIfPresent(adapter, registry, source))) return 'absent';
  } catch (error) {
    if (!bestEffort || !isImageError(error, 'REGISTRY_UNREACHABLE')) throw error;
    console.warn(
      `${plan.options.name}: warning: ${error.message}\n${plan.options.name}: IMAGE_REGISTRY_BEST_EFFORT is set: building locally.`,
    );
    return 'unreachable';
  }
  await tagImage(adapter, source, plan.ref);
  return 'pulled';
}

/**
 * What a build decides on, and the decision (present, pull or build; the preview asks the
 * same): the image's last record and what the engine holds under its hash tag.
 */
export async function decide(plan: BuildPlan, adapter: EngineAdapter) {
  const previous = readMetadata(plan.metaFile);
  // A record made through another store (DOCKER_HOST, …) names an id of that store: here the
  // image proves itself by its hash label alone, as one pulled from a registry does.
  const sameStore = previous?.store === undefined || previous.store === storeKey(process.env);
  const record = previous?.hash === plan.hash && previous.ref === plan.ref && sameStore ? { imageId: previous.imageId } : undefined;
  // Absent when the run started (the hook's view): no engine call, unless a record of this very
  // hash says another run built it since (this one waited for its lock): then the engine is asked.
  const absentAtStart = plan.heldAtStart === false && !record;
  const inspected = plan.options.alwaysBuild || absentAtStart ? undefined : await inspectImage(adapter, plan.ref);
  // A multi-platform image lacking a platform's image (or with another primary) is not held at all.
  const facts = inspected && (await heldForEveryPlatform(plan, adapter, inspected.id)) === false ? undefined : inspected;
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
    const parents = previous?.ref === plan.ref ? previous.parents : recordedParents(plan);
    try {
      await writeRecord(plan, adapter, 'present', facts as ImageFacts, parents, undefined, {
        engineVersion: await engineVersionOf(buildFacts),
      });
    } catch (error) {
      const dir = relative(plan.root, dirname(plan.metaFile));
      const { where, message } = writeFailure(plan, error);
      throw new ImageError(
        'RECORD_FAILED',
        `Image "${name}" is present (${plan.ref}), but its records in ${dir} could not be written${where}: ${message}.\n` +
          `Its children cannot build from it in this run. Free the disk or remove what stands in ${dir} (it holds records ` +
          `only), then rerun: npx nx run ${name}:build`,
        { cause: error },
      );
    }
    console.log(`${name}: present ${plan.ref} (${adapter.name}), no build needed`);
    return;
  }
  removeMetadata(plan.metaFile);
  removeStamp(dirname(plan.metaFile));
  removeWarmRecord(dirname(plan.metaFile));
  if (decision.note) console.log(`${name}: ${decision.note.replace('the engine', adapter.name)}`);
  if (decision.restoring)
    console.log(`${name}: ${plan.ref} is recorded in ${relative(plan.root, plan.metaFile)} but missing from ${adapter.name}: restoring it`);
  const lookup = decision.action === 'pull' ? await pullFromRegistry(plan, adapter) : undefined;
  if (lookup === 'pulled') {
    const pulled = (await inspectImage(adapter, plan.ref)) as ImageFacts;
    const problem =
      identityProblem(`${plan.registry.registry}/${name}:${plan.tag}`, held(pulled) as HeldImage, plan.hash, record) ??
      ((await heldForEveryPlatform(plan, adapter, pulled.id)) === false
        ? `${plan.registry.registry}/${name}:${plan.tag} is not an index of this hash's images for ${plan.platforms.join(', ')}`
        : undefined);
    if (!problem) {
      await moveLatest(plan, adapter, pulled);
      const reason = `from ${plan.registry.registry}${decision.restoring ? ': the engine had lost it' : ''}`;
      const status = decision.restoring ? 'restored' : 'pulled';
      await writeRecord(plan, adapter, status, pulled, recordedParents(plan), undefined, {
        reason,
        engineVersion: await engineVersionOf(buildFacts),
      });
      console.log(`${name}: ${decision.restoring ? 'restored' : 'pulled'} ${plan.ref} from ${plan.registry.registry}, no build needed`);
      return;
    }
    console.log(`${name}: ${problem}: not reusing it, building instead`);
    await untagImage(adapter, plan.ref);
  }
  // The registry answered: its layer cache (the image's previous builds there) serves the build.
  const cache =
    lookup === 'absent' && plan.registry.layerCache !== 'off'
      ? { previousTag: previous?.ref ? splitImageRef(previous.ref).tag : undefined }
      : undefined;
  const { parents, built, exports, inputs, engineVersion, spec } = await buildAndInspect(plan, adapter, buildFacts, {
    cache,
    previousId: previous?.imageId,
  });
  let reason: string;
  try {
    await moveLatest(plan, adapter, built);
    reason = decision.restoring ? 'rebuilt: the engine had lost it' : explainRebuild(previousInputs, inputs);
    await writeRecord(plan, adapter, decision.restoring ? 'restored' : 'built', built, parents, exports, { inputs, reason, engineVersion });
    // How it was built, for its parents' next builds to warm (one image of the engine's own platform only).
    writeWarmSpec(dirname(plan.metaFile), adapter, spec, parents, plan.platforms.length ? undefined : dockerfilesRead(plan, inputs));
  } catch (error) {
    throw await recordFailed(plan, adapter, built.id, previous?.imageId, error);
  }
  console.log(
    `${name}: ${decision.restoring ? 'restored (rebuilt)' : 'built'} ${plan.ref} in ` +
      `${((Date.now() - plan.started) / 1000).toFixed(1)} s: ${reason}`,
  );
}

/**
 * The image is built but its records could not be written (a full disk, a folder where a
 * record goes): it is not this run's result. The tags are taken back and the records removed,
 * so neither the fast path nor the next run can claim it; the error names the path.
 */
/** What a failed record write says: the path it names (workspace-relative), its code, the first line of its message. */
function writeFailure(plan: BuildPlan, error: unknown): { where: string; code: string; message: string } {
  const cause = error as NodeJS.ErrnoException;
  return {
    where: cause?.path ? ` (${relative(plan.root, cause.path)})` : '',
    code: cause?.code ?? '',
    message: (cause?.message ?? String(error)).split('\n')[0],
  };
}

async function recordFailed(plan: BuildPlan, adapter: EngineAdapter, builtId: string, previousId: string | undefined, error: unknown) {
  const dir = dirname(plan.metaFile);
  const undone = await discardBuild(plan, adapter, builtId, previousId);
  try {
    removeStamp(dir);
    removeMetadata(plan.metaFile);
  } catch {
    // the stamp was written last: if it cannot be removed it was never written
  }
  const { where, code, message } = writeFailure(plan, error);
  return new ImageError(
    'RECORD_FAILED',
    `Image "${plan.options.name}" was built, but its records in ${relative(plan.root, dir)} could not be written${where}: ` +
      `${code} ${message}.\nThe build is not kept: ${undone}. ` +
      `Free the disk or remove what stands in ${relative(plan.root, dir)} (rm -rf ${relative(plan.root, dir)} is safe: it holds ` +
      `records only), then rerun: npx nx run ${plan.options.name}:build`,
    { cause: error },
  );
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
