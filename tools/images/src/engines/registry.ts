import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ImageError } from '../core/errors';
import { chooseBuilder } from './builds';
import type { EngineAdapter } from './types';
import { runEngine } from './run-engine';

const NOT_FOUND = /manifest unknown|not found|does not exist|no such image|name unknown|no image found in (?:manifest list|image index)/i;
const UNREACHABLE = new RegExp(
  [
    'connection refused',
    'no such host',
    'i/o timeout',
    'dial tcp',
    'network is unreachable',
    'server gave HTTP response to HTTPS client',
    'pinging container registry',
    'TLS handshake',
    'context deadline exceeded',
  ].join('|'),
  'i',
);

/** What a failed registry command means for the person at the terminal. */
export function registryError(registry: string, action: string, stderr: string): ImageError {
  const first = stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
  const insecure = /HTTP response to HTTPS client/i.test(stderr)
    ? `\nThe engine talks HTTPS to it: add "${registry.split('/')[0]}" to the daemon's insecure-registries (podman: ` +
      `registries.conf [[registry]] insecure = true).`
    : '';
  return new ImageError(
    'REGISTRY_UNREACHABLE',
    `The registry ${registry} could not be reached to ${action}:\n  ${first}${insecure}\n` +
      'Start or fix the registry (or check `docker login` for it); to build locally while it is down, set ' +
      'IMAGE_REGISTRY_BEST_EFFORT=1; to work without it, unset IMAGE_REGISTRY.',
  );
}

/**
 * Pulls `ref` from the registry (with a platform: that platform's image out of its index).
 * Resolves true when pulled, false when the registry does not hold it; throws
 * REGISTRY_UNREACHABLE when the registry cannot be asked.
 */
export async function pullIfPresent(adapter: EngineAdapter, registry: string, ref: string, platform?: string): Promise<boolean> {
  const result = await runEngine(adapter, adapter.pull(ref, platform), { allowFailure: true });
  if (result.exitCode === 0) return true;
  if (UNREACHABLE.test(result.stderr)) throw registryError(registry, `look for ${ref}`, result.stderr);
  if (NOT_FOUND.test(result.stderr)) return false;
  throw registryError(registry, `pull ${ref}`, result.stderr);
}

/** Pushes `ref` (already tagged for the registry). */
export async function pushImage(adapter: EngineAdapter, registry: string, ref: string): Promise<void> {
  const result = await runEngine(adapter, adapter.push(ref), { allowFailure: true });
  if (result.exitCode !== 0) throw registryError(registry, `push ${ref}`, result.stderr);
}

/**
 * Pushes one file (provenance.json) to `ref` as a one-layer image FROM scratch, built and
 * pushed by the engine itself, so it goes wherever the image went, with the engine's own
 * login. Its local tag is removed afterwards. Read it back with `create` and `cp`.
 */
export async function pushFileImage(
  adapter: EngineAdapter,
  registry: string,
  ref: string,
  file: string,
  labels: Record<string, string>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nx-images-file-'));
  const name = basename(file);
  try {
    copyFileSync(file, join(dir, name));
    writeFileSync(join(dir, 'Dockerfile'), `FROM scratch\nCOPY ${name} /${name}\n`);
    const { buildkit } = await chooseBuilder(adapter);
    // No cached layers: pushes run side by side, and podman fails a build whose cached layer
    // another push's clean-up just removed ("layer not known").
    const spec = { dockerfile: join(dir, 'Dockerfile'), context: dir, tags: [ref], buildArgs: {}, labels, buildkit, noCache: true };
    const built = await runEngine(adapter, adapter.build(spec), { allowFailure: true });
    if (built.exitCode !== 0) {
      throw new ImageError('ENGINE_FAILED', `${adapter.client} could not build ${ref} to carry ${name}:\n  ${built.stderr.trim()}`);
    }
    await pushImage(adapter, registry, ref);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await runEngine(adapter, adapter.removeImages([ref]), { allowFailure: true });
  }
}
