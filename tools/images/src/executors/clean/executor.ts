import type { ExecutorContext } from '@nx/devkit';
import { imageRepository } from '../../core/naming';
import { resolveEngineSettings } from '../../core/options';
import { engineAdapter } from '../../engines';
import { runEngine } from '../../process/run-engine';
import { listTags } from '../shared/image-store';
import { metadataPath, removeMetadata } from '../shared/metadata';
import { reportFailure } from '../shared/report';

export interface CleanTargetOptions {
  name: string;
  prefix: string;
  outputDir: string;
  engine: 'docker' | 'podman';
  client?: string;
}

/** Removes every tag of one image and its metadata (`make clean-<name>`); layers shared with other images stay. */
export default async function cleanExecutor(options: CleanTargetOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    removeMetadata(metadataPath(context.root, options.outputDir, options.name));
    const settings = resolveEngineSettings(options, process.env);
    const adapter = engineAdapter(settings.engine, settings.client);
    const tags = await listTags(adapter, imageRepository(options.prefix, options.name));
    if (tags.length > 0) await runEngine(adapter, adapter.removeImages(tags));
    console.log(`${options.name}: removed ${tags.length} tag(s)${tags.length ? `: ${tags.join(', ')}` : ''}`);
    return { success: true };
  } catch (error) {
    return reportFailure(error, options.name);
  }
}
