import type { ExecutorContext } from '@nx/devkit';
import type { ImageTargetOptions } from '../shared-options';
import { imageRepository } from '../../core/naming';
import { engineAdapterFor } from '../../engines';
import { HASH_LABEL, listTags, registryCopies, removeTag } from '../../engines/image-store';
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
    const repository = imageRepository(options.prefix, options.name);
    // The registry-prefixed tags push and pull leave of the same images go too: they hold the same disk.
    const tags = [...new Set([...(await registryCopies(adapter, repository, HASH_LABEL)), ...(await listTags(adapter, repository))])];
    // One tag at a time: removing an image's last tag removes the image, and
    // podman then fails on any further tag of it in the same command.
    for (const tag of tags) await removeTag(adapter, tag);
    console.log(`${options.name}: removed ${tags.length} tag(s)${tags.length ? `: ${tags.join(', ')}` : ''}`);
    return { success: true };
  } catch (error) {
    return reportFailure(error, options.name);
  }
}
