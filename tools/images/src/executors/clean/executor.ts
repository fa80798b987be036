import type { ExecutorContext } from '@nx/devkit';
import type { ImageTargetOptions } from '../shared-options';
import { ImageError, isImageError } from '../../core/errors';
import { imageRepository } from '../../core/naming';
import { engineAdapterFor } from '../../engines';
import { runEngine } from '../../engines/run-engine';
import type { EngineAdapter } from '../../engines/types';
import { listTags } from '../../engines/image-store';
import { dirname } from 'node:path';
import { metadataPath, removeMetadata, removeStamp } from '../../records/metadata';
import { reportFailure } from '../report';

export type CleanTargetOptions = ImageTargetOptions;

/**
 * The image's tags. The other images' cleans in the same run remove images while this one
 * lists, and podman then fails the listing on an image it no longer finds ("image not
 * known"); listTags asks again for about a second, and this asks a few times more over
 * several seconds, the span of a chain's clean.
 */
async function tagsOf(adapter: EngineAdapter, repository: string): Promise<string[]> {
  for (let round = 1; ; round++) {
    try {
      return await listTags(adapter, repository);
    } catch (error) {
      if (round >= 4 || !isImageError(error, 'ENGINE_FAILED') || !/image not known/i.test(error.message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * round));
    }
  }
}

/** Removes every tag of one image and its metadata (`make clean-<name>`); layers shared with other images stay. */
export default async function cleanExecutor(options: CleanTargetOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const record = metadataPath(context.root, options.outputDir, options.name);
    removeMetadata(record);
    removeStamp(dirname(record));
    const adapter = engineAdapterFor(options, process.env);
    const tags = await tagsOf(adapter, imageRepository(options.prefix, options.name));
    // One tag at a time: removing an image's last tag removes the image, and
    // podman then fails on any further tag of it in the same command.
    for (const tag of tags) {
      const result = await runEngine(adapter, adapter.removeImages([tag]), { allowFailure: true });
      if (result.exitCode !== 0 && !/no such image|image not known/i.test(result.stderr)) {
        throw new ImageError('ENGINE_FAILED', `${adapter.client} rmi ${tag} failed: ${result.stderr.trim()}`);
      }
    }
    console.log(`${options.name}: removed ${tags.length} tag(s)${tags.length ? `: ${tags.join(', ')}` : ''}`);
    return { success: true };
  } catch (error) {
    return reportFailure(error, options.name);
  }
}
