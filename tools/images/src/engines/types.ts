import type { EngineName } from '../core/options';

/** Environment variables that pick the store an engine client talks to (local socket, remote host, context, storage). */
export const STORE_ENV = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'CONTAINER_HOST', 'CONTAINER_CONNECTION', 'CONTAINERS_STORAGE_CONF'] as const;

/**
 * Which store a record was made against: the STORE_ENV values in order. Never part of a hash
 * (the same inputs give the same tag through any address); it only tells whether an image id
 * a record names can be expected in the store the engine reaches now.
 */
export function storeKey(env: Record<string, string | undefined>): string {
  return STORE_ENV.map((key) => env[key] ?? '').join('|');
}

/**
 * The settings a run's engine, client and store are decided from, as given, before anything is
 * decided: CONTAINER_ENGINE, CONTAINER_CLIENT, the plugin's `engine` and `client` (the build
 * target's NX_IMAGES_ENGINE and NX_IMAGES_CLIENT) and the STORE_ENV values. The program decides
 * (core/options.ts resolveEngineSettings) and writes this key into the view's header and the
 * stamp; bin/build.sh writes the same line from its own environment and trusts a view or a stamp
 * only when theirs is the same. It decides nothing else: which engine and client to ask come
 * from the stamp.
 */
export function settingsKey(options: { engine?: string; client?: string }, env: Record<string, string | undefined>): string {
  return [
    'settings1',
    env.CONTAINER_ENGINE ?? '',
    env.CONTAINER_CLIENT ?? '',
    options.engine ?? '',
    options.client ?? '',
    storeKey(env),
  ].join('|');
}

/** A command line for the engine's client: data only; process/run-engine.ts runs it. */
export interface EngineCommand {
  command: string;
  args: string[];
  /** Extra environment for this command. */
  env?: Record<string, string>;
  /**
   * For a command the engine answers at once (a query, a tag, a copy): how long it may take
   * before the engine counts as not answering. Builds, pulls, pushes and runs have none.
   */
  timeoutMs?: number;
  /** What the command reads on its standard input (a Dockerfile given as `--file -`); none when absent. */
  input?: string;
}

/** What one image build needs. */
export interface BuildSpec {
  dockerfile: string;
  context: string;
  /** Full references to tag the result with. */
  tags: string[];
  buildArgs: Record<string, string>;
  /** Stage to build (`--target`); default the last one. */
  target?: string;
  /** Build secrets (`--secret id=…,src=…`): mounted for one RUN step, never in a layer. */
  secrets?: { id: string; src: string }[];
  labels: Record<string, string>;
  /**
   * The Dockerfile's text, for an engine that may take it on standard input with the
   * labels as one step of its own (podman): absent when the Dockerfile has an ignore file of
   * its own (`<Dockerfile>.dockerignore`), which a build from standard input would not read.
   */
  dockerfileText?: string;
  network?: string;
  /** Docker only: use BuildKit (true) or the legacy builder (false). */
  buildkit?: boolean;
  /** Build with no cached layer (`--no-cache`): for the one-file images `push` builds side by side. */
  noCache?: boolean;
  /** Layer cache from (and, on podman, to) the registry: never part of the hash. */
  cache?: LayerCache;
  /** The one platform to build for (`--platform linux/arm64`), emulated when foreign; default the engine's own. */
  platform?: string;
}

/** Where a build imports layers from and exports them to, in the engine's own terms. */
export interface LayerCache {
  /** Images (docker: their inline cache) or cache repositories (podman) to import from. */
  from: string[];
  /** Docker: embed the cache in the image itself (BUILDKIT_INLINE_CACHE), so `push` carries it. */
  inline?: boolean;
  /** Podman: the cache repository the build pushes its layers to. */
  to?: string;
}

/** The format string both engines accept for `image inspect`: id, size, tags, labels, `os/architecture`. */
export const INSPECT_FORMAT = '{{.Id}}|{{.Size}}|{{json .RepoTags}}|{{json .Config.Labels}}|{{.Os}}/{{.Architecture}}';

/** Builds argument lists for one engine's CLI. Pure: it never spawns. */
export interface EngineAdapter {
  name: EngineName;
  client: string;
  /** Prints the server version (fails when the daemon/service is unreachable). */
  serverVersion(): EngineCommand;
  /** Prints the client version. */
  clientVersion(): EngineCommand;
  /** Prints the buildx plugin's version (fails without the plugin). */
  buildxVersion(): EngineCommand;
  /** One line of INSPECT_FORMAT per image, in the order given; fails when any is missing. */
  inspectImage(...refs: string[]): EngineCommand;
  build(spec: BuildSpec): EngineCommand;
  tag(source: string, target: string): EngineCommand;
  /** Lists `repository:tag` lines for one repository. */
  listTags(repository: string): EngineCommand;
  /** Lists `repository:tag id` lines (full ids) of every image carrying a label. */
  listLabelled(label: string): EngineCommand;
  /** `<id> <value of the label>` for each image (the empty string for an image without it). */
  labelOf(label: string, ...refs: string[]): EngineCommand;
  removeImages(refs: string[]): EngineCommand;
  /** Pulls a reference; with a platform, that platform's image out of an index. */
  pull(ref: string, platform?: string): EngineCommand;
  push(ref: string): EngineCommand;
  run(ref: string, args: string[]): EngineCommand;
  /** Runs one check in a throw-away container: an entrypoint and a user of its own, when given. */
  runCheck(ref: string, check: { entrypoint?: string; user?: string; args: string[] }): EngineCommand;
  /** Prints `<config as JSON>|<size>` of an image, for its checks. */
  inspectConfig(ref: string): EngineCommand;
  /** Creates (never starts) a container of the image, to copy files out of it. */
  createContainer(ref: string): EngineCommand;
  /** A tar stream of one path of a container, on stdout. */
  copyOut(container: string, path: string): EngineCommand;
  removeContainer(container: string): EngineCommand;
  /** Full ids of the scratch containers (createContainer's) made from an image or its descendants. */
  listScratchContainers(ref: string): EngineCommand;
  /**
   * The layer cache of one image in a registry repository: docker (BuildKit) imports the
   * inline cache of the image's `:latest` and of its last hash tag there; podman keeps
   * layers in `<repository>/cache/<name>`, read and written by the build.
   */
  layerCache(repository: string, name: string, previousTag?: string, buildkit?: boolean): LayerCache | undefined;
}
