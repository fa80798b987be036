import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { DIGEST_KEYS } from '../core/digests';
import { parseDockerfile, type DockerfileInfo } from '../core/dockerfile';
import { parentArgNames, usesDigestPin } from '../core/image-graph';
import { writeFileAtomic } from '../io/atomic-file';
import { workspaceDataDirectoryOf } from '../nx/runtime';

/** Where parsed Dockerfiles are kept between runs, inside Nx's workspace data directory. */
export const PARSE_CACHE_FILE = join('nx-images', 'dockerfiles.json');

/**
 * A Dockerfile's facts for the image graph. The ARGs the build passes (parent images,
 * the digests pin) are known only from a first parse; a Dockerfile that has any is parsed
 * again knowing them.
 */
export function parseImageDockerfile(content: string, prefix: string): DockerfileInfo {
  const first = parseDockerfile(content);
  const passed = new Set([...parentArgNames(first, prefix), ...(usesDigestPin(first) ? DIGEST_KEYS : [])]);
  return passed.size === 0 ? first : parseDockerfile(content, { passedArgs: passed });
}

/**
 * What a parse depends on besides the Dockerfile and the prefix: the code that computes
 * it (every module under core/, this module) and dockerfile-ast's version. Any edit to
 * them, or an upgrade, keys every Dockerfile anew. Taken when the module loads, beside
 * the code it stands for (a daemon keeps running the code it loaded).
 */
function parserIdentity(): string {
  const hash = createHash('sha256');
  const ext = extname(__filename);
  const core = join(__dirname, '..', 'core');
  const modules = readdirSync(core)
    .filter((file) => file.endsWith(ext) && !file.endsWith(`.spec${ext}`))
    .sort();
  for (const path of [...modules.map((file) => join(core, file)), __filename, require.resolve('dockerfile-ast/package.json')]) {
    const text = readFileSync(path);
    hash.update(`${relative(core, path)}\0${text.length}\0`);
    hash.update(text);
  }
  return hash.digest('hex');
}

const IDENTITY = parserIdentity();

/** Parses kept in memory at most (a daemon lives across many edits); past it, only the last call's stay. */
const MEMORY_LIMIT = 256;

/** Parses of this process, by key, as JSON: each caller gets its own copy, as from a fresh parse. */
const memory = new Map<string, string>();

function readStored(file: string): Record<string, unknown> {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { entries?: unknown };
    return stored.entries && typeof stored.entries === 'object' ? (stored.entries as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * {@link parseImageDockerfile} for each content, from a cache keyed by the content, the
 * prefix and {@link parserIdentity}: a hit is the parse's own output of an earlier run,
 * so it stands for the parse exactly. Parsing (and loading dockerfile-ast) costs about
 * 60 ms of a run without the daemon, and createDependencies parses the same files again.
 * The file keeps the entries of the last call; a file that cannot be read or parsed is a
 * miss, and a write that fails only loses the cache.
 */
export function parseDockerfiles(workspaceRoot: string, contents: readonly string[], prefix: string): DockerfileInfo[] {
  const file = join(workspaceDataDirectoryOf(workspaceRoot), PARSE_CACHE_FILE);
  const keys = contents.map((content) => createHash('sha256').update(`${IDENTITY}\0${prefix}\0`).update(content).digest('hex'));
  let stored: Record<string, unknown> | undefined;
  let missed = false;
  const infos = contents.map((content, i) => {
    const key = keys[i];
    let json = memory.get(key);
    if (json === undefined) {
      stored ??= readStored(file);
      const entry = stored[key];
      if (entry && typeof entry === 'object') json = JSON.stringify(entry);
      else {
        json = JSON.stringify(parseImageDockerfile(content, prefix));
        missed = true;
      }
      memory.set(key, json);
    }
    return JSON.parse(json) as DockerfileInfo;
  });
  if (memory.size > MEMORY_LIMIT) {
    for (const key of [...memory.keys()]) if (!keys.includes(key)) memory.delete(key);
  }
  if (missed) {
    const entries = Object.fromEntries(keys.map((key) => [key, JSON.parse(memory.get(key) as string)]));
    try {
      writeFileAtomic(file, JSON.stringify({ entries }));
    } catch {
      // a read-only workspace: the next run parses again
    }
  }
  return infos;
}
