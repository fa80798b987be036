/**
 * The engine calls that shape an image: the build itself (its arguments come from the
 * adapters) and the choice of builder. What they send the engine is the build recipe
 * (core/recipe.ts), whose version is in every image's tag; queries, tags and copies live in
 * image-store.ts.
 */
import { ImageError } from '../core/errors';
import type { BuildSpec, EngineAdapter } from './types';
import { clientIdentity, rememberedVersion, rememberVersion } from './client-version';
import { runEngine } from './run-engine';

/** What an engine says when a build failed on its layer cache rather than on a step (podman's --cache-to). */
const CACHE_FAILURE = /failed pushing cache[^\n]*|failed to (?:export|import) cache[^\n]*/i;

/**
 * What podman prints when the image a FROM resolves to is of another platform than the one
 * asked (`--platform`): the build goes on, and its image says the asked platform while its
 * binaries are the other's.
 */
export const PLATFORM_MISMATCH = /WARNING: image platform [^\n]* does not match the expected platform [^\n]*/;

/**
 * Refuses a build whose engine warned that a FROM image is of another platform than the one
 * asked: such an image's config names the asked platform, but its binaries would not run there.
 */
export function checkPlatformWarning(spec: BuildSpec, output: string): void {
  const warning = spec.platform ? PLATFORM_MISMATCH.exec(output)?.[0] : undefined;
  if (!warning) return;
  throw new ImageError(
    'PLATFORMS_UNSUPPORTED',
    `The ${spec.platform} build of ${spec.tags[0]} started FROM an image of another platform (the engine said: "${warning.trim()}"). ` +
      `Its config would say ${spec.platform}, but its binaries would not run there, so it was not kept.\n` +
      `Pin an upstream whose index holds ${spec.platform} (a manifest list, not a single-platform image), or drop ${spec.platform} ` +
      'from IMAGE_PLATFORMS / the option platforms.',
  );
}

/** Runs a build, streaming its output; resolves to the exit code. A platform mismatch the engine warns of is an error. */
export async function buildImage(adapter: EngineAdapter, spec: BuildSpec, onLine?: (line: string) => void): Promise<number> {
  const result = await runEngine(adapter, adapter.build(spec), { stream: true, allowFailure: true, onLine });
  if (result.exitCode === 0) checkPlatformWarning(spec, `${result.stdout}\n${result.stderr}`);
  if (result.exitCode !== 0 && spec.cache && CACHE_FAILURE.test(result.stderr)) {
    // A layer cache that cannot be written (or read) is a warning, never a failure: build without it.
    console.warn(
      `warning: the layer cache in the registry could not be used (${CACHE_FAILURE.exec(result.stderr)?.[0]}): building without it.`,
    );
    return (await runEngine(adapter, adapter.build({ ...spec, cache: undefined }), { stream: true, allowFailure: true, onLine })).exitCode;
  }
  return result.exitCode;
}

/** Which builder the engine will use, and why. */
export interface BuilderChoice {
  buildkit: boolean;
  /** BuildKit through the buildx plugin (a recent Dockerfile frontend). */
  buildx?: boolean;
  version: string;
  note: string;
}

/**
 * Docker clients from 23 on need the buildx plugin for BuildKit; older clients
 * (Debian's docker.io 20.10) carry BuildKit themselves. Podman always uses Buildah.
 */
export async function chooseBuilder(adapter: EngineAdapter, cacheDir?: string): Promise<BuilderChoice> {
  // The client's version comes from the client binary alone: remembered per binary, it
  // costs no process on the next build. Only where buildx plays no part (podman, docker < 23).
  const identity = cacheDir ? clientIdentity(adapter.client, process.env) : undefined;
  const remembered = identity && cacheDir ? rememberedVersion(cacheDir, adapter.name, identity) : undefined;
  const version = remembered ?? (await runEngine(adapter, adapter.clientVersion())).stdout.trim();
  const major = Number.parseInt(version, 10);
  const withoutBuildx = adapter.name !== 'docker' || (major > 0 && major < 23);
  if (identity && cacheDir && !remembered && withoutBuildx && version) rememberVersion(cacheDir, adapter.name, identity, version);
  if (adapter.name !== 'docker') return { buildkit: false, version, note: `podman ${version} (Buildah)` };
  // Below 23, `docker build` uses the BuildKit built into the client and daemon, buildx or not.
  if (major > 0 && major < 23) return { buildkit: true, version, note: `BuildKit built into docker ${version}` };
  const buildx = await runEngine(adapter, adapter.buildxVersion(), { allowFailure: true });
  if (buildx.exitCode === 0)
    return { buildkit: true, buildx: true, version, note: `BuildKit via buildx (${buildx.stdout.trim().split(' ')[1] ?? 'buildx'})` };
  return {
    buildkit: false,
    version,
    note:
      `the legacy builder: the docker client "${adapter.client}" (${version}) has no buildx plugin, so BuildKit is off. ` +
      'Install buildx (Debian: apt-get install docker-buildx) or set CONTAINER_CLIENT to a client that has BuildKit (e.g. ' +
      '/usr/bin/docker from docker.io).',
  };
}
