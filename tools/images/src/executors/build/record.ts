import { dirname } from 'node:path';
import type { InputsRecord } from '../../core/why';
import { inspectImage, tagImage, type ImageFacts } from '../../engines/image-store';
import { settingsKey, storeKey, type EngineAdapter } from '../../engines/types';
import { HASH_LABEL } from '../../core/naming';
import { currentInputs } from '../../io/inputs-record';
import { writeInputsRecord } from '../../records/inputs';
import {
  exportsImageId,
  metadataPath,
  readMetadata,
  writeExports,
  writeMetadata,
  removeStamp,
  writeStamp,
  type ImageStatus,
} from '../../records/metadata';
import { readProvenance, toolVersions, writeProvenance } from '../../records/attachments';
import { markRun } from '../../records/run-marks';
import { imageExports } from './platform-images';
import { platformImages, type BuildPlan } from './plan';

/** Each platform's image of a multi-platform build, by tag and id, for its provenance. */
async function platformIds(plan: BuildPlan, adapter: EngineAdapter) {
  return Promise.all(
    platformImages(plan).map(async ({ platform, ref }) => ({ platform, ref, id: (await inspectImage(adapter, ref))?.id ?? '' })),
  );
}

/** Moves `:latest` to the image, once it is known to be this hash's build. */
export async function moveLatest(plan: BuildPlan, adapter: EngineAdapter, facts: ImageFacts) {
  if (!facts.tags.includes(plan.latest)) await tagImage(adapter, plan.ref, plan.latest);
}

/**
 * Records the image (`image.json`), then the stamp the build target's fast path compares
 * with what the engine holds, then this run's mark (children build from it).
 */
export async function writeRecord(
  plan: BuildPlan,
  adapter: EngineAdapter,
  status: ImageStatus,
  facts: ImageFacts,
  parents: { name: string; ref: string }[],
  exported?: { imageId: string; digests: Record<string, string> },
  why?: { inputs?: InputsRecord; reason?: string; engineVersion?: string },
) {
  const dir = dirname(plan.metaFile);
  const exports = plan.options.exports ?? [];
  if (exports.length > 0 && exportsImageId(dir) !== facts.id) {
    writeExports(dir, facts.id, exported?.imageId === facts.id ? exported.digests : await imageExports(plan, adapter));
  }
  writeMetadata(plan.metaFile, {
    name: plan.options.name,
    ref: plan.ref,
    latest: plan.latest,
    imageId: facts.id,
    hash: plan.hash,
    parents: parents.map(({ name, ref }) => ({ name, ref })),
    sizeBytes: facts.sizeBytes,
    durationMs: Date.now() - plan.started,
    status,
    engine: plan.engine.engine,
    store: storeKey(process.env),
    finishedAt: new Date().toISOString(),
    ...(why?.reason ? { reason: why.reason } : {}),
    ...(plan.platforms.length > 0 ? { platforms: plan.platforms } : {}),
  });
  // What went into this hash, for the next build's explanation (after the image is known good).
  const inputs = why?.inputs ?? currentInputs(plan.root, plan.options.name, plan.hash, process.env, parents);
  if (inputs) writeInputsRecord(dir, inputs);
  // How it came to be; an image found present keeps the provenance its build wrote.
  if (status !== 'present' || readProvenance(dir)?.image.id !== facts.id) {
    writeProvenance(dir, {
      schema: 'nx-images/provenance/v1',
      image: { name: plan.options.name, ref: plan.ref, id: facts.id, hash: plan.hash },
      ...(plan.platforms.length > 0 ? { platforms: await platformIds(plan, adapter) } : {}),
      status,
      parents: parents.map(({ name, ref }) => {
        const parent = readMetadata(metadataPath(plan.root, plan.options.outputDir, name));
        return { name, ref, ...(parent?.ref === ref ? { id: parent.imageId } : {}) };
      }),
      ...(inputs ? { inputs: { files: inputs.files, env: inputs.env, exports: inputs.exports } } : {}),
      engine: { name: adapter.name, client: adapter.client, ...(why?.engineVersion ? { version: why.engineVersion } : {}) },
      versions: toolVersions(),
      finishedAt: new Date().toISOString(),
    });
  }
  // What the shell fast path may claim next time, with what it is to compare. A multi-platform
  // image is one image per platform, which only the full program checks: it gets no stamp.
  if (plan.platforms.length > 0) removeStamp(dir);
  else {
    writeStamp(dir, {
      id: facts.id,
      ref: plan.ref,
      label: facts.labels[HASH_LABEL] ?? '',
      key: settingsKey(plan.options, process.env),
      client: adapter.client,
      engine: plan.engine.engine,
    });
  }
  if (plan.rootPid) markRun(dir, plan.rootPid, plan.hash);
}
