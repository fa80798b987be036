import { dirname } from 'node:path';
import { isImageError } from '../../core/errors';
import { imageRef } from '../../core/naming';
import { explainRebuild } from '../../core/why';
import { engineAdapter } from '../../engines';
import { currentInputs } from '../../io/inputs-record';
import { readInputsRecord } from '../../records/inputs';
import { resolveTagDigest } from '../../oci/distribution';
import { locateImage } from '../../oci/reference';
import { metadataPath } from '../../records/metadata';
import { markRun, runMark } from '../../records/run-marks';
import { reportFailure } from '../report';
import { decide } from './executor';
import { planBuild, type BuildPlan } from './plan';
import type { BuildTargetOptions } from '../../core/build-options';

/** Whether the registry holds the hash tag, asked over HTTP (a HEAD of the manifest): no pull, no engine change. */
async function registryHolds(plan: BuildPlan): Promise<{ source: string; holds: boolean | undefined; problem?: string }> {
  const source = imageRef(plan.registry.registry as string, plan.options.name, plan.tag);
  try {
    await resolveTagDigest(locateImage(source), 5_000);
    return { source, holds: true };
  } catch (error) {
    if (isImageError(error, 'TAG_NOT_FOUND')) return { source, holds: false };
    return { source, holds: undefined, problem: (error as Error).message.split('\n')[0] };
  }
}

/**
 * The parents' tags in this preview, and what the parents it only copies from would do
 * (their preview marks): `builder would build`.
 * A child that only copies from a parent is hashed on what it copies, which only a real
 * build of the parent can tell: the preview says so instead of guessing.
 */
function parentsAhead(plan: BuildPlan): { parents: { name: string; ref: string }[]; ahead: string[] } {
  const parents: { name: string; ref: string }[] = [];
  const ahead: string[] = [];
  const planned = (name: string) => {
    const mark = plan.rootPid ? runMark(dirname(metadataPath(plan.root, plan.options.outputDir, name)), plan.rootPid, 'plans') : undefined;
    const [hash, ...action] = (mark ?? '').split(' ');
    return { hash, action: action.join(' ') };
  };
  for (const parent of plan.options.parents) {
    const { hash } = planned(parent.name);
    if (hash) parents.push({ name: parent.name, ref: imageRef(plan.options.prefix, parent.name, hash) });
  }
  for (const name of plan.options.copies ?? []) {
    const { action } = planned(name);
    if (action && action !== 'present') ahead.push(`${name} ${action}`);
  }
  return { parents, ahead };
}

/**
 * `NX_IMAGES_PLAN=1 npx nx run-many -t build`: for each image, what a build would do
 * (present, pull or build) and why, from the same facts a build decides on. It reads
 * the engine's store and asks the registry over HTTP; it tags, pulls, builds and records
 * nothing (its only writes are its own preview marks, which no build reads).
 */
export async function runPreview(options: BuildTargetOptions, root: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    const plan = planBuild(options, root, env, Date.now());
    const adapter = engineAdapter(plan.engine.engine, plan.engine.client);
    const dir = dirname(plan.metaFile);
    const { decision } = await decide(plan, adapter);
    const { parents, ahead } = parentsAhead(plan);
    const after = ahead.length > 0 ? ` (after ${ahead.join(', ')}; what it copies may change then)` : '';
    let action: string;
    let line: string;
    if (decision.action === 'present' && ahead.length > 0) {
      // Its tag is there now, but it is hashed on what it copies from a parent that would change first.
      action = `would follow ${ahead.map((a) => a.split(' ')[0]).join(', ')}`;
      line = `${action}: ${plan.ref} is present now, but ${ahead.join(', ')}, and what it copies may change then`;
    } else if (decision.action === 'present') {
      action = 'present';
      line = `present ${plan.ref}`;
    } else {
      const why = options.alwaysBuild
        ? `handed to the engine on every run: ${options.alwaysBuild}`
        : decision.restoring
          ? 'recorded here but missing from the engine'
          : (decision.note ?? explainRebuild(readInputsRecord(dir), currentInputs(root, options.name, plan.hash, env, parents)));
      const registry = decision.action === 'pull' ? await registryHolds(plan) : undefined;
      if (registry?.holds) {
        action = 'would pull';
        line = `would pull ${registry.source} (${why})${after}`;
      } else {
        action = 'would build';
        const unknown =
          registry && registry.holds === undefined ? `; the registry could not be asked (${registry.problem}), so it may pull instead` : '';
        line = `would build ${plan.ref} (${why}${unknown})${after}`;
      }
    }
    if (plan.rootPid) markRun(dir, plan.rootPid, `${plan.hash} ${action}`, 'plans');
    // Nx names the task on each line (stream) or above them: the line does not repeat the name.
    console.log(line);
    return true;
  } catch (error) {
    reportFailure(error, options.name);
    return false;
  }
}
