import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEngineReady, ENGINES, engineEnv, engineTools } from './support/engine';
import { CHAIN, createTestWorkspace, type TestWorkspace } from './support/workspace';

const PREFIX = 'itest-engines';
const docker = engineTools('docker');
const podman = engineTools('podman');
/** Each image's status in the last run (its summary). */
const statuses = (ws: TestWorkspace) => ws.statuses();
const all = (status: string) => Object.fromEntries(CHAIN.map((name) => [name, status]));
const repositories = CHAIN.map((name) => `${PREFIX}/${name}`);
// The docker errors run with the docker suites (npm test); what needs podman, beside docker or
// alone, runs with the podman suites (npm run test:podman, in CI): each is registered in one run.
const withDocker = ENGINES.includes('docker') ? it : undefined;
const withPodman = ENGINES.includes('podman') ? it : undefined;

describe('docker and podman side by side, and engine errors that say what to do', () => {
  let ws: TestWorkspace;

  beforeAll(async () => {
    await assertEngineReady('docker');
    if (withPodman) await assertEngineReady('podman');
    ws = createTestWorkspace(PREFIX);
    await docker.removeRepositories(repositories);
    if (withPodman) await podman.removeRepositories(repositories);
  });

  afterAll(async () => {
    await docker.removeRepositories(repositories);
    if (withPodman) await podman.removeRepositories(repositories);
    ws?.remove();
  });

  withPodman?.(
    'never claims an image from the other engine’s store: docker, then podman builds its own, then docker is present again',
    async () => {
      const build = (engineName: 'docker' | 'podman') => ws.nx(['run-many', '-t', 'build', '--output-style=stream'], engineEnv(engineName));
      const first = await build('docker');
      expect(first.exitCode, first.output).toBe(0);
      expect(statuses(ws)).toEqual(all('built'));
      const dockerRefs = ws.refs();

      const second = await build('podman');
      expect(second.exitCode, second.output).toBe(0);
      expect(statuses(ws)).toEqual(all('built'));
      for (const name of CHAIN) {
        expect(ws.meta(name)?.engine).toBe('podman');
        expect(ws.meta(name)?.ref).not.toBe(dockerRefs[name]);
        expect(await podman.imageId(ws.meta(name)?.ref as string)).toBe(ws.meta(name)?.imageId);
      }

      const third = await build('docker');
      expect(third.exitCode, third.output).toBe(0);
      expect(statuses(ws)).toEqual(all('present'));
      expect(ws.refs()).toEqual(dockerRefs);
    },
  );

  withDocker?.('says the client is missing when CONTAINER_CLIENT points nowhere', async () => {
    const result = await ws.nx(['run', 'base:build'], { CONTAINER_CLIENT: '/nonexistent/docker' });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('The docker client "/nonexistent/docker" was not found.');
    expect(result.output).toContain('CONTAINER_CLIENT');
  });

  withPodman?.('says podman is missing when its client is not there', async () => {
    // Nx puts node's own folder (here /usr/bin, podman's too) on the PATH of every command it
    // runs, so the missing client is named through CONTAINER_CLIENT.
    const result = await ws.nx(['run', 'base:build'], { CONTAINER_ENGINE: 'podman', CONTAINER_CLIENT: '/nonexistent/podman' });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('The podman client "/nonexistent/podman" was not found.');
    expect(result.output).toContain('apt-get install podman');
  });

  withDocker?.('names DOCKER_HOST when the daemon is unreachable, before any build', async () => {
    const result = await ws.nx(['run-many', '-t', 'build'], { DOCKER_HOST: 'unix:///tmp/nowhere.sock' });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('The docker engine is not reachable through DOCKER_HOST=unix:///tmp/nowhere.sock');
    expect(result.output).toContain('Start the daemon');
    expect(result.output).not.toMatch(/: building /);
  });

  withDocker?.(
    'stops with ENGINE_UNRESPONSIVE when the daemon takes connections but never answers, instead of hanging',
    async () => {
      // A socket that accepts every connection and answers none: a stuck daemon, for the real client.
      const dir = mkdtempSync(join(tmpdir(), 'stuck-engine-'));
      const socket = join(dir, 'docker.sock');
      const held: Socket[] = [];
      const server = createServer((connection) => void held.push(connection));
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      try {
        const result = await ws.nx(['run', 'base:build'], { DOCKER_HOST: `unix://${socket}`, IMAGE_ENGINE_TIMEOUT: '2' });
        expect(result.exitCode).not.toBe(0);
        expect(result.output).toMatch(
          new RegExp(`The docker engine did not answer \`\\S+ [^\`]+\` within 2 s \\(DOCKER_HOST=unix://${socket}\\)`),
        );
        expect(result.output).toContain('IMAGE_ENGINE_TIMEOUT sets the seconds allowed');
        expect(result.output).toContain('[ENGINE_UNRESPONSIVE]');
        expect(result.durationMs).toBeLessThan(60_000);
      } finally {
        for (const connection of held) connection.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    },
    120_000,
  );

  withDocker?.('says when only the legacy builder is there, and what to install, then builds with it', async () => {
    const legacyClient = '/usr/local/bin/docker';
    expect(existsSync(legacyClient), `${legacyClient} (a docker client without buildx) is part of this machine image`).toBe(true);
    const saved = ws.read('images/base/Dockerfile');
    ws.write('images/base/Dockerfile', `${saved}LABEL org.ffreis.test=legacy-builder\n`);
    try {
      const result = await ws.nx(['run', 'base:build', '--output-style=stream'], { CONTAINER_CLIENT: legacyClient });
      expect(result.exitCode, result.output).toBe(0);
      expect(result.output).toMatch(
        /base: building \S+ with the legacy builder: the docker client "\/usr\/local\/bin\/docker" \(\d+\.[\d.]+\) has no buildx plugin, so BuildKit is off\. Install buildx \(Debian: apt-get install docker-buildx\)/,
      );
      expect(ws.meta('base')?.status).toBe('built');
    } finally {
      ws.write('images/base/Dockerfile', saved);
    }
  });

  withDocker?.('refuses BuildKit syntax on a client with only the legacy builder, naming file:line and what to install', async () => {
    const legacyClient = '/usr/local/bin/docker';
    expect(existsSync(legacyClient), `${legacyClient} (a docker client without buildx) is part of this machine image`).toBe(true);
    ws.write(
      'images/cached/Dockerfile',
      'ARG BASE_IMAGE=itest-engines/base\nFROM ${BASE_IMAGE}\nRUN --mount=type=tmpfs,target=/scratch true\n',
    );
    try {
      const result = await ws.nx(['run', 'cached:build', '--output-style=stream'], { CONTAINER_CLIENT: legacyClient });
      expect(result.exitCode).not.toBe(0);
      expect(result.output).toContain("images/cached/Dockerfile:3 uses RUN --mount, which the engine's builder cannot read.");
      expect(result.output).toContain(`The docker client "${legacyClient}"`);
      expect(result.output).toContain('apt-get install docker-buildx');
      expect(result.output).not.toMatch(/cached: building /);
    } finally {
      ws.removePath('images/cached');
    }
  });

  withPodman?.('says which containers.conf setting fixes podman’s rlimit failure on run', async () => {
    const emptyConf = join(mkdtempSync(join(tmpdir(), 'conf-')), 'containers.conf');
    writeFileSync(emptyConf, '# no ulimits\n');
    const result = await ws.nx(['run', 'runner:run', '--output-style=stream'], { ...engineEnv('podman'), CONTAINERS_CONF: emptyConf });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('podman could not start the container');
    expect(result.output).toContain('default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]');
  });

  withPodman?.('runs the app on podman as uid 10001 with the workspace’s containers.conf', async () => {
    const result = await ws.nx(['run', 'runner:run', '--output-style=stream'], engineEnv('podman'));
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toContain('running as uid=10001 gid=10001');
  });
});
