import { posix } from 'node:path';
import { ancestorsOf, type ImageGraph, type ImageNode } from './image-graph';

/** An Nx target input: a file set or one of the special forms. */
export type TargetInput = string | { env: string } | { externalDependencies: string[] };

/** Packages the build executor runs with: their versions are inputs, the rest of the lockfile is not. */
export const EXECUTOR_PACKAGES = ['dockerfile-ast', 'dotenv', 'execa'];

/** Environment variables that select the engine's store: an image built in one store is not present in another. */
export const ENGINE_ENV = ['CONTAINER_ENGINE', 'DOCKER_HOST', 'CONTAINERS_STORAGE_CONF'];

/** Environment variables that override the digests file. */
export const DIGEST_ENV = ['BASE_IMAGE', 'BASE_DIGEST'];

/** What the input computation needs to know beyond the graph. */
export interface InputSettings {
  /** Workspace-relative build context. */
  context: string;
  /** Workspace-relative digests file. */
  digestsFile: string;
  /** Workspace-relative folder of the plugin's sources. */
  pluginRoot: string;
  /** Lines of the context's `.dockerignore` (raw). */
  dockerignore: string[];
  /** Whether a workspace-relative path is a directory. */
  isDirectory: (path: string) => boolean;
}

const GLOB = /[*?[]/;

/** A context-relative COPY/ADD source (or ignore pattern) as a workspace-relative path. */
export function workspacePath(context: string, source: string): string {
  return posix.normalize(posix.join(context, source.replace(/^\/+/, ''))).replace(/\/+$/, '');
}

/** File-set inputs for the context paths one image's COPY/ADD instructions read. */
export function contextSourceInputs(node: ImageNode, settings: InputSettings): string[] {
  return node.contextSources.map(({ path }) => {
    const target = workspacePath(settings.context, path);
    if (target === '.' || target === '') return '{workspaceRoot}/**/*';
    if (GLOB.test(target) || !settings.isDirectory(target)) return `{workspaceRoot}/${target}`;
    return `{workspaceRoot}/${target}/**/*`;
  });
}

function startsWithGlob(pattern: string): boolean {
  return GLOB.test(pattern.split('/')[0]);
}

/**
 * Negated inputs from `.dockerignore`: what the engine never sends cannot change
 * the image. Only patterns that can fall inside one of `sources` (workspace-relative
 * paths the image's COPY/ADD read) are kept, because Nx applies a negation to every
 * input of the target, the Dockerfiles and the plugin's sources included.
 * Re-include lines (`!pattern`) are skipped, which only widens the inputs.
 */
export function dockerignoreExclusions(lines: string[], context: string, sources: string[]): string[] {
  return lines
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'))
    .map((pattern) => workspacePath(context, pattern))
    .filter((target) =>
      sources.some((source) => source === '.' || startsWithGlob(target) || target === source || target.startsWith(`${source}/`) || source.startsWith(`${target}/`)),
    )
    .flatMap((target) => [`!{workspaceRoot}/${target}`, `!{workspaceRoot}/${target}/**`]);
}

/**
 * The exact inputs of one image's build: its own Dockerfile and context files and
 * those of every ancestor, the digests file and its env overrides when the chain
 * starts from an external image, the engine's store, the plugin's sources and the
 * versions of the packages the executor runs. Nothing else: docs, other images and
 * lockfile churn leave the hash alone.
 */
export function createImageInputs(graph: ImageGraph, name: string, settings: InputSettings): TargetInput[] {
  const chain = [name, ...ancestorsOf(graph, name)].map((n) => graph.nodes.get(n) as ImageNode);
  const files = new Set<string>();
  const sources = chain.flatMap((node) => node.contextSources.map(({ path }) => workspacePath(settings.context, path)));
  for (const node of chain) {
    files.add(`{workspaceRoot}/${node.dockerfile}`);
    contextSourceInputs(node, settings).forEach((input) => files.add(input));
  }
  const usesUpstream = chain.some((node) => node.externalReferences.length > 0);
  if (usesUpstream) files.add(`{workspaceRoot}/${settings.digestsFile}`);
  files.add(`{workspaceRoot}/${posix.join(settings.context, '.dockerignore')}`.replace('/./', '/'));
  return [
    ...[...files].sort(),
    ...dockerignoreExclusions(settings.dockerignore, settings.context, sources),
    `{workspaceRoot}/${settings.pluginRoot}/src/**/*.ts`,
    `!{workspaceRoot}/${settings.pluginRoot}/src/**/*.spec.ts`,
    ...(usesUpstream ? DIGEST_ENV.map((env) => ({ env })) : []),
    ...ENGINE_ENV.map((env) => ({ env })),
    { externalDependencies: EXECUTOR_PACKAGES },
  ];
}
