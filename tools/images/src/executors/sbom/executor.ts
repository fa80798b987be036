import type { ExecutorContext } from '@nx/devkit';
import type { ImageTargetOptions } from '../shared-options';
import { dirname, relative } from 'node:path';
import { ImageError } from '../../core/errors';
import { cycloneDxSbom, SBOM_SOURCES } from '../../core/sbom';
import { engineAdapterFor } from '../../engines';
import { inspectImage, readImageFiles } from '../../engines/image-store';
import { metadataPath, readMetadata } from '../../records/metadata';
import { toolVersions, writeSbom } from '../../records/attachments';
import { reportFailure } from '../report';

export type SbomTargetOptions = ImageTargetOptions;

/**
 * Writes the CycloneDX SBOM of the image the last build recorded (its Debian packages and
 * the app's requirements lock) beside image.json, and prints where it is. `push` carries it.
 */
export default async function sbomExecutor(options: SbomTargetOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const metaFile = metadataPath(context.root, options.outputDir, options.name);
    const meta = readMetadata(metaFile);
    const adapter = engineAdapterFor(options, process.env);
    const facts = meta ? await inspectImage(adapter, meta.ref) : undefined;
    if (!meta || facts?.id !== meta.imageId) {
      throw new ImageError(
        'NOT_BUILT',
        `No image of "${options.name}" to describe: build it first (sbom depends on build): npx nx run ${options.name}:sbom`,
      );
    }
    const files = await readImageFiles(adapter, meta.ref, Object.values(SBOM_SOURCES));
    const { json, components } = cycloneDxSbom({
      image: { name: options.name, ref: meta.ref, id: meta.imageId },
      dpkgStatus: files[SBOM_SOURCES.dpkgStatus],
      osRelease: files[SBOM_SOURCES.osRelease],
      requirementsLock: files[SBOM_SOURCES.requirementsLock],
      tool: { name: '@ffreis/nx-images', version: toolVersions().nxImages },
    });
    const file = writeSbom(dirname(metaFile), json);
    console.log(`${options.name}: SBOM (CycloneDX 1.6, ${components} packages) of ${meta.ref}: ${relative(context.root, file)}`);
    return { success: true };
  } catch (error) {
    return reportFailure(error, options.name);
  }
}
