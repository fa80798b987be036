import { closeSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-file';

/** Where a workspace keeps what the build remembers between runs (the find-cache-dir convention). */
export function cacheDirOf(root: string): string {
  return join(root, 'node_modules', '.cache', 'nx-images');
}

/** The file a client command runs: the path itself, or the first regular file of that name on PATH. */
function resolveClient(client: string, path: string | undefined): string | undefined {
  const candidates = client.includes('/') ? [client] : (path ?? '').split(delimiter).map((dir) => join(dir, client));
  for (const candidate of candidates) {
    if (!isAbsolute(candidate)) continue;
    try {
      if (statSync(candidate).isFile()) return realpathSync(candidate);
    } catch {
      // not there: the next one
    }
  }
  return undefined;
}

function isElf(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

/**
 * What identifies one build of a client binary: its real path, size, mtime and inode. None
 * for a script (a wrapper or shim may run another client each time) or a client not found.
 */
export function clientIdentity(client: string, env: NodeJS.ProcessEnv): string | undefined {
  try {
    const file = resolveClient(client, env.PATH);
    if (!file || !isElf(file)) return undefined;
    const stat = statSync(file);
    return [file, stat.size, stat.mtimeMs, stat.ino].join('|');
  } catch {
    return undefined;
  }
}

function cacheFile(cacheDir: string, engine: string): string {
  return join(cacheDir, `${engine}-client.json`);
}

/** The version a client binary printed before, if this is still that binary. */
export function rememberedVersion(cacheDir: string, engine: string, identity: string): string | undefined {
  try {
    const saved = JSON.parse(readFileSync(cacheFile(cacheDir, engine), 'utf8')) as { identity?: string; version?: string };
    return saved.identity === identity && typeof saved.version === 'string' && saved.version ? saved.version : undefined;
  } catch {
    return undefined;
  }
}

/** Remembers a client binary's version (best effort: a cache that cannot be written is only slower). */
export function rememberVersion(cacheDir: string, engine: string, identity: string, version: string): void {
  try {
    writeFileAtomic(cacheFile(cacheDir, engine), `${JSON.stringify({ identity, version })}\n`);
  } catch {
    // read-only workspace: ask the client next time too
  }
}
