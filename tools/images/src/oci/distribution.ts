import { createHash } from 'node:crypto';
import { ImageError } from '../core/errors';
import type { RegistryLocation } from './reference';

/** Manifest media types, index first: a multi-platform tag resolves to its index digest. */
export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

/** `Bearer realm="…",service="…",scope="…"` → its parameters. */
export function parseChallenge(header: string): Record<string, string> | undefined {
  if (!/^Bearer\s/i.test(header)) return undefined;
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

function describe(location: RegistryLocation): string {
  return `${location.scheme}://${location.host}/v2/${location.repository}/manifests/${location.tag}`;
}

async function request(url: string, init: RequestInit, location: RegistryLocation, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new ImageError(
      'REGISTRY_UNREACHABLE',
      `The registry ${location.host} could not be reached (${cause?.code ?? cause?.message ?? (error as Error).message}) while ` +
        `asking for ${location.repository}:${location.tag}.\n` +
        'Check the network or the registry; for a private mirror, pass --registry=<host> (or set DIGEST_REGISTRY). The digests ' +
        'file was not changed.',
    );
  }
}

/** Anonymous token for pulling, as Docker Hub and GHCR hand out. */
async function anonymousToken(challenge: Record<string, string>, location: RegistryLocation, timeoutMs: number): Promise<string> {
  const url = new URL(challenge.realm);
  if (challenge.service) url.searchParams.set('service', challenge.service);
  url.searchParams.set('scope', challenge.scope ?? `repository:${location.repository}:pull`);
  const response = await request(url.toString(), {}, location, timeoutMs);
  const body = (await response.json().catch(() => ({}))) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!response.ok || !token) {
    throw new ImageError(
      'REGISTRY_UNREACHABLE',
      `The registry ${location.host} refused an anonymous token for ${location.repository} (HTTP ${response.status}). The ` +
        `digests file was not changed.`,
    );
  }
  return token;
}

/**
 * The digest a tag points at now, over the OCI distribution API: a HEAD on the
 * manifest (GET when the registry omits Docker-Content-Digest), with anonymous
 * bearer-token auth when the registry asks for it.
 */
export async function resolveTagDigest(location: RegistryLocation, timeoutMs = 15_000): Promise<string> {
  const url = describe(location);
  const headers: Record<string, string> = { Accept: MANIFEST_TYPES.join(', ') };
  let response = await request(url, { method: 'HEAD', headers }, location, timeoutMs);
  const challenge = response.status === 401 ? parseChallenge(response.headers.get('www-authenticate') ?? '') : undefined;
  if (challenge?.realm) {
    headers.Authorization = `Bearer ${await anonymousToken(challenge, location, timeoutMs)}`;
    response = await request(url, { method: 'HEAD', headers }, location, timeoutMs);
  }
  if (response.status === 404) {
    throw new ImageError(
      'TAG_NOT_FOUND',
      `${location.host} has no tag ${location.repository}:${location.tag} (HTTP 404 for ${url}). Check BASE_IMAGE's tag; the ` +
        `digests file was not changed.`,
    );
  }
  if (!response.ok) {
    throw new ImageError(
      'REGISTRY_UNREACHABLE',
      `${location.host} answered HTTP ${response.status} for ${url}. The digests file was not changed.`,
    );
  }
  const digest = response.headers.get('docker-content-digest');
  if (digest) return digest;
  const body = Buffer.from(await (await request(url, { headers }, location, timeoutMs)).arrayBuffer());
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}
