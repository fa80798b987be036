import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ImageError } from '../core/errors';
import { registryCall } from './distribution';
import type { RegistryLocation } from './reference';

/** The media type of the index the hash tag names in the registry. */
export const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const IMAGE_MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];

/** One entry of an index: a platform's image manifest, as the registry holds it. */
export interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  platform: { os: string; architecture: string; variant?: string };
}

/**
 * The engine's saved login for a registry host (`user:password`, base64), from the files
 * podman and docker write: REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * ~/.docker/config.json. Never logged; sent only to that host or its token realm.
 */
function savedLogin(host: string, env: NodeJS.ProcessEnv): string | undefined {
  const files = [
    env.REGISTRY_AUTH_FILE,
    env.XDG_RUNTIME_DIR && join(env.XDG_RUNTIME_DIR, 'containers/auth.json'),
    join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json'),
  ];
  for (const file of files) {
    if (!file || !existsSync(file)) continue;
    try {
      const auths = (JSON.parse(readFileSync(file, 'utf8')) as { auths?: Record<string, { auth?: string }> }).auths ?? {};
      const auth = auths[host]?.auth ?? auths[`https://${host}`]?.auth ?? auths[`http://${host}`]?.auth;
      if (auth) return auth;
    } catch {
      // An unreadable file is no login.
    }
  }
  return undefined;
}

/** A distribution API call with the engine's saved login for the registry, in a push's words. */
function call(location: RegistryLocation, path: string, init: RequestInit, actions: string, env: NodeJS.ProcessEnv) {
  return registryCall(location, path, init, {
    actions,
    login: () => savedLogin(location.host, env),
    timeoutMs: 30_000,
    words: {
      unreachable: (reason) =>
        `The registry ${location.host} could not be reached (${reason}) for ${location.repository}.\n` +
        'Start or fix the registry, then rerun the push.',
    },
  });
}

/** The manifest a tag names (one platform's image, pushed by the engine): its media type, digest and size. */
export async function imageEntry(location: RegistryLocation, platform: string, env: NodeJS.ProcessEnv = process.env): Promise<IndexEntry> {
  const response = await call(
    location,
    `manifests/${location.tag}`,
    { method: 'HEAD', headers: { Accept: IMAGE_MANIFEST_TYPES.join(', ') } },
    'pull',
    env,
  );
  const digest = response.headers.get('docker-content-digest');
  const mediaType = response.headers.get('content-type')?.split(';')[0];
  const size = Number(response.headers.get('content-length'));
  if (!response.ok || !digest || !mediaType || !IMAGE_MANIFEST_TYPES.includes(mediaType) || !size) {
    throw new ImageError(
      'REGISTRY_UNREACHABLE',
      `${location.host} answered HTTP ${response.status} (${mediaType ?? 'no media type'}) for ${location.repository}:` +
        `${location.tag}, the ${platform} image just pushed; the index was not written. Rerun the push.`,
    );
  }
  const [os, architecture, variant] = platform.split('/');
  return { mediaType, digest, size, platform: { os, architecture, ...(variant ? { variant } : {}) } };
}

/** Writes an OCI image index of the given manifests under `location.tag`; returns its digest. */
export async function putIndex(location: RegistryLocation, entries: IndexEntry[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const body = `${JSON.stringify({ schemaVersion: 2, mediaType: INDEX_TYPE, manifests: entries }, null, 2)}\n`;
  const response = await call(
    location,
    `manifests/${location.tag}`,
    { method: 'PUT', headers: { 'Content-Type': INDEX_TYPE }, body },
    'pull,push',
    env,
  );
  const digest = response.headers.get('docker-content-digest');
  if (!response.ok || !digest) {
    const detail = (await response.text().catch(() => '')).trim().slice(0, 300);
    throw new ImageError(
      'REGISTRY_UNREACHABLE',
      `${location.host} refused the index for ${location.repository}:${location.tag} ` +
        `(HTTP ${response.status}${detail ? `: ${detail}` : ''}).\n` +
        'Check the login for it (podman login / docker login) and that it accepts OCI image indexes, then rerun the push.',
    );
  }
  return digest;
}

/** Index and manifest-list media types: a manifest of one of these lists the platforms it holds. */
const INDEX_TYPES = [INDEX_TYPE, 'application/vnd.docker.distribution.manifest.list.v2+json'];

/**
 * The platforms (`os/architecture[/variant]`) an image pinned by digest holds in its registry: each
 * entry of an index, or the one platform a single manifest's config names. Undefined when the
 * registry cannot be asked: the caller goes on without knowing.
 */
export async function pinnedPlatforms(location: RegistryLocation, env: NodeJS.ProcessEnv = process.env): Promise<string[] | undefined> {
  const platformOf = (p: { os?: string; architecture?: string; variant?: string }) =>
    [p.os, p.architecture, p.variant].filter(Boolean).join('/');
  try {
    const accept = { Accept: [...INDEX_TYPES, ...IMAGE_MANIFEST_TYPES].join(', ') };
    const response = await call(location, `manifests/${location.tag}`, { headers: accept }, 'pull', env);
    if (!response.ok) return undefined;
    const manifest = (await response.json()) as {
      mediaType?: string;
      manifests?: { platform?: { os?: string; architecture?: string; variant?: string } }[];
      config?: { digest?: string };
    };
    const type = response.headers.get('content-type')?.split(';')[0] ?? manifest.mediaType ?? '';
    if (INDEX_TYPES.includes(type) || manifest.manifests) {
      return (manifest.manifests ?? []).flatMap((m) => (m.platform ? [platformOf(m.platform)] : []));
    }
    if (!manifest.config?.digest) return undefined;
    const config = await call(location, `blobs/${manifest.config.digest}`, {}, 'pull', env);
    return config.ok ? [platformOf((await config.json()) as { os?: string; architecture?: string; variant?: string })] : undefined;
  } catch {
    return undefined;
  }
}
