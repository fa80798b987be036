import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageEntry, INDEX_TYPE, pinnedPlatforms, putIndex } from './image-index';
import { locateImage } from './reference';

/** A loopback registry that wants Basic auth, for the index client's protocol handling (tests/platforms.spec.ts uses a real one). */
describe('the index client against a registry that wants a login', () => {
  const LOGIN = Buffer.from('ci:canary-0b9f4e-never-in-an-image').toString('base64');
  const DIGEST = `sha256:${'d'.repeat(64)}`;
  let server: Server;
  let host: string;
  let dir: string;
  const puts: { type?: string; body: string }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'index-auth-'));
    server = createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${LOGIN}`) {
        res.statusCode = 401;
        res.setHeader('www-authenticate', 'Basic realm="test"');
        res.end();
        return;
      }
      if (req.method === 'HEAD' && req.url === '/v2/team/app/manifests/1-linux-arm64') {
        res.setHeader('content-type', 'application/vnd.docker.distribution.manifest.v2+json');
        res.setHeader('content-length', '749');
        res.setHeader('docker-content-digest', DIGEST);
        res.end();
        return;
      }
      if (req.method === 'PUT' && req.url === '/v2/team/app/manifests/1') {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          puts.push({ type: req.headers['content-type'], body });
          res.statusCode = 201;
          res.setHeader('docker-content-digest', `sha256:${'e'.repeat(64)}`);
          res.end();
        });
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads the engine’s saved login, describes a pushed image, then writes the OCI index of it', async () => {
    const authFile = join(dir, 'auth.json');
    writeFileSync(authFile, JSON.stringify({ auths: { [host]: { auth: LOGIN } } }));
    const env = { REGISTRY_AUTH_FILE: authFile, HOME: dir };
    const entry = await imageEntry(locateImage(`${host}/team/app:1-linux-arm64`), 'linux/arm64', env);
    expect(entry).toEqual({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: DIGEST,
      size: 749,
      platform: { os: 'linux', architecture: 'arm64' },
    });
    expect(await putIndex(locateImage(`${host}/team/app:1`), [entry], env)).toBe(`sha256:${'e'.repeat(64)}`);
    expect(puts[0].type).toBe(INDEX_TYPE);
    expect(JSON.parse(puts[0].body)).toEqual({ schemaVersion: 2, mediaType: INDEX_TYPE, manifests: [entry] });
  });

  it('without a login, says what to check, and never shows a credential', async () => {
    const env = { HOME: dir, REGISTRY_AUTH_FILE: join(dir, 'none.json') };
    const error = (await putIndex(locateImage(`${host}/team/app:1`), [], env).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/refused the index for team\/app:1 \(HTTP 401\)[\s\S]*podman login \/ docker login/);
    const missing = (await imageEntry(locateImage(`${host}/team/app:2-linux-arm64`), 'linux/arm64', env).catch((e: unknown) => e)) as Error;
    expect(missing.message).toMatch(/answered HTTP 401 .* the linux\/arm64 image just pushed; the index was not written/);
    expect(`${error.message}${missing.message}`).not.toMatch(/canary|Y2k6/);
  });
});

describe('the platforms an upstream pinned by digest holds', () => {
  const INDEX = `sha256:${'1'.repeat(64)}`;
  const SINGLE = `sha256:${'2'.repeat(64)}`;
  const CONFIG = `sha256:${'3'.repeat(64)}`;
  let server: Server;
  let host: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const reply = (type: string, body: object) => {
        res.setHeader('content-type', type);
        res.end(JSON.stringify(body));
      };
      if (req.url === `/v2/library/multi/manifests/${INDEX}`) {
        return reply(INDEX_TYPE, {
          manifests: [
            { platform: { os: 'linux', architecture: 'amd64' } },
            { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
          ],
        });
      }
      if (req.url === `/v2/library/single/manifests/${SINGLE}`) {
        return reply('application/vnd.docker.distribution.manifest.v2+json', { config: { digest: CONFIG } });
      }
      if (req.url === `/v2/library/single/blobs/${CONFIG}`)
        return reply('application/octet-stream', { os: 'linux', architecture: 'amd64' });
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('lists an index’s entries, and the one platform a single image’s config names', async () => {
    expect(await pinnedPlatforms({ ...locateImage(`${host}/library/multi:1`), tag: INDEX })).toEqual(['linux/amd64', 'linux/arm64/v8']);
    expect(await pinnedPlatforms({ ...locateImage(`${host}/library/single:1`), tag: SINGLE })).toEqual(['linux/amd64']);
  });

  it('knows nothing (undefined, never a throw) when the registry has no such manifest or cannot be reached', async () => {
    expect(await pinnedPlatforms({ ...locateImage(`${host}/library/absent:1`), tag: SINGLE })).toBeUndefined();
    expect(await pinnedPlatforms({ ...locateImage('127.0.0.1:59173/debian:1'), tag: SINGLE })).toBeUndefined();
  });
});
