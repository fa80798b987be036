import { readdirSync } from 'node:fs';
import { ImageError } from '../../core/errors';
import { samePlatform, unemulated } from '../../core/platforms';
import { exportDigests, HASH_LABEL, inspectImage, tagImage } from '../../engines/image-store';
import { pullIfPresent } from '../../engines/registry';
import type { EngineAdapter } from '../../engines/types';
import { pinnedPlatforms } from '../../oci/image-index';
import { locateImage } from '../../oci/reference';
import { platformImages, type BuildPlan } from './plan';

/*
 * A multi-platform image in a store that keeps one platform per tag (podman 4.3's local
 * manifest lists break its own `podman images`, so none is made): one image per platform
 * under `<hash>-<os>-<arch>`, the hash tag naming the primary one. Locally, "held" means
 * every platform's image is there, labelled with this hash and of its platform, and the
 * hash tag names the primary; the index exists only in the registry (push assembles it).
 */

/**
 * Whether the engine holds this hash's image for every platform (undefined for a
 * single-platform plan, which has nothing more to check).
 */
export async function heldForEveryPlatform(plan: BuildPlan, adapter: EngineAdapter, primaryId?: string): Promise<boolean | undefined> {
  const images = platformImages(plan);
  if (images.length === 0) return undefined;
  const held = await Promise.all(images.map((image) => inspectImage(adapter, image.ref)));
  const complete = held.every(
    (facts, i) => facts !== undefined && facts.labels[HASH_LABEL] === plan.hash && samePlatform(facts.platform, images[i].platform),
  );
  return complete && (primaryId === undefined || held[0]?.id === primaryId);
}

/**
 * The digests of what children copy out of this image: of the one image, or of each
 * platform's (keyed `<platform> <path>`), so a child hashed on them changes when any does.
 */
export async function imageExports(plan: BuildPlan, adapter: EngineAdapter): Promise<Record<string, string>> {
  const paths = plan.options.exports ?? [];
  const images = platformImages(plan);
  if (images.length === 0) return exportDigests(adapter, plan.ref, paths);
  const each = await Promise.all(images.map((image) => exportDigests(adapter, image.ref, paths)));
  return Object.fromEntries(
    images.flatMap((image, i) => Object.entries(each[i]).map(([path, digest]) => [`${image.platform} ${path}`, digest])),
  );
}

/**
 * Pulls each platform's image out of the registry's index under the hash tag, one after
 * the other (each pull moves the registry-named tag), tags it `<hash>-<os>-<arch>`, then
 * names the primary with the hash tag. False when the registry lacks the tag or a platform.
 */
export async function pullPlatforms(plan: BuildPlan, adapter: EngineAdapter, registry: string, source: string): Promise<boolean> {
  const images = platformImages(plan);
  for (const image of images) {
    if (!(await pullIfPresent(adapter, registry, source, image.platform))) return false;
    await tagImage(adapter, source, image.ref);
  }
  await tagImage(adapter, images[0].ref, plan.ref);
  return true;
}

/**
 * Refuses, before any build, a foreign platform this machine cannot run: a local engine
 * runs its RUN steps through binfmt_misc and qemu. Not checked for a remote engine
 * (CONTAINER_HOST, CONTAINER_CONNECTION), whose machine is not this one, nor where
 * binfmt_misc cannot be read.
 */
export function checkEmulation(plan: BuildPlan, env: NodeJS.ProcessEnv, dir = '/proc/sys/fs/binfmt_misc'): void {
  if (env.CONTAINER_HOST || env.CONTAINER_CONNECTION) return;
  let registered: string[];
  try {
    registered = readdirSync(dir);
  } catch {
    return;
  }
  const missing = unemulated(plan.platforms, registered);
  if (missing.length === 0) return;
  throw new ImageError(
    'PLATFORMS_UNSUPPORTED',
    `Image "${plan.options.name}" is to be built for ${missing.join(', ')}, which this machine cannot run: no qemu ` +
      `interpreter is registered with binfmt_misc (${dir}), so its RUN steps would fail with "exec format error".\n` +
      'Install and register qemu (Debian: apt-get install qemu-user-static binfmt-support), or drop the platform from ' +
      'IMAGE_PLATFORMS / the option platforms.',
  );
}

/**
 * Refuses, before any build, a platform the pinned upstream does not hold: asked of its registry
 * (its index's entries, or a single image's own platform). An upstream the registry cannot be
 * asked about is built on, and the engine's own platform warning stops a mismatch then.
 */
export async function checkUpstreamPlatforms(plan: BuildPlan, env: NodeJS.ProcessEnv): Promise<void> {
  if (plan.platforms.length === 0 || !plan.digests) return;
  const { BASE_IMAGE: image, BASE_DIGEST: digest } = plan.digests;
  let location;
  try {
    location = { ...locateImage(image), tag: digest };
  } catch {
    return;
  }
  const held = await pinnedPlatforms(location, env);
  if (!held) return;
  const missing = plan.platforms.filter((platform) => !held.some((h) => samePlatform(h.split('/').slice(0, 2).join('/'), platform)));
  if (missing.length === 0) return;
  throw new ImageError(
    'PLATFORMS_UNSUPPORTED',
    `Image "${plan.options.name}" is to be built for ${missing.join(', ')}, but its upstream ${image}@${digest} holds only ` +
      `${held.join(', ') || 'no platform it names'}: its binaries would not run there.\n` +
      `Pin an upstream whose index holds ${missing.join(', ')} (a manifest list, e.g. the tag's multi-platform digest), or drop ` +
      `${missing.join(', ')} from IMAGE_PLATFORMS / the option platforms. Nothing was built.`,
  );
}
