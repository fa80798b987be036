import type { ExecutorContext } from '@nx/devkit';
import type { ImageTargetOptions } from '../shared-options';
import { ImageError } from '../../core/errors';
import { imageRepository } from '../../core/naming';
import { engineAdapterFor } from '../../engines';
import { runEngine } from '../../engines/run-engine';
import { listTags } from '../../engines/image-store';
import { dirname } from 'node:path';
import { metadataPath, removeMetadata, removeStamp } from '../../records/metadata';
import { reportFailure } from '../report';

export type CleanTargetOptions = ImageTargetOptions;

/** Removes every tag of one image and its metadata (`make clean-<name>`); layers shared with other images stay. */
export default async function cleanExecutor(options: CleanTargetOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const record = metadataPath(context.root, options.outputDir, options.name);
    removeMetadata(record);
    removeStamp(dirname(record));
    const adapter = engineAdapterFor(options, process.env);
    const tags = await listTags(adapter, imageRepository(options.prefix, options.name));
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
