import { posix } from 'node:path';

/** One entry of a directory of the build context. */
export interface TreeEntry {
  name: string;
  dir: boolean;
}

/** Read access to the build context: pure data for the core (the plugin reads the disk). */
export interface ContextTree {
  /** Entries of a context-relative directory (`''` is the context root); `[]` when it does not exist. */
  list(dir: string): TreeEntry[];
  /**
   * Permission bits (`mode & 0o7777`) of a context-relative path, not following a symlink;
   * undefined when unknown. The engine copies them into the layer, and Nx hashes content only.
   */
  mode?(path: string): number | undefined;
  /**
   * A digest of a path's content, names and modes (a folder's whole tree), for what the engine
   * receives but Nx never hashes (git-ignored): the shape then covers it with or without the daemon.
   */
  contentDigest?(path: string): string;
}

/** The engine's view of the context: what `.dockerignore` keeps out (the engine's own rules). */
export interface EngineIgnore {
  /** True when the engine does not send this context-relative path. */
  excluded(path: string): boolean;
  /** True when a re-include (`!pattern`) could bring back something strictly inside this directory. */
  couldReinclude(dir: string): boolean;
}

/** Nx's view: files it never hashes (ignored by git or by `.nxignore`). */
export interface HashIgnore {
  ignored(path: string, dir: boolean): boolean;
}

/** What a walk of one root of the context found. */
export interface ContextScan {
  /** Maximal paths the engine never sends: a directory here holds nothing the engine sends. */
  excluded: TreeEntry[];
  /** Maximal paths the engine sends but Nx cannot hash (ignored by git): the hash is blind to them. */
  untracked: string[];
  /**
   * What the engine receives beyond file content, which Nx never hashes: one line per path
   * it sends, `d|f <octal mode> <path>`, every directory included (so an empty one counts),
   * and `u <content digest> <path>` for each path git ignores (see {@link ContextTree.contentDigest}).
   */
  shape: string[];
}

/** A parsed `.dockerignore` pattern, the way moby reads it. */
export interface IgnorePattern {
  segments: string[];
  negated: boolean;
}

const GLOB_CHARS = /[*?[\\]/;

/**
 * Whether a re-include pattern could match a path strictly inside `dir`: a conservative
 * answer (true when unsure), so that the caller walks into `dir` instead of dropping it.
 */
export function patternCouldMatchInside(pattern: IgnorePattern, dir: string): boolean {
  const parts = dir === '' ? [] : dir.split('/');
  const { segments } = pattern;
  for (let i = 0; i < parts.length; i++) {
    const segment = segments[i];
    if (segment === undefined) return false;
    if (segment === '**') return true;
    if (GLOB_CHARS.test(segment)) continue;
    if (segment !== parts[i]) return false;
  }
  return segments.length > parts.length;
}

/**
 * Walks `root` (context-relative; `''` for the whole context) and finds what the engine
 * never sends, what it sends but Nx never hashes, and the shape (modes, folders) of what it sends. A directory the engine drops whole
 * (excluded, and no re-include can reach inside) is not walked into; nor is one that
 * git ignores and the engine sends (it is reported once, as untracked).
 */
export function scanContext(tree: ContextTree, root: string, engine: EngineIgnore, nx: HashIgnore): ContextScan {
  const scan: ContextScan = { excluded: [], untracked: [], shape: [] };
  const visit = (path: string, dir: boolean) => {
    const excluded = path !== '' && engine.excluded(path);
    if (excluded && (!dir || !engine.couldReinclude(path))) {
      scan.excluded.push({ name: path, dir });
      return;
    }
    if (!excluded && path !== '' && nx.ignored(path, dir)) {
      scan.untracked.push(path);
      scan.shape.push(`u ${tree.contentDigest?.(path) ?? '?'} ${path}`);
      return;
    }
    // An excluded folder a re-include reaches still counts: the engine may create it around what it re-includes.
    const mode = tree.mode?.(path);
    scan.shape.push(`${dir ? 'd' : 'f'} ${mode === undefined ? '?' : mode.toString(8)} ${path}`);
    if (!dir) return;
    for (const entry of tree.list(path)) visit(path === '' ? entry.name : `${path}/${entry.name}`, entry.dir);
  };
  const entries =
    root === ''
      ? undefined
      : tree.list(posix.dirname(root) === '.' ? '' : posix.dirname(root)).find((e) => e.name === posix.basename(root));
  if (root === '') visit('', true);
  else if (entries) visit(root, entries.dir);
  return scan;
}
