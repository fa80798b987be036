import type { ExecutorContext } from '@nx/devkit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeBuildArgs } from '../../core/build-args';
import { applyDigestOverrides, parseDigestsFile, type Digests } from '../../core/digests';
import { ImageError } from '../../core/errors';
import { imageRef, LATEST_TAG, tagFromHash } from '../../core/naming';
import { resolveEngineSettings } from '../../core/options';
import { engineAdapter } from '../../engines';
import type { EngineAdapter } from '../../engines/types';
import type { BuildTargetOptions } from '../../plugin/create-nodes';
import { buildImage, chooseBuilder, inspectImage, tagImage } from '../shared/image-store';
import { metadataPath, readMetadata, removeMetadata, writeMetadata, type ImageMetadata } from '../shared/metadata';
import { reportFailure } from '../shared/report';

/** Reads and validates the digests file, applying env overrides. Fails before any engine call. */
export function loadDigests(workspaceRoot: string, file: string, env: Record<string, string | undefined>): Digests {
  let content: string;
  try {
    content = readFileSync(join(workspaceRoot, file), 'utf8');
  } catch {
    throw new ImageError('DIGESTS_FILE_MISSING', `${file}: the digests file is missing. Create it with BASE_IMAGE=<image>:<tag> and BASE_DIGEST=sha256:<64 hex>, or set the plugin option digestsFile.`);
  }
  return applyDigestOverrides(parseDigestsFile(content, file), env).digests;
}

async function resolveParentRefs(adapter: EngineAdapter, options: BuildTargetOptions, workspaceRoot: string) {
  const parents: { name: string; arg: string; ref: string }[] = [];
  for (const parent of options.parents) {
    const meta = readMetadata(metadataPath(workspaceRoot, options.outputDir, parent.name));
    const facts = meta ? await inspectImage(adapter, meta.ref) : undefined;
    if (!meta || !facts) {
      throw new ImageError(
        'PARENT_NOT_BUILT',
        `Image "${options.name}" is built from "${parent.name}", but ${meta ? `${meta.ref} is not in ${adapter.name}'s store` : `${parent.name} has no build record in ${options.outputDir}`}.\n` +
          `Build the chain through Nx so parents build first: npx nx run ${options.name}:build`,
      );
    }
    parents.push({ ...parent, ref: meta.ref });
  }
  return parents;
}

/**
 * Builds one image under `<prefix>/<name>:<Nx hash>`, or finds it already in the
 * engine, then moves `:latest` to it and records `image.json`. A failed build
 * leaves no tag, no `:latest` move and no metadata.
 */
export default async function buildExecutor(options: BuildTargetOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const started = Date.now();
  const root = context.root;
  try {
    const hash = process.env.NX_TASK_HASH as string;
    const ref = imageRef(options.prefix, options.name, tagFromHash(hash));
    const latest = imageRef(options.prefix, options.name, LATEST_TAG);
    const settings = resolveEngineSettings(options, process.env);
    const digests = options.digestsFile ? loadDigests(root, options.digestsFile, process.env) : undefined;
    const adapter = engineAdapter(settings.engine, settings.client);
    const metaFile = metadataPath(root, options.outputDir, options.name);
    const record = (status: ImageMetadata['status'], facts: { id: string; sizeBytes: number }, parents: { name: string; ref: string }[]) =>
      writeMetadata(metaFile, {
        name: options.name, ref, latest, imageId: facts.id, hash, parents, sizeBytes: facts.sizeBytes,
        durationMs: Date.now() - started, status, engine: settings.engine, finishedAt: new Date().toISOString(),
      });

    const present = await inspectImage(adapter, ref);
    if (present) {
      if (!present.tags.includes(latest)) await tagImage(adapter, ref, latest);
      const previous = readMetadata(metaFile);
      record('present', present, previous?.ref === ref ? previous.parents : []);
      console.log(`${options.name}: present ${ref} (${settings.engine}), no build needed`);
      return { success: true };
    }

    removeMetadata(metaFile);
    const parents = await resolveParentRefs(adapter, options, root);
    const builder = await chooseBuilder(adapter);
    console.log(`${options.name}: building ${ref} with ${builder.note}`);
    const exitCode = await buildImage(adapter, {
      dockerfile: join(root, options.dockerfile),
      context: join(root, options.context),
      tags: [ref],
      buildArgs: composeBuildArgs(parents, digests),
      labels: { 'org.ffreis.image': options.name, 'org.ffreis.nx-hash': hash },
      network: settings.network,
      buildkit: builder.buildkit,
    });
    if (exitCode !== 0) {
      throw new ImageError(
        'BUILD_FAILED',
        `Image "${options.name}" failed to build from ${options.dockerfile} (${adapter.client} exit ${exitCode}); its output is above.\n` +
          `Nothing was tagged: ${latest} still points where it did. Fix the failing step, then rerun: npx nx run ${options.name}:build`,
      );
    }
    const built = await inspectImage(adapter, ref);
    if (!built) throw new ImageError('ENGINE_FAILED', `${adapter.client} reported success but ${ref} is not in its store.`);
    await tagImage(adapter, ref, latest);
    record('built', built, parents.map(({ name, ref: parentRef }) => ({ name, ref: parentRef })));
    console.log(`${options.name}: built ${ref} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { success: true };
  } catch (error) {
    return reportFailure(error, options.name);
  }
}
