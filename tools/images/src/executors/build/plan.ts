import type { Digests } from '../../core/digests';
import { imageRef, imageRepository, LATEST_TAG, tagFromHash } from '../../core/naming';
import { ImageError } from '../../core/errors';
import { resolveEngineSettings, resolveRegistrySettings } from '../../core/options';
import { platformTag, primaryPlatform, resolvePlatforms } from '../../core/platforms';
import { loadDigests } from '../../io/load-digests';
import { heldAtStart, readView, VIEW_ENV, viewHeader } from '../../engines/view';
import { metadataPath } from '../../records/metadata';
import type { BuildTargetOptions } from '../../core/build-options';
import { invocationRootPid } from '../../nx/runtime';

/** Everything one build needs, resolved and validated before any engine call. */
export interface BuildPlan {
  options: BuildTargetOptions;
  root: string;
  hash: string;
  tag: string;
  ref: string;
  latest: string;
  engine: ReturnType<typeof resolveEngineSettings>;
  registry: ReturnType<typeof resolveRegistrySettings>;
  digests?: Digests;
  metaFile: string;
  started: number;
  /** The pid of this Nx run's root process (NX_INVOCATION_ROOT_PID): the key of its run marks. */
  rootPid?: string;
  /**
   * The platforms it is built for, one image each under `<hash>-<os>-<arch>`, the hash tag
   * naming the primary one (the host's): empty for one image of the engine's own platform.
   */
  platforms: string[];
  /**
   * Whether the engine held the hash tag when the Nx run started, from the hook's view
   * (BUILD_NX_IMAGES_VIEW); undefined when there is none for this engine and store. Only `false`
   * is acted on: it saves the build its own inspect.
   */
  heldAtStart?: boolean;
}

/** One platform's image of a multi-platform build. */
export interface PlatformImage {
  platform: string;
  ref: string;
}

/** The per-platform images of a plan (none for a single-platform one), the primary first. */
export function platformImages(plan: Pick<BuildPlan, 'platforms' | 'options' | 'tag'>): PlatformImage[] {
  if (plan.platforms.length === 0) return [];
  const primary = primaryPlatform(plan.platforms);
  return [primary, ...plan.platforms.filter((p) => p !== primary)].map((platform) => ({
    platform,
    ref: imageRef(plan.options.prefix, plan.options.name, platformTag(plan.tag, platform)),
  }));
}

/** Refuses platforms on an engine whose store keeps one image per tag and that cannot assemble an index here. */
function checkPlatformsSupported(name: string, platforms: string[], engine: string): void {
  if (platforms.length === 0 || engine === 'podman') return;
  throw new ImageError(
    'PLATFORMS_UNSUPPORTED',
    `Image "${name}" is to be built for ${platforms.join(', ')}, but multi-platform builds need podman here: the docker ` +
      `engine's own store keeps one platform per tag, and buildx (whose multi-platform output goes straight to a registry) is ` +
      `not on this client.
Set CONTAINER_ENGINE=podman (apt-get install podman qemu-user-static for foreign platforms), or ` +
      `unset IMAGE_PLATFORMS and the option platforms to build for the engine's own platform.`,
  );
}

export function planBuild(options: BuildTargetOptions, root: string, env: NodeJS.ProcessEnv, started: number): BuildPlan {
  const hash = env.NX_TASK_HASH as string;
  const tag = tagFromHash(hash);
  const engine = resolveEngineSettings(options, env);
  const platforms = resolvePlatforms(options.platforms, env);
  checkPlatformsSupported(options.name, platforms, engine.engine);
  return {
    options,
    root,
    hash,
    tag,
    started,
    ref: imageRef(options.prefix, options.name, tag),
    latest: imageRef(options.prefix, options.name, LATEST_TAG),
    engine,
    platforms,
    registry: resolveRegistrySettings(options, env),
    digests: options.digestsFile ? loadDigests(root, options.digestsFile, env) : undefined,
    metaFile: metadataPath(root, options.outputDir, options.name),
    rootPid: invocationRootPid(env),
    heldAtStart: heldAtStart(readView(env[VIEW_ENV]), viewHeader(options, env), imageRepository(options.prefix, options.name), tag),
  };
}
