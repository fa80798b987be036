import { execa, execaSync, type ResultPromise } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineName } from '../../src/core/options';
import { clientOf } from './engine';

/** The variable that points each engine's client at a remote engine. */
export const HOST_ENV = { docker: 'DOCKER_HOST', podman: 'CONTAINER_HOST' } as const;

/** A port nothing listens on now, for the second engine. */
export async function freePort(): Promise<number> {
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
export async function startRemoteEngine(engineName: EngineName, dir: string, host: string): Promise<{ daemon: ResultPromise }> {
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
export function removeEngineDir(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((point) => point && (point === dir || point.startsWith(`${dir}/`)))
    .sort()
    .reverse();
  for (const point of mounts) execaSync('umount', ['-l', point], { reject: false });
  rmSync(dir, { recursive: true, force: true });
}

/** A running private engine: the environment that reaches it, and how to stop it and remove its store. */
export interface PrivateEngine {
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * An engine of the test's own, with its own store and layer cache, reached over TCP on
 * 127.0.0.1: a test that needs an empty engine empties this one, never the user's.
 */
export async function startPrivateEngine(engineName: EngineName): Promise<PrivateEngine> {
  const dir = mkdtempSync(join(tmpdir(), `private-${engineName}-`));
  const host = `tcp://127.0.0.1:${await freePort()}`;
  const { daemon } = await startRemoteEngine(engineName, dir, host);
  return {
    env: { [HOST_ENV[engineName]]: host },
    async stop() {
      daemon.kill('SIGTERM');
      await daemon;
      removeEngineDir(dir);
    },
  };
}
