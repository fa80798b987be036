import { dirname } from 'node:path';
import { ImageError } from '../../core/errors';
import { imageRef, splitImageRef } from '../../core/naming';
import { platformTag, samePlatform } from '../../core/platforms';
import { HASH_LABEL, inspectImage, inspectImages } from '../../engines/image-store';
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

/**
 * The parents a build starts from: each must be confirmed in this run (so
 * `--exclude-task-dependencies` can never hand it a stale tag) and be, in the engine, that
 * hash's build (for each platform, when built for several). Asked in one engine call: on the
 * critical path, each engine query counts.
 */
export async function verifiedParents(plan: BuildPlan, adapter: EngineAdapter): Promise<VerifiedParent[]> {
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
  const refs = parents.flatMap((parent) => (parent.ref ? [parent.ref] : []));
  const held = await inspectImages(adapter, refs);
  const factsOf = new Map(refs.map((ref, i) => [ref, held[i]]));
  return Promise.all(
    parents.map(async (parent) => {
      const facts = parent.ref ? factsOf.get(parent.ref) : undefined;
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
      const platforms = plan.platforms.length > 0 ? await parentPlatforms(plan, adapter, { ...parent, ref: parent.ref }) : undefined;
      return { name: parent.name, arg: parent.arg, ref: parent.ref, ...(platforms ? { platforms } : {}) };
    }),
  );
}
