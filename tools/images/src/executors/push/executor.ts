import type { ExecutorContext } from '@nx/devkit';
import type { ImageTargetOptions } from '../shared-options';
import { dirname, join } from 'node:path';
import { ImageError } from '../../core/errors';
import { imageRef, splitImageRef, TAG_PATTERN } from '../../core/naming';
import { platformTag } from '../../core/platforms';
import type { EngineAdapter } from '../../engines/types';
import { imageEntry, putIndex } from '../../oci/image-index';
import { locateImage } from '../../oci/reference';
import { resolveRegistrySettings } from '../../core/options';
import { engineAdapterFor } from '../../engines';
import { inspectImage, tagImage } from '../../engines/image-store';
import { metadataPath, readMetadata } from '../../records/metadata';
import { pushFileImage, pushImage } from '../../engines/registry';
import { PROVENANCE_FILE, PROVENANCE_TAG_SUFFIX, readProvenance, SBOM_FILE, SBOM_TAG_SUFFIX, sbomImageId } from '../../records/attachments';
import { reportFailure } from '../report';

/**
 * A multi-platform image: each platform's image under `<hash>-<os>-<arch>`, pushed by the
 * engine, then an OCI index of them under the hash tag (and each moving tag), written over
 * the distribution API (the engine's store holds no index to push).
 */
async function pushPlatforms(adapter: EngineAdapter, registry: string, name: string, ref: string, platforms: string[], tags: string[]) {
  const hashTag = splitImageRef(ref).tag as string;
  const entries = [];
  for (const platform of platforms) {
    const tag = platformTag(hashTag, platform);
    const target = imageRef(registry, name, tag);
    await tagImage(adapter, `${splitImageRef(ref).repository}:${tag}`, target);
    await pushImage(adapter, registry, target);
    entries.push(await imageEntry(locateImage(target), platform));
    console.log(`${name}: pushed ${target} (${platform})`);
  }
  for (const tag of tags) {
    const digest = await putIndex(locateImage(imageRef(registry, name, tag)), entries);
    console.log(`${name}: pushed ${imageRef(registry, name, tag)}, an index of ${platforms.join(', ')} (${digest})`);
  }
}

export interface PushTargetOptions extends ImageTargetOptions {
  registry?: string;
  /** Moving tags to push too, e.g. `latest` or `git-<sha>` (`--tags=latest,git-abc123`). Default: none. */
  tags?: string[] | string;
}

/** Pushes the image the last build recorded under its hash tag (and any moving tags asked for). */
export default async function pushExecutor(options: PushTargetOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const { registry } = resolveRegistrySettings(options, process.env);
    if (!registry) {
      throw new ImageError(
        'NO_REGISTRY',
        'No registry to push to: set IMAGE_REGISTRY (e.g. 127.0.0.1:5000/ffreis) or the plugin option "registry" in nx.json.',
      );
    }
    const extra = (Array.isArray(options.tags) ? options.tags : (options.tags ?? '').split(',')).map((t) => t.trim()).filter(Boolean);
    const bad = extra.find((t) => !TAG_PATTERN.test(t));
    if (bad) throw new ImageError('BAD_OPTION', `--tags: "${bad}" is not a valid image tag (letters, digits, _ . -; at most 128).`);

    const meta = readMetadata(metadataPath(context.root, options.outputDir, options.name));
    const adapter = engineAdapterFor(options, process.env);
    if (!meta || !(await inspectImage(adapter, meta.ref))) {
      throw new ImageError(
        'NOT_BUILT',
        `Nothing to push for "${options.name}": build it first (push depends on build): npx nx run ${options.name}:push`,
      );
    }
    const hashTag = splitImageRef(meta.ref).tag as string;
    if (meta.platforms?.length) await pushPlatforms(adapter, registry, options.name, meta.ref, meta.platforms, [hashTag, ...extra]);
    else
      for (const tag of [hashTag, ...extra]) {
        const target = imageRef(registry, options.name, tag);
        await tagImage(adapter, meta.ref, target);
        await pushImage(adapter, registry, target);
        console.log(`${options.name}: pushed ${target}`);
      }
    // What goes with the image, when it describes this very image: <hash tag>.provenance and <hash tag>.sbom.
    const dir = dirname(metadataPath(context.root, options.outputDir, options.name));
    const attachments = [
      { file: PROVENANCE_FILE, suffix: PROVENANCE_TAG_SUFFIX, of: readProvenance(dir)?.image.id },
      { file: SBOM_FILE, suffix: SBOM_TAG_SUFFIX, of: sbomImageId(dir) },
    ];
    for (const { file, suffix, of } of attachments) {
      if (of !== meta.imageId) continue;
      const target = imageRef(registry, options.name, `${hashTag}${suffix}`);
      await pushFileImage(adapter, registry, target, join(dir, file), {
        'org.ffreis.describes': imageRef(registry, options.name, hashTag),
      });
      console.log(`${options.name}: pushed ${target} (${file})`);
    }
    return { success: true };
  } catch (error) {
    return reportFailure(error, options.name);
  }
}
