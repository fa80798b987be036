import { execa, execaSync, type ResultPromise } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineName } from '../src/core/options';
import { assertEngineReady, clientOf, ENGINES, engineEnv, engineTools } from './support/engine';
import { CHAIN, createTestWorkspace, type TestWorkspace } from './support/workspace';

const PREFIX = 'itest-remote';
const repositories = CHAIN.map((name) => `${PREFIX}/${name}`);
/** The variable that points each engine's client at a remote engine. */
const HOST_ENV = { docker: 'DOCKER_HOST', podman: 'CONTAINER_HOST' } as const;

/** A port nothing listens on now, for the second engine. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * A second engine on this machine, reached only over TCP, with its own store: for docker a
 * second dockerd (its own data root and containerd, no bridge: RUN steps use the host network
 * as the first one's do); for podman its API service over its own root and run root.
 */
async function startRemoteEngine(engineName: EngineName, dir: string, host: string): Promise<{ daemon: ResultPromise }> {
  const [command, args] =
    engineName === 'docker'
      ? [
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
        ]
      : ['podman', [`--root=${join(dir, 'root')}`, `--runroot=${join(dir, 'run')}`, 'system', 'service', '--time=0', host]];
  const daemon = execa(command, args, { reject: false, all: true, stdin: 'ignore' });
  const remoteEnv = { [HOST_ENV[engineName]]: host };
  for (let i = 0; i < 60; i++) {
    const answer = await execa(clientOf(engineName), ['version'], { reject: false, env: remoteEnv });
    if (answer.exitCode === 0 && /Server/.test(String(answer.stdout))) return { daemon };
    if (daemon.exitCode !== undefined && daemon.exitCode !== null) break;
    await new Promise((done) => setTimeout(done, 500));
  }
  daemon.kill('SIGTERM');
  throw new Error(`A second ${engineName} engine on ${host} did not start:\n${String((await daemon).all ?? '').slice(-2000)}`);
}

/** Removes a stopped engine's folder, unmounting first what its storage left mounted (podman's overlay). */
function removeEngineDir(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((point) => point && (point === dir || point.startsWith(`${dir}/`)))
    .sort()
    .reverse();
  for (const point of mounts) execaSync('umount', ['-l', point], { reject: false });
  rmSync(dir, { recursive: true, force: true });
}

describe.each(ENGINES)('a remote %s engine over TCP (DOCKER_HOST / CONTAINER_HOST=tcp://…) with its own store', (engineName) => {
  const local = engineTools(engineName);
  const hostEnv = HOST_ENV[engineName];
  let ws: TestWorkspace;
  let dir: string;
  let host: string;
  let daemon: ResultPromise | undefined;
  const remote = () => ({
    imageId: async (ref: string) => {
      const result = await execa(clientOf(engineName), ['image', 'inspect', '--format', '{{.Id}}', ref], {
        reject: false,
        env: { [hostEnv]: host },
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
    await assertEngineReady(engineName);
    dir = mkdtempSync(join(tmpdir(), `remote-${engineName}-`));
    host = `tcp://127.0.0.1:${await freePort()}`;
    ({ daemon } = await startRemoteEngine(engineName, dir, host));
    ws = createTestWorkspace(PREFIX);
    await local.removeRepositories(repositories);
  }, 60_000);

  afterAll(async () => {
    await stopRemote();
    await local.removeRepositories(repositories);
    ws?.remove();
    if (dir) removeEngineDir(dir);
  }, 60_000);

  it('builds into the remote store under the same tags (the address is no input); each store proves its images', async () => {
    const build = (env: Record<string, string> = {}) =>
      ws.nx(['run-many', '-t', 'build', '--output-style=stream'], { ...engineEnv(engineName), ...env });

    const locally = await build();
    expect(locally.exitCode, locally.output).toBe(0);
    const localRefs = ws.refs();
    const localIds = Object.fromEntries(CHAIN.map((name) => [name, ws.meta(name)?.imageId]));

    // The remote store lacks them: built there (the records name the local store, so nothing is "restored").
    const remotely = await build({ [hostEnv]: host });
    expect(remotely.exitCode, remotely.output).toBe(0);
    expect(ws.statuses()).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'built'])));
    expect(ws.refs()).toEqual(localRefs);
    for (const name of CHAIN) {
      const meta = ws.meta(name);
      expect(await remote().imageId(meta?.ref as string), name).toBe(meta?.imageId);
      // The local store's image under the same tag is left alone.
      expect(await local.imageId(meta?.ref as string), name).toBe(localIds[name]);
    }

    const again = await build({ [hostEnv]: host });
    expect(again.exitCode, again.output).toBe(0);
    expect(ws.statuses()).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'present'])));
    expect(ws.refs()).toEqual(localRefs);

    // Back to the local store: its images prove themselves by their hash label; none is rebuilt.
    const back = await build();
    expect(back.exitCode, back.output).toBe(0);
    expect(back.output).not.toMatch(/: building /);
    expect(ws.statuses()).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'present'])));
    expect(ws.refs()).toEqual(localRefs);
    for (const name of CHAIN) expect(ws.meta(name)?.imageId, name).toBe(localIds[name]);
  });

  it('names the remote endpoint when it stops answering, and records nothing for it', async () => {
    const before = ws.meta('base');
    await stopRemote();
    const result = await ws.nx(['run', 'base:build', '--output-style=stream'], { ...engineEnv(engineName), [hostEnv]: host });
    expect(result.exitCode, result.output).not.toBe(0);
    expect(result.output).toContain(`The ${engineName} engine is not reachable through ${hostEnv}=${host}`);
    expect(ws.meta('base')).toEqual(before);
  });
});
