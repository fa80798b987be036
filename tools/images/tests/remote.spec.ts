import { execa, type ResultPromise } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEngineReady, clientOf, ENGINES, engineEnv, engineTools } from './support/engine';
import { freePort, HOST_ENV, removeEngineDir, startRemoteEngine } from './support/private-engine';
import { CHAIN, createTestWorkspace, type TestWorkspace } from './support/workspace';

const PREFIX = 'itest-remote';
const repositories = CHAIN.map((name) => `${PREFIX}/${name}`);
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
