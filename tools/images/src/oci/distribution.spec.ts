import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageError } from '../core/errors';
import { MANIFEST_TYPES, parseChallenge, resolveTagDigest } from './distribution';
import { locateImage } from './reference';

describe('locateImage', () => {
  it.each([
    [
      'ubuntu:resolute-20260106.1',
      undefined,
      { host: 'registry-1.docker.io', repository: 'library/ubuntu', tag: 'resolute-20260106.1', scheme: 'https' },
    ],
    ['docker.io/library/debian:12', undefined, { host: 'registry-1.docker.io', repository: 'library/debian', tag: '12', scheme: 'https' }],
    ['ghcr.io/org/base:1', undefined, { host: 'ghcr.io', repository: 'org/base', tag: '1', scheme: 'https' }],
    ['127.0.0.1:5000/debian:bookworm', undefined, { host: '127.0.0.1:5000', repository: 'debian', tag: 'bookworm', scheme: 'http' }],
    ['ubuntu:24.04', 'mirror.internal:5000', { host: 'mirror.internal:5000', repository: 'library/ubuntu', tag: '24.04', scheme: 'https' }],
    ['ubuntu:24.04', 'http://mirror.internal', { host: 'mirror.internal', repository: 'library/ubuntu', tag: '24.04', scheme: 'http' }],
  ])('%s (mirror %s)', (image, mirror, expected) => {
    expect(locateImage(image, mirror)).toEqual(expected);
  });

  it('refuses an image without a tag to follow', () => {
    expect(() => locateImage('ubuntu')).toThrow(/BASE_IMAGE "ubuntu" has no tag/);
  });
});

describe('parseChallenge', () => {
  it('reads a bearer challenge', () => {
    expect(
      parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"'),
    ).toEqual({
      realm: 'https://auth.docker.io/token',
      service: 'registry.docker.io',
      scope: 'repository:library/ubuntu:pull',
    });
  });
  it('ignores basic auth', () => {
    expect(parseChallenge('Basic realm="x"')).toBeUndefined();
  });
});

/** A loopback server speaking the token flow Docker Hub and GHCR use, to exercise the client's protocol handling. */
describe('resolveTagDigest against a token-protected registry', () => {
  const INDEX_DIGEST = `sha256:${'c'.repeat(64)}`;
  let server: Server;
  let host: string;
  const seen: { accept?: string; auth?: string; tokenQuery?: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      if (url.pathname === '/token') {
        seen.push({ tokenQuery: url.search });
        if (url.searchParams.get('scope')?.includes('private')) {
          res.statusCode = 403;
          res.end('{}');
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ token: 'anon-token' }));
        return;
      }
      seen.push({ accept: req.headers.accept, auth: req.headers.authorization });
      const repository = url.pathname.split('/').slice(2, 4).join('/');
      if (req.headers.authorization !== 'Bearer anon-token') {
        res.statusCode = 401;
        res.setHeader(
          'www-authenticate',
          `Bearer realm="http://${req.headers.host}/token",service="test-registry",scope="repository:${repository}:pull"`,
        );
        res.end();
        return;
      }
      if (url.pathname === '/v2/library/broken/manifests/1') {
        res.statusCode = 500;
        res.end();
        return;
      }
      if (url.pathname === '/v2/library/ubuntu/manifests/24.04') {
        res.setHeader('docker-content-digest', INDEX_DIGEST);
        res.end();
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('gets an anonymous token, then the index digest', async () => {
    const digest = await resolveTagDigest(locateImage('ubuntu:24.04', `http://${host}`));
    expect(digest).toBe(INDEX_DIGEST);
    expect(seen[0].accept?.split(', ')).toEqual(MANIFEST_TYPES);
    expect(seen[1].tokenQuery).toBe('?service=test-registry&scope=repository%3Alibrary%2Fubuntu%3Apull');
    expect(seen[2].auth).toBe('Bearer anon-token');
  });

  it('says so when the token service refuses, and what the caller left alone', async () => {
    const error = await resolveTagDigest(
      locateImage('private/base:1', `http://${host}`),
      15_000,
      'The digests file was not changed.',
    ).catch((e: unknown) => e);
    expect(isImageError(error, 'REGISTRY_UNREACHABLE')).toBe(true);
    expect((error as Error).message).toBe(
      `The registry ${host} refused an anonymous token for private/base (HTTP 403). The digests file was not changed.`,
    );
  });

  it('names an unknown tag', async () => {
    await expect(resolveTagDigest(locateImage('ubuntu:99.99', `http://${host}`))).rejects.toThrow(
      /has no tag library\/ubuntu:99\.99 \(HTTP 404/,
    );
    await expect(resolveTagDigest(locateImage('ubuntu:99.99', `http://${host}`))).rejects.toMatchObject({ code: 'TAG_NOT_FOUND' });
  });

  it('says a registry failure (HTTP 500) is the registry’s, naming nothing the caller did not touch', async () => {
    const error = await resolveTagDigest(locateImage('broken:1', `http://${host}`)).catch((e: unknown) => e);
    expect(isImageError(error, 'REGISTRY_UNREACHABLE')).toBe(true);
    expect((error as Error).message).toMatch(
      /answered HTTP 500 for .*: a failure on the registry’s side: retry later, or check the registry/,
    );
    expect((error as Error).message).not.toMatch(/digests file/);
  });

  it('names an unreachable registry', async () => {
    const error = await resolveTagDigest(locateImage('127.0.0.1:59173/debian:12'), 15_000, 'The digests file was not changed.').catch(
      (e: unknown) => e,
    );
    expect(isImageError(error, 'REGISTRY_UNREACHABLE')).toBe(true);
    expect((error as Error).message).toMatch(
      /The registry 127\.0\.0\.1:59173 could not be reached \(ECONNREFUSED\).*\n.*The digests file was not changed/,
    );
  });
});
