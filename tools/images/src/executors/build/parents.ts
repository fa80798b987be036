import { dirname } from 'node:path';
import { ImageError } from '../../core/errors';
import { imageRef, splitImageRef } from '../../core/naming';
import { platformTag, samePlatform } from '../../core/platforms';
import { HASH_LABEL, inspectImage, inspectImages, type ImageFacts } from '../../engines/image-store';
import type { EngineAdapter } from '../../engines/types';
import { metadataPath, readMetadata } from '../../records/metadata';
import { runMark } from '../../records/run-marks';
import type { BuildPlan } from './plan';

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
export function recordedParents(plan: BuildPlan): { name: string; ref: string }[] {
  return knownParents(plan).flatMap((p) => (p.ref ? [{ name: p.name, ref: p.ref }] : []));
}

/** A parent a build starts from, verified; `platforms` maps each platform of a multi-platform build to that platform's image. */
export interface VerifiedParent {
  name: string;
  arg: string;
  ref: string;
  platforms?: Record<string, string>;
}

/**
 * Each platform's image of a parent, for a multi-platform build: it must be in the engine
 * as that hash's build for that platform, else the parent was built for other platforms.
 */
async function parentPlatforms(plan: BuildPlan, adapter: EngineAdapter, parent: { name: string; ref: string; hash?: string }) {
  const tag = splitImageRef(parent.ref).tag as string;
  const entries = await Promise.all(
    plan.platforms.map(async (platform) => {
      const ref = imageRef(plan.options.prefix, parent.name, platformTag(tag, platform));
      const facts = await inspectImage(adapter, ref);
      if (!facts || facts.labels[HASH_LABEL] !== parent.hash || !samePlatform(facts.platform, platform)) {
        throw new ImageError(
          'PARENT_NOT_BUILT',
          `Image "${plan.options.name}" is built for ${platform}, but its parent "${parent.name}" has no ${platform} image ` +
            `(${ref}) in ${adapter.name}'s store.
Build both for the same platforms: set them in IMAGE_PLATFORMS or the plugin ` +
            `option platforms, not on one project alone, then run: npx nx run ${plan.options.name}:build`,
        );
      }
      return [platform, ref] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** A parent whose exact ref this run knows, before the engine is asked. */
export interface KnownParent {
  name: string;
  arg: string;
  ref: string;
  hash?: string;
}

/**
 * Each parent's exact ref from the records alone (no engine call), so a build can start at
 * once: each must be confirmed in this run (so `--exclude-task-dependencies` can never hand
 * it a stale tag) or, outside Nx's runs, recorded.
 */
export function parentRefs(plan: BuildPlan): KnownParent[] {
  const name = plan.options.name;
  const parents = knownParents(plan);
  const unconfirmed = plan.rootPid ? parents.find((parent) => !parent.hash) : undefined;
  if (unconfirmed) {
    throw new ImageError(
      'PARENT_NOT_BUILT',
      `Image "${name}" is built from "${unconfirmed.name}", whose build is not part of this run (--exclude-task-dependencies?), ` +
        `so its recorded tag may be stale.\nRun it with its parents: npx nx run ${name}:build`,
    );
  }
  const unrecorded = parents.find((parent) => !parent.ref);
  if (unrecorded) {
    throw new ImageError(
      'PARENT_NOT_BUILT',
      `Image "${name}" is built from "${unrecorded.name}", but ${unrecorded.name} has no build record in ${plan.options.outputDir}.\n` +
        `Build the chain through Nx so parents build first: npx nx run ${name}:build`,
    );
  }
  return parents as KnownParent[];
}

/** The first parent the engine does not hold as that hash's build, given each one's facts in order. */
export function mismatchedParent(parents: KnownParent[], held: (ImageFacts | undefined)[]): KnownParent | undefined {
  return parents.find((parent, i) => !held[i] || held[i]?.labels[HASH_LABEL] !== parent.hash);
}

/** The refusal of a build whose parent the engine does not hold as that hash's build; `after` says what became of the build. */
export function parentNotBuilt(plan: BuildPlan, adapter: EngineAdapter, parent: KnownParent, after = ''): ImageError {
  const name = plan.options.name;
  return new ImageError(
    'PARENT_NOT_BUILT',
    `Image "${name}" is built from "${parent.name}", but ${parent.ref} is not in ${adapter.name}'s store as that hash's build${after}.\n` +
      `Build the chain through Nx so parents build first: npx nx run ${name}:build`,
  );
}

/**
 * The parents a build starts from (parentRefs), each, in the engine, that hash's build
 * (for each platform, when built for several). Asked in one engine call: on the critical
 * path, each engine query counts. A single-platform build asks this after the build
 * instead, with its own inspect (buildAndInspect).
 */
export async function verifiedParents(plan: BuildPlan, adapter: EngineAdapter): Promise<VerifiedParent[]> {
  const parents = parentRefs(plan);
  const held = await inspectImages(
    adapter,
    parents.map((parent) => parent.ref),
  );
  const mismatch = mismatchedParent(parents, held);
  if (mismatch) throw parentNotBuilt(plan, adapter, mismatch);
  return Promise.all(
    parents.map(async (parent) => {
      const platforms = plan.platforms.length > 0 ? await parentPlatforms(plan, adapter, parent) : undefined;
      return { name: parent.name, arg: parent.arg, ref: parent.ref, ...(platforms ? { platforms } : {}) };
    }),
  );
}
