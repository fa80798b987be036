import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parseDockerfile } from '../core/dockerfile';
import { ImageError } from '../core/errors';
import { resolveImageGraph, type DockerfileEntry, type ImageGraph } from '../core/image-graph';
import type { InputSettings } from '../core/inputs';
import type { NormalizedPluginOptions } from '../core/options';

/** The glob Nx matches to find images: one project per `images/<name>/Dockerfile`. */
export const DOCKERFILE_GLOB = 'images/*/Dockerfile';

/** Workspace-relative folder of this plugin (its sources are inputs of every image). */
export function pluginRootIn(workspaceRoot: string): string {
  return relative(workspaceRoot, join(__dirname, '..', '..')).split('\\').join('/');
}

/** Reads and parses the given Dockerfiles and resolves the image graph (throws on bad edges). */
export function loadImageGraph(workspaceRoot: string, dockerfiles: readonly string[], prefix: string): ImageGraph {
  const entries: DockerfileEntry[] = dockerfiles.map((dockerfile) => {
    const content = readFileSync(join(workspaceRoot, dockerfile), 'utf8');
    try {
      return { name: basename(dirname(dockerfile)), dockerfile, info: parseDockerfile(content) };
    } catch (error) {
      throw new ImageError('DOCKERFILE_INVALID', `${dockerfile}: cannot parse: ${(error as Error).message}`, { cause: error });
    }
  });
  return resolveImageGraph(entries, prefix);
}

/** Input settings read from the workspace: the context's .dockerignore and a directory test. */
export function readInputSettings(workspaceRoot: string, options: NormalizedPluginOptions): InputSettings {
  const ignoreFile = join(workspaceRoot, options.context, '.dockerignore');
  return {
    context: options.context,
    digestsFile: options.digestsFile,
    pluginRoot: pluginRootIn(workspaceRoot),
    dockerignore: existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8').split(/\r?\n/) : [],
    isDirectory: (path) => {
      try {
        return statSync(join(workspaceRoot, path)).isDirectory();
      } catch {
        return false;
      }
    },
  };
}
