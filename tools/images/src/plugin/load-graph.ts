import dockerignore from '@balena/dockerignore';
import gitignore, { type Ignore } from 'ignore';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, posix, relative } from 'node:path';
import {
  patternCouldMatchInside,
  scanContext,
  type ContextScan,
  type EngineIgnore,
  type HashIgnore,
  type IgnorePattern,
} from '../core/context';
import { ImageError } from '../core/errors';
import { resolveImageGraph, type DockerfileEntry, type ImageGraph } from '../core/image-graph';
import type { InputSettings } from '../core/inputs';
import { imageNameFromPath } from '../core/naming';
import type { NormalizedPluginOptions } from '../core/options';
import { parseDockerfiles } from './parse-cache';

/** The glob Nx matches to find images: one project per Dockerfile (or podman's Containerfile) under images/. */
export const DOCKERFILE_GLOB = 'images/**/{Dockerfile,Containerfile}';

/**
 * Workspace-relative folder of this plugin's sources (its image-shaping modules are inputs
 * of every image): where the running plugin lives when that is inside the workspace, else
 * the workspace's own `tools/images` (a copy of this workspace running a shared install).
 */
export function pluginRootIn(workspaceRoot: string): string {
  let own = join(__dirname, '..', '..');
  try {
    own = realpathSync(own);
  } catch {
    // keep the unresolved path
  }
  const rel = relative(realpathSync(workspaceRoot), own).split('\\').join('/');
  return rel.startsWith('..') ? 'tools/images' : rel;
}

/**
 * Reads and parses the given Dockerfiles and resolves the image graph. A folder that
 * cannot name an image, two Dockerfiles for one image or two folders that map to one
 * name stop the graph (naming the folders and the rule); a Dockerfile the graph cannot
 * take fails only its own project (see {@link ImageGraph.broken}).
 */
export function loadImageGraph(workspaceRoot: string, dockerfiles: readonly string[], prefix: string): ImageGraph {
  const byName = new Map<string, string[]>();
  for (const dockerfile of dockerfiles) {
    const name = imageNameFromPath(dockerfile);
    byName.set(name, [...(byName.get(name) ?? []), dockerfile]);
  }
  const found: { name: string; dockerfile: string }[] = [];
  for (const [name, files] of byName) {
    if (files.length > 1) {
      throw new ImageError(
        'BAD_IMAGE_NAME',
        `${files.sort().join(' and ')} all name the image "${name}": an image has one Dockerfile (or Containerfile), and nested ` +
          `folders join with "-".\n` +
          'Keep one of them, or rename a folder.',
      );
    }
    found.push({ name, dockerfile: files[0] });
  }
  const contents = found.map(({ dockerfile }) => readFileSync(join(workspaceRoot, dockerfile), 'utf8'));
  const infos = parseDockerfiles(workspaceRoot, contents, prefix);
  const entries: DockerfileEntry[] = found.map((entry, i) => ({ ...entry, info: infos[i] }));
  return resolveImageGraph(entries, prefix);
}

function readLines(file: string): string[] | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/) : undefined;
}

/** One ignore file, read with moby's rules (through @balena/dockerignore, case-sensitive as on Linux). */
export function engineIgnoreOf(lines: string[]): EngineIgnore {
  const matcher = dockerignore({ ignorecase: false }).add(lines);
  const patterns: IgnorePattern[] = (matcher as unknown as { _rules: { dirs: string[]; negative: boolean }[] })._rules.map((r) => ({
    segments: r.dirs,
    negated: r.negative,
  }));
  const reincludes = patterns.filter((p) => p.negated);
  return {
    excluded: (path) => matcher.ignores(path),
    couldReinclude: (dir) => reincludes.some((p) => patternCouldMatchInside(p, dir)),
  };
}

/** Excluded only when every engine that could build it excludes it: the hash only ever covers more. */
function intersect(ignores: EngineIgnore[]): EngineIgnore {
  if (ignores.length === 1) return ignores[0];
  return {
    excluded: (path) => ignores.every((i) => i.excluded(path)),
    couldReinclude: (dir) => ignores.some((i) => i.couldReinclude(dir)),
  };
}

/**
 * The excludes file git reads for every repository: core.excludesFile from ~/.gitconfig, then
 * from $XDG_CONFIG_HOME/git/config, else $XDG_CONFIG_HOME/git/ignore. Read as the `ignore` crate
 * behind Nx's file walker reads it (a line match, `~/` expanded), so both skip the same files.
 */
export function globalExcludesFile(env: Record<string, string | undefined>, home = homedir()): string {
  const xdg = env.XDG_CONFIG_HOME || join(home, '.config');
  for (const config of [join(home, '.gitconfig'), join(xdg, 'git', 'config')]) {
    const match = (readLines(config) ?? [])
      .map((line) => /^\s*excludesfile\s*=\s*(.+?)\s*$/i.exec(line)?.[1])
      .find((value) => value !== undefined);
    if (match) {
      const path = match.replace(/^"(.*)"$/, '$1').replace(/^~(?=\/)/, home);
      return isAbsolute(path) ? path : join(home, path);
    }
  }
  return join(xdg, 'git', 'ignore');
}

/**
 * What Nx never hashes: paths git ignores (root and nested .gitignore, .git/info/exclude, the
 * global excludes file) and .nxignore'd ones. Nx's walker skips all of them.
 */
function hashIgnoreOf(workspaceRoot: string, context: string): HashIgnore {
  const perDir = new Map<string, Ignore | undefined>();
  const rulesOf = (dir: string) => {
    if (!perDir.has(dir)) {
      const lines = [
        ...(dir === '' && existsSync(join(workspaceRoot, '.git'))
          ? [...(readLines(globalExcludesFile(process.env)) ?? []), ...(readLines(join(workspaceRoot, '.git', 'info', 'exclude')) ?? [])]
          : []),
        ...(readLines(join(workspaceRoot, dir, '.gitignore')) ?? []),
        ...(dir === '' ? (readLines(join(workspaceRoot, '.nxignore')) ?? []) : []),
      ];
      perDir.set(dir, lines.length > 0 ? gitignore().add(lines) : undefined);
    }
    return perDir.get(dir);
  };
  return {
    ignored: (path, dir) => {
      const target = posix.join(context, path);
      const parts = target.split('/');
      for (let i = 0; i < parts.length; i++) {
        const base = parts.slice(0, i).join('/');
        const rules = rulesOf(base);
        const rest = parts.slice(i).join('/');
        if (rules && rules.ignores(dir ? `${rest}/` : rest)) return true;
      }
      return false;
    },
  };
}

/**
 * Input settings read from the workspace: the walk of the build context (with each path's mode)
 * with the engine's ignore files (`.dockerignore`; podman's `.containerignore` when present;
 * `<Dockerfile>.dockerignore`, which BuildKit prefers) and git's, cached per root.
 */
export function readInputSettings(workspaceRoot: string, options: NormalizedPluginOptions): (dockerfile: string) => InputSettings {
  const contextDir = join(workspaceRoot, options.context);
  const rootIgnore = readLines(join(contextDir, '.dockerignore')) ?? [];
  const containerIgnore = readLines(join(contextDir, '.containerignore'));
  const nx = hashIgnoreOf(workspaceRoot, options.context === '.' ? '' : options.context);
  const list = (dir: string) => {
    try {
      return readdirSync(join(contextDir, dir), { withFileTypes: true }).map((e) => ({ name: e.name, dir: e.isDirectory() }));
    } catch {
      return [];
    }
  };
  const mode = (path: string) => {
    try {
      return lstatSync(join(contextDir, path)).mode & 0o7777;
    } catch {
      return undefined;
    }
  };
  // What git ignores but the engine receives: its content goes into the image's shape.
  const contentDigest = (path: string) => {
    const hash = createHash('sha256');
    const add = (rel: string) => {
      const full = join(contextDir, rel);
      const stat = lstatSync(full, { throwIfNoEntry: false });
      if (!stat) return;
      hash.update(`${rel}\0${stat.mode}\0`);
      if (stat.isDirectory()) for (const name of readdirSync(full).sort()) add(`${rel}/${name}`);
      else if (stat.isFile()) hash.update(readFileSync(full));
      else if (stat.isSymbolicLink()) hash.update(readlinkSync(full));
    };
    add(path);
    return hash.digest('hex').slice(0, 16);
  };
  const scans = new Map<string, ContextScan>();
  return (dockerfile) => {
    const own = readLines(join(workspaceRoot, `${dockerfile}.dockerignore`));
    const dockerLines = own ?? rootIgnore;
    const candidates = [dockerLines, containerIgnore ?? rootIgnore];
    const key = JSON.stringify(candidates);
    const engine = intersect([...new Set(candidates)].map(engineIgnoreOf));
    return {
      context: options.context,
      digestsFile: options.digestsFile,
      outputDir: options.outputDir,
      list,
      scan: (root) => {
        const id = `${key}\u0000${root}`;
        if (!scans.has(id)) scans.set(id, scanContext({ list, mode, contentDigest }, root, engine, nx));
        return scans.get(id) as ContextScan;
      },
    };
  };
}

/** The Dockerfile of a project this plugin inferred as an image, or undefined for any other project. */
export function imageDockerfileOf(project: {
  targets?: Record<string, { options?: { env?: Record<string, string> } }>;
}): string | undefined {
  return project.targets?.build?.options?.env?.NX_IMAGES_DOCKERFILE;
}
