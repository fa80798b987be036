import { basename } from 'node:path';
import { ImageError } from './errors';
import { resolvePlatforms } from './platforms';

/** Engines the plugin drives through their own CLI. */
export type EngineName = 'docker' | 'podman';
export const ENGINES: readonly EngineName[] = ['docker', 'podman'];

/** Options of the plugin entry in `nx.json` (`plugins[].options`). */
export interface ImagesPluginOptions {
  /** Repository prefix of every image: `<prefix>/<name>:<tag>`. Default `local` (init writes the workspace's npm scope or name). */
  prefix?: string;
  /** Workspace-relative digests file pinning the upstream image. Default `images/base/digests.env`. */
  digestsFile?: string;
  /** Workspace-relative build context of every image. Default `.` (the workspace root). */
  context?: string;
  /** Engine; `CONTAINER_ENGINE` overrides it. Default `docker`. */
  engine?: EngineName;
  /** Path of the engine's client; `CONTAINER_CLIENT` overrides it. Default: the engine's name on PATH. */
  client?: string;
  /** Network for RUN steps (`--network`); `BUILD_NETWORK` overrides it. Default: the engine's default. */
  network?: string;
  /**
   * Registry repository shared between machines, e.g. `127.0.0.1:5000/ffreis`: images are
   * looked up there (pulled) before being built, and `push` puts them there.
   * `IMAGE_REGISTRY` overrides it. Default: none (the engine's store only).
   */
  registry?: string;
  /** When the registry is unreachable, warn and build locally instead of failing. `IMAGE_REGISTRY_BEST_EFFORT=1` sets it. Default false. */
  registryBestEffort?: boolean;
  /** Image whose `run` target runs the app. Default `runner`. */
  runImage?: string;
  /** Workspace-relative folder for metadata. Default `dist/images`. */
  outputDir?: string;
  /**
   * Build secrets by id, each a file path (`{ "pip.conf": "/home/me/.config/pip/pip.conf" }`),
   * mounted with `RUN --mount=type=secret,id=<id>`; IMAGE_BUILD_SECRETS (`id=path,id=path`)
   * adds to them. Their contents are never hashed, logged or recorded. Default: none.
   */
  secrets?: Record<string, string>;
  /**
   * Labels for every image (`{ "org.opencontainers.image.vendor": "Team" }`), over those read
   * from the root package.json (`repository` → source, `license` → licenses). Part of the hash.
   * The plugin's own (title, description, base.name/base.digest, org.ffreis.*) win. Default: none.
   */
  labels?: Record<string, string>;
  /**
   * Platforms to build every image for (`["linux/amd64", "linux/arm64"]`): one image per
   * platform, and an OCI index under the hash tag when pushed. Podman only (with
   * qemu-user-static for foreign ones). A project's own `platforms` on its build target, and
   * IMAGE_PLATFORMS (`linux/amd64,linux/arm64`), override it. Part of the hash. Default: none
   * (one image for the engine's own platform).
   */
  platforms?: string[];
}

type OptionalKeys = 'client' | 'network' | 'registry' | 'secrets' | 'labels' | 'platforms';
export type NormalizedPluginOptions = Required<Omit<ImagesPluginOptions, OptionalKeys>> & Pick<ImagesPluginOptions, OptionalKeys>;

/** The prefix of a workspace that sets none: images built here, not named for a registry. */
export const DEFAULT_PREFIX = 'local';

const PREFIX = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/** Fills defaults and validates the plugin options once, for createNodes and the executors. */
export function normalizePluginOptions(options: ImagesPluginOptions | undefined): NormalizedPluginOptions {
  const normalized: NormalizedPluginOptions = {
    prefix: options?.prefix ?? DEFAULT_PREFIX,
    digestsFile: options?.digestsFile ?? 'images/base/digests.env',
    context: options?.context ?? '.',
    engine: options?.engine ?? 'docker',
    client: options?.client,
    network: options?.network,
    registry: options?.registry,
    registryBestEffort: options?.registryBestEffort ?? false,
    runImage: options?.runImage ?? 'runner',
    outputDir: options?.outputDir ?? 'dist/images',
    secrets: options?.secrets,
    labels: options?.labels,
    platforms: options?.platforms?.length ? resolvePlatforms(options.platforms, {}) : undefined,
  };
  if (!PREFIX.test(normalized.prefix)) {
    throw new ImageError(
      'BAD_OPTION',
      `nx.json: plugin option prefix "${normalized.prefix}" is not a valid image repository (lowercase, e.g. "ffreis" or ` +
        `"registry:5000/team").`,
    );
  }
  const labels = Object.entries(normalized.labels ?? {});
  const badLabel = labels.find(([key, value]) => typeof value !== 'string' || !/^[a-z0-9]+([._-][a-z0-9]+)*$/i.test(key));
  if (badLabel || (normalized.labels !== undefined && (typeof normalized.labels !== 'object' || Array.isArray(normalized.labels)))) {
    throw new ImageError(
      'BAD_OPTION',
      `nx.json: plugin option labels${badLabel ? ` "${badLabel[0]}"` : ''} must map label keys (like ` +
        '"org.opencontainers.image.vendor") to strings.',
    );
  }
  if (!ENGINES.includes(normalized.engine)) {
    throw new ImageError('BAD_OPTION', `nx.json: plugin option engine "${normalized.engine}" is not one of ${ENGINES.join(', ')}.`);
  }
  return normalized;
}

/**
 * How a build uses the registry's layer cache: `on` imports it (and, on podman, writes the
 * build's layers back: `--cache-to`); `read` only imports (pull-request builds that should
 * not write); `off` uses none (a cold build).
 */
export type LayerCacheMode = 'on' | 'read' | 'off';

/** The engine settings in force: options, then the environment (`CONTAINER_ENGINE`, `CONTAINER_CLIENT`, `BUILD_NETWORK`). */
export function resolveEngineSettings(
  options: Pick<ImagesPluginOptions, 'engine' | 'client' | 'network'>,
  env: Record<string, string | undefined>,
): { engine: EngineName; client: string; network?: string } {
  const engine = (env.CONTAINER_ENGINE || options.engine || 'docker') as EngineName;
  if (!ENGINES.includes(engine)) {
    throw new ImageError('BAD_OPTION', `CONTAINER_ENGINE="${engine}" is not one of ${ENGINES.join(', ')}; unset it or pick one.`);
  }
  const client = env.CONTAINER_CLIENT || (env.CONTAINER_ENGINE ? undefined : options.client) || engine;
  const other = ENGINES.find((name) => name !== engine) as EngineName;
  if (basename(client) === other) {
    throw new ImageError(
      'BAD_OPTION',
      `The engine is ${engine} but its client is "${client}", a ${other} client ` +
        `(${env.CONTAINER_CLIENT ? 'CONTAINER_CLIENT' : 'plugin option client'}).\n` +
        `Unset CONTAINER_CLIENT, or point it at ${engine}'s binary, or set CONTAINER_ENGINE=${other}.`,
    );
  }
  return { engine, client, network: env.BUILD_NETWORK || options.network || undefined };
}

/** The registry settings in force: the option, then `IMAGE_REGISTRY` / `IMAGE_REGISTRY_BEST_EFFORT`. */
export function resolveRegistrySettings(
  options: Pick<ImagesPluginOptions, 'registry' | 'registryBestEffort'>,
  env: Record<string, string | undefined>,
): { registry?: string; bestEffort: boolean; layerCache: LayerCacheMode } {
  const registry = (env.IMAGE_REGISTRY ?? options.registry ?? '').replace(/\/+$/, '') || undefined;
  if (registry && !PREFIX.test(registry)) {
    throw new ImageError(
      'BAD_OPTION',
      `Registry "${registry}" (IMAGE_REGISTRY or the plugin option registry) is not a repository like "127.0.0.1:5000/ffreis".`,
    );
  }
  const flag = env.IMAGE_REGISTRY_BEST_EFFORT;
  const bestEffort = flag !== undefined && flag !== '' ? /^(1|true|yes)$/i.test(flag) : Boolean(options.registryBestEffort);
  // IMAGE_LAYER_CACHE: how a build the registry cannot serve whole uses its layer cache. Never
  // part of the hash: cache sources change no image.
  const mode = (env.IMAGE_LAYER_CACHE ?? '').trim().toLowerCase();
  const layerCache: LayerCacheMode = /^(0|false|no|off)$/.test(mode) ? 'off' : mode === 'read' ? 'read' : 'on';
  if (mode && !/^(0|false|no|off|1|true|yes|on|read)$/.test(mode)) {
    throw new ImageError('BAD_OPTION', `IMAGE_LAYER_CACHE="${env.IMAGE_LAYER_CACHE}" is not on, read or off.`);
  }
  return { registry, bestEffort, layerCache };
}

const SECRET_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The build secrets in force: the option's, then IMAGE_BUILD_SECRETS (`id=path,id=path`).
 * Ids are checked; paths are returned as given (the executor checks that they exist).
 */
export function resolveSecrets(
  option: Record<string, string> | undefined,
  env: Record<string, string | undefined>,
): { id: string; src: string }[] {
  const secrets = new Map(Object.entries(option ?? {}));
  for (const entry of (env.IMAGE_BUILD_SECRETS ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    if (eq <= 0)
      throw new ImageError('BAD_OPTION', `IMAGE_BUILD_SECRETS: "${entry}" is not id=path (e.g. pip.conf=$HOME/.config/pip/pip.conf).`);
    secrets.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const id of secrets.keys()) {
    if (!SECRET_ID.test(id)) throw new ImageError('BAD_OPTION', `Build secret id "${id}" is not valid: letters, digits, ".", "_" and "-".`);
  }
  return [...secrets].map(([id, src]) => ({ id, src }));
}
