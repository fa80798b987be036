import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { imageRef, SCRATCH_LABEL } from '../../core/naming';
import { startEngine } from '../../engines/run-engine';
import type { BuildSpec, EngineAdapter, EngineCommand } from '../../engines/types';
import type { InputsRecord } from '../../core/why';
import { runMark } from '../../records/run-marks';
import type { BuildPlan } from './plan';
import { readWarmRecord, removeWarmRecord, writeWarmRecord, type WarmSpec } from '../../records/warm';

/*
 * Warming a child's layers. When an image is built, each child that was built before from
 * it is usually built next, by its own task, after this one's exports, Nx's hashing of the
 * child and the child's program start: about 0.3 s here, more on a busy machine. Started
 * right after this build, the child's build as it last ran (its `warm.json`), with this
 * image's new tag, the other parents' tags of this run and no tag of its own, has that head
 * start; the child's real build then finds those layers in BuildKit's cache, or joins the
 * steps still running. The warm build tags nothing, and removes its image (labelled with a
 * nonce, so no other image has its id) once done.
 *
 * It only warms a cache: the child's real build still runs, with its own hash label, and is
 * verified as any build. It must never put in the cache a step the real build would not
 * produce. BuildKit's cache key leaves out secret and ssh mounts and the network, so a child
 * whose build (or a Dockerfile it reads) uses secrets or ssh is never warmed, nor one last
 * built on another network or engine. Docker with BuildKit only: podman's builds do not share
 * steps that are still running. IMAGE_WARM_CHILDREN=off turns it off.
 */

const SECRET_OR_SSH = /type\s*=\s*(?:secret|ssh)\b/i;

/** Records how an image was just built, for its parents' next builds to warm; only a build that could be warmed. */
export function writeWarmSpec(
  dir: string,
  adapter: EngineAdapter,
  spec: BuildSpec,
  parents: { name: string; arg: string; ref: string }[],
  dockerfiles: string[] | undefined,
): void {
  removeWarmRecord(dir);
  if (adapter.name !== 'docker' || !spec.buildkit || spec.platform || spec.secrets?.length || parents.length === 0) return;
  if (!dockerfiles) return;
  const warm: WarmSpec = {
    engine: adapter.name,
    client: adapter.client,
    dockerfile: spec.dockerfile,
    context: spec.context,
    ...(spec.target ? { target: spec.target } : {}),
    ...(spec.network ? { network: spec.network } : {}),
    buildArgs: spec.buildArgs,
    parents: parents.map(({ name, arg, ref }) => ({ name, arg, ref })),
    dockerfiles: [...new Set([spec.dockerfile, ...dockerfiles])],
  };
  writeWarmRecord(dir, warm);
}

/**
 * The Dockerfiles among the files an image's hash read (its own and its ancestors', whose
 * ONBUILD steps run in its build), as absolute paths; undefined when they are not known.
 */
export function dockerfilesRead(
  plan: Pick<BuildPlan, 'root' | 'options'>,
  inputs: Pick<InputsRecord, 'files'> | undefined,
): string[] | undefined {
  if (!inputs) return undefined;
  const own = basename(plan.options.dockerfile);
  return Object.keys(inputs.files)
    .filter((file) => /dockerfile|containerfile/i.test(basename(file)) || basename(file) === own)
    .map((file) => join(plan.root, file));
}

function readsSecrets(dockerfiles: string[]): boolean {
  return dockerfiles.some((file) => {
    try {
      return SECRET_OR_SSH.test(readFileSync(file, 'utf8'));
    } catch {
      return true;
    }
  });
}

/** A child build to warm: its name and the build command, without tags. */
export interface WarmBuild {
  child: string;
  spec: BuildSpec;
}

/**
 * The children of `plan`'s image to warm now that it is built as `plan.ref`: those with a
 * warm.json naming it as a parent, whose other parents this run has confirmed (their run
 * marks), on the same engine, client and network, reading no secret.
 */
export function childrenToWarm(plan: BuildPlan, adapter: EngineAdapter, env: NodeJS.ProcessEnv): WarmBuild[] {
  if (env.IMAGE_WARM_CHILDREN === 'off' || env.IMAGE_BUILD_SECRETS || adapter.name !== 'docker') return [];
  if (plan.platforms.length > 0 || !plan.rootPid) return [];
  const own = dirname(plan.metaFile);
  const recordsRoot = dirname(own);
  let entries: string[];
  try {
    entries = readdirSync(recordsRoot);
  } catch {
    return [];
  }
  const builds: WarmBuild[] = [];
  for (const child of entries) {
    if (child === basename(own)) continue;
    const warm = readWarmRecord(join(recordsRoot, child));
    if (!warm || !warm.parents.some((parent) => parent.name === plan.options.name)) continue;
    if (warm.engine !== adapter.name || warm.client !== adapter.client || warm.network !== plan.engine.network) continue;
    const refs = warm.parents.map((parent) => {
      if (parent.name === plan.options.name) return plan.ref;
      const hash = runMark(join(recordsRoot, parent.name), plan.rootPid as string);
      return hash ? imageRef(plan.options.prefix, parent.name, hash) : undefined;
    });
    // A parent missing from this run, or no parent changed since the child's last build (a restore): nothing to warm.
    if (refs.some((ref) => ref === undefined) || refs.every((ref, i) => ref === warm.parents[i].ref)) continue;
    if (readsSecrets(warm.dockerfiles)) continue;
    const buildArgs = { ...warm.buildArgs };
    warm.parents.forEach((parent, i) => (buildArgs[parent.arg] = refs[i] as string));
    builds.push({
      child,
      spec: {
        dockerfile: warm.dockerfile,
        context: warm.context,
        target: warm.target,
        network: warm.network,
        buildArgs,
        tags: [],
        labels: { [SCRATCH_LABEL]: randomBytes(8).toString('hex') },
        buildkit: true,
      },
    });
  }
  return builds;
}

/** A warm build is stopped after this long (where `timeout` exists): it never outlives the runs it serves by much. */
const WARM_LIMIT_S = 3600;

/**
 * Runs, detached, `<client> build --iidfile F …`, then removes the image it made (by the id in
 * F) and F. Its output is dropped.
 */
const WARM_SCRIPT = [
  'client=$1 iid=$2 limit=$3; shift 3',
  'bound=; command -v timeout >/dev/null 2>&1 && bound="timeout $limit"',
  'id=',
  // The id file has no final newline: read's status is then 1, with the id read.
  'if $bound "$client" "$@"; then { IFS= read -r id || :; } <"$iid"; fi',
  '[ -n "$id" ] && $bound "$client" image rm "$id"',
  'rm -f "$iid"',
].join('\n');

/** The detached command that warms one child (exposed for its test). */
export function warmCommand(adapter: EngineAdapter, build: WarmBuild): EngineCommand {
  const command = adapter.build(build.spec);
  const iid = join(tmpdir(), `nx-images-warm-${process.pid}-${build.spec.labels[SCRATCH_LABEL]}`);
  const [verb, ...rest] = command.args;
  return {
    command: 'sh',
    args: ['-c', WARM_SCRIPT, 'sh', command.command, iid, String(WARM_LIMIT_S), verb, '--iidfile', iid, ...rest],
    env: command.env,
  };
}

/** Starts the warm builds of `plan`'s children; never waits for them and never fails the build. */
export function warmChildren(plan: BuildPlan, adapter: EngineAdapter, env: NodeJS.ProcessEnv = process.env): string[] {
  try {
    const builds = childrenToWarm(plan, adapter, env);
    for (const build of builds) startEngine(warmCommand(adapter, build));
    const children = builds.map((b) => b.child).join(', ');
    if (children)
      console.log(`${plan.options.name}: warming the layers of ${children} in the background (IMAGE_WARM_CHILDREN=off stops it)`);
    return builds.map((b) => b.child);
  } catch {
    return [];
  }
}
