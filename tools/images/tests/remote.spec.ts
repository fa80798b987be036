import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEngineReady, clientOf, engineTools } from './support/engine';
import { CHAIN, createTestWorkspace, type TestWorkspace } from './support/workspace';

const PREFIX = 'itest-remote';
const local = engineTools('docker');
const repositories = CHAIN.map((name) => `${PREFIX}/${name}`);

/** A port nothing listens on now, for the second engine. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * A second Docker engine on this machine, reached only over TCP: its own store (data root),
 * its own containerd (exec root), no bridge (RUN steps use the host network, as the first).
 */
async function startRemoteEngine(dir: string, host: string): Promise<ResultPromise> {
  const daemon = execa(
    'dockerd',
    [
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'docker.pid')}`,
      `--host=${host}`,
    ],
    { reject: false, all: true, stdin: 'ignore' },
  );
  for (let i = 0; i < 60; i++) {
    const answer = await execa(clientOf('docker'), ['version', '--format', '{{.Server.Version}}'], {
      reject: false,
      env: { DOCKER_HOST: host },
    });
    if (answer.exitCode === 0) return daemon;
    if (daemon.exitCode !== undefined && daemon.exitCode !== null) break;
    await new Promise((done) => setTimeout(done, 500));
  }
  daemon.kill('SIGTERM');
  throw new Error(`A second dockerd on ${host} did not start:\n${String((await daemon).all ?? '').slice(-2000)}`);
}

describe('a remote docker engine over TCP (DOCKER_HOST=tcp://…): a second dockerd with its own store', () => {
  let ws: TestWorkspace;
  let dir: string;
  let host: string;
  let daemon: ResultPromise | undefined;
  const remote = () => ({
    imageId: async (ref: string) => {
      const result = await execa(clientOf('docker'), ['image', 'inspect', '--format', '{{.Id}}', ref], {
        reject: false,
        env: { DOCKER_HOST: host },
      });
      return result.exitCode === 0 ? String(result.stdout).trim() : undefined;
    },
  });
  const stopRemote = async () => {
    if (!daemon) return;
    daemon.kill('SIGTERM');
    await daemon;
    daemon = undefined;
  };

  beforeAll(async () => {
    await assertEngineReady('docker');
    dir = mkdtempSync(join(tmpdir(), 'remote-engine-'));
    host = `tcp://127.0.0.1:${await freePort()}`;
    daemon = await startRemoteEngine(dir, host);
    ws = createTestWorkspace(PREFIX);
    await local.removeRepositories(repositories);
  }, 60_000);

  afterAll(async () => {
    await stopRemote();
    rmSync(dir, { recursive: true, force: true });
    await local.removeRepositories(repositories);
    ws?.remove();
  }, 60_000);

  it('builds into the remote store under its own hashes, finds it there next run, and leaves the local store’s images alone', async () => {
    const build = (env: Record<string, string> = {}) => ws.nx(['run-many', '-t', 'build', '--output-style=stream'], env);

    const locally = await build();
    expect(locally.exitCode, locally.output).toBe(0);
    const localRefs = ws.refs();

    const remotely = await build({ DOCKER_HOST: host });
    expect(remotely.exitCode, remotely.output).toBe(0);
    expect(ws.statuses()).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'built'])));
    for (const name of CHAIN) {
      const meta = ws.meta(name);
      // The store is an input: the remote engine's images are other hashes' builds.
      expect(meta?.ref, name).not.toBe(localRefs[name]);
      expect(await remote().imageId(meta?.ref as string), name).toBe(meta?.imageId);
      expect(await local.imageId(meta?.ref as string), name).toBeUndefined();
    }
    const remoteRefs = ws.refs();

    const again = await build({ DOCKER_HOST: host });
    expect(again.exitCode, again.output).toBe(0);
    expect(ws.statuses()).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'present'])));
    expect(ws.refs()).toEqual(remoteRefs);

    const back = await build();
    expect(back.exitCode, back.output).toBe(0);
    expect(ws.statuses()).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'present'])));
    expect(ws.refs()).toEqual(localRefs);
  });

  it('names the remote endpoint when it stops answering, and records nothing for it', async () => {
    const before = ws.meta('base');
    await stopRemote();
    const result = await ws.nx(['run', 'base:build', '--output-style=stream'], { DOCKER_HOST: host });
    expect(result.exitCode, result.output).not.toBe(0);
    expect(result.output).toContain(`The docker engine is not reachable through DOCKER_HOST=${host}`);
    expect(ws.meta('base')).toEqual(before);
  });
});
