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

/** What a registry call says when it fails, in the words of the command that made it. */
export interface CallWords {
  /** The registry (or its token service) could not be reached; `reason` is the network error's code. */
  unreachable: (reason: string) => string;
  /** The token service gave no token (its HTTP status). Without this, the call goes on with the login, or none. */
  tokenRefused?: (status: number) => string;
}

export interface CallOptions {
  /** The actions the call needs on the repository: `pull`, or `pull,push`. */
  actions: string;
  /**
   * The saved login (`user:password`, base64), read only when the registry asks for auth and
   * sent only to this registry and its token service.
   */
  login?: () => string | undefined;
  timeoutMs: number;
  words: CallWords;
}

/** The certificates' file when this process started without NODE_EXTRA_CA_CERTS (bin/build.sh's builds). */
let startedWithoutExtraCerts: string | undefined;

/**
 * Says that this process started without NODE_EXTRA_CA_CERTS, which names `file` (undefined: it
 * did not): Node reads those certificates only at start, so a registry call here would not trust them.
 */
export function noteStartedWithoutExtraCerts(file: string | undefined): void {
  startedWithoutExtraCerts = file;
}

/**
 * One call to a registry's distribution API (`/v2/<repository>/<path>`) with the auth flow
 * registries use: on a 401 with a bearer challenge, a token for the repository (asked with
 * the login as Basic, or anonymously) and the call again; on a 401 without one, the call
 * again with the login as Basic. A pull-only call takes the challenge's own scope.
 */
export async function registryCall(location: RegistryLocation, path: string, init: RequestInit, options: CallOptions): Promise<Response> {
  const send = async (url: string, sent: RequestInit) => {
    if (startedWithoutExtraCerts !== undefined) {
      // A program bin/build.sh started for a build, which must leave registries to the engine's client.
      throw new ImageError(
        'REGISTRY_UNREACHABLE',
        `${describe(location)} was not asked: this process started without the certificates of NODE_EXTRA_CA_CERTS ` +
          `(${startedWithoutExtraCerts}), which bin/build.sh leaves out of a build. Report this as a bug of the nx-images plugin.`,
      );
    }
    try {
      return await fetch(url, { ...sent, signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ImageError('REGISTRY_UNREACHABLE', options.words.unreachable(cause?.code ?? cause?.message ?? (error as Error).message));
    }
  };
  const url = `${location.scheme}://${location.host}/v2/${location.repository}/${path}`;
  const response = await send(url, init);
  if (response.status !== 401) return response;
  const login = options.login?.();
  const basic = login ? `Basic ${login}` : undefined;
  const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '');
  let authorization = basic;
  if (challenge?.realm) {
    const tokenUrl = new URL(challenge.realm);
    if (challenge.service) tokenUrl.searchParams.set('service', challenge.service);
    const own = `repository:${location.repository}:${options.actions}`;
    tokenUrl.searchParams.set('scope', options.actions === 'pull' ? (challenge.scope ?? own) : own);
    const answer = await send(tokenUrl.toString(), { headers: basic ? { Authorization: basic } : {} });
    const body = (await answer.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if ((!answer.ok || !token) && options.words.tokenRefused) {
      throw new ImageError('REGISTRY_UNREACHABLE', options.words.tokenRefused(answer.status));
    }
    if (answer.ok && token) authorization = `Bearer ${token}`;
  }
  if (!authorization) return response;
  return send(url, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: authorization } });
}

/**
 * The digest a tag points at now, over the OCI distribution API: a HEAD on the
 * manifest (GET when the registry omits Docker-Content-Digest), with anonymous
 * bearer-token auth when the registry asks for it.
 */
export async function resolveTagDigest(location: RegistryLocation, timeoutMs = 15_000, outcome = ''): Promise<string> {
  // What the caller left as it was (update-digest: the digests file), said at the end of each error.
  const after = outcome ? ` ${outcome}` : '';
  const url = describe(location);
  const headers = { Accept: MANIFEST_TYPES.join(', ') };
  const options: CallOptions = {
    actions: 'pull',
    timeoutMs,
    words: {
      unreachable: (reason) =>
        `The registry ${location.host} could not be reached (${reason}) while asking for ${location.repository}:${location.tag}.\n` +
        `Check the network or the registry; for a private mirror, pass --registry=<host> (or set DIGEST_REGISTRY).${after}`,
      tokenRefused: (status) =>
        `The registry ${location.host} refused an anonymous token for ${location.repository} (HTTP ${status}).${after}`,
    },
  };
  const response = await registryCall(location, `manifests/${location.tag}`, { method: 'HEAD', headers }, options);
  if (response.status === 404) {
    throw new ImageError(
      'TAG_NOT_FOUND',
      `${location.host} has no tag ${location.repository}:${location.tag} (HTTP 404 for ${url}). Check the image's tag.${after}`,
    );
  }
  if (!response.ok) {
    const side =
      response.status >= 500
        ? 'a failure on the registry’s side: retry later, or check the registry (its log, its storage)'
        : 'check the repository name and your access to it';
    throw new ImageError('REGISTRY_UNREACHABLE', `${location.host} answered HTTP ${response.status} for ${url}: ${side}.${after}`);
  }
  const digest = response.headers.get('docker-content-digest');
  if (digest) return digest;
  const body = Buffer.from(await (await registryCall(location, `manifests/${location.tag}`, { headers }, options)).arrayBuffer());
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}
