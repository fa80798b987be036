import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runBuild } from '../src/executors/build/executor';
import { assertEngineReady, clientOf, ENGINES, engineEnv, engineTools } from './support/engine';
import { startRegistry, type TestRegistry } from './support/registry';
import { CHAIN, createTestWorkspace, REPO_ROOT, type TestWorkspace } from './support/workspace';

const CANARY = 'canary-0b9f4e-never-in-an-image';
/** Credential files beyond .env and keys: the default .dockerignore keeps each out of the context. */
const CREDENTIAL_FILES = [
  '.git-credentials',
  '.dockercfg',
  '.envrc',
  'id_dsa',
  'credentials.json',
  'service-account-prod.json',
  'secrets.yaml',
  'prod.env',
  '.kube/config',
  '.azure/accessTokens.json',
  '.config/gcloud/credentials.db',
  '.gnupg/private-keys-v1.d/key',
];

describe.each(ENGINES)('what is reused is trusted, and nothing secret leaks, on %s', (engineName) => {
  const PREFIX = `itest-trust-${engineName}`;
  const tools = engineTools(engineName);
  const env = engineEnv(engineName);
  const build = (ws: TestWorkspace, extra: Record<string, string | undefined> = {}, args: string[] = ['run-many', '-t', 'build']) =>
    ws.nx([...args, '--output-style=stream'], { ...env, ...extra });
  let ws: TestWorkspace;
  let registry: TestRegistry;
  const repositories = () => CHAIN.flatMap((name) => [`${PREFIX}/${name}`, `${registry.address}/${PREFIX}/${name}`]);

  beforeAll(async () => {
    await assertEngineReady(engineName);
    registry = await startRegistry(engineName === 'docker' ? 5006 : 5007);
    ws = createTestWorkspace(PREFIX);
    // Secrets a careless checkout holds next to the app: none may reach an image.
    ws.write('app/.env', `API_TOKEN=${CANARY}\n`);
    ws.write('app/.git/config', '[core]\n\trepositoryformatversion = 0\n');
    ws.write('app/deploy.key', '-----BEGIN PRIVATE KEY-----\n');
    // The usual credential files of a developer's checkout and of cloud CLIs, each holding the canary.
    for (const file of CREDENTIAL_FILES) ws.write(`app/${file}`, `${CANARY}\n`);
    await tools.removeRepositories(repositories());
  });

  afterAll(async () => {
    await tools.removeRepositories(repositories());
    ws?.remove();
    await registry?.stop().catch(() => undefined);
  });

  it('builds the chain with a pip.conf build secret that stays out of every layer and the history', async () => {
    const secretDir = mkdtempSync(join(tmpdir(), 'secret-'));
    const pipConf = join(secretDir, 'pip.conf');
    writeFileSync(pipConf, `[global]\nindex-url = https://user:${CANARY}@pypi.internal.example/simple\n`);
    chmodSync(pipConf, 0o600);
    try {
      const result = await build(ws, { IMAGE_BUILD_SECRETS: `pip.conf=${pipConf}` });
      expect(result.exitCode, result.output).toBe(0);
      expect(result.output).toContain('pip: using the index configured by the pip.conf secret');
      expect(result.output).toContain('(secrets: pip.conf)');
      expect(result.output).not.toContain(CANARY);
      for (const name of ['builder', 'runner']) {
        const ref = ws.meta(name)?.ref as string;
        const history = await tools.run(['history', '--no-trunc', ref]);
        expect(history.exitCode, history.all).toBe(0);
        expect(history.all).not.toContain(CANARY);
        // Saved layers are plain tars: a file holding the canary would show in the stream.
        const saved = await execa('sh', ['-c', `${clientOf(engineName)} save ${ref} | grep -ac ${CANARY} || true`], { reject: false });
        expect(String(saved.stdout).trim(), `${CANARY} in the layers of ${ref}`).toBe('0');
      }
      expect(JSON.stringify(ws.meta('builder'))).not.toContain(CANARY);
    } finally {
      rmSync(secretDir, { recursive: true, force: true });
    }
  });

  it('keeps .env, .git and key files out of the runner, which is root-owned and read-only to the app’s user', async () => {
    const probe = await tools.run([
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      ws.meta('runner')?.ref as string,
      '-c',
      'ls -A /app; grep -rl canary /app /opt/venv 2>/dev/null; echo end',
    ]);
    expect(probe.stdout.trim().split('\n')).toEqual(['lib.py', 'main.py', 'requirements.lock', 'end']);
    const test = await ws.nx(['run', 'runner:test', '--output-style=stream'], env);
    expect(test.exitCode, test.output).toBe(0);
    expect(test.output).toContain('✓ command "no dotfiles, VCS folders or secret files in /app"');
    expect(test.output).toContain('✓ command "the app and the venv are read-only for uid 10001"');
  });

  it('does not reuse a hash tag retagged by hand to another image: it says what it found, rebuilds, and test passes', async () => {
    const runner = ws.meta('runner');
    const base = ws.meta('base');
    expect((await tools.run(['tag', base?.ref as string, runner?.ref as string])).exitCode).toBe(0);
    const result = await build(ws);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(
      new RegExp(`runner: ${runner?.ref} holds image [0-9a-f]{12} labelled for hash ${base?.hash}, not this hash's build: not reusing it`),
    );
    expect(ws.meta('runner')?.status).toBe('built');
    expect(await tools.imageId(`${PREFIX}/runner:latest`)).toBe(ws.meta('runner')?.imageId);
    expect(ws.meta('runner')?.imageId).not.toBe(base?.imageId);
    const test = await ws.nx(['run', 'runner:test', '--output-style=stream', '--skip-nx-cache'], env);
    expect(test.exitCode, test.output).toBe(0);
  });

  it('does not restore a forged image from the registry: checked after the pull, then rebuilt', async () => {
    const runner = ws.meta('runner');
    const base = ws.meta('base');
    const forged = `${registry.address}/${PREFIX}/runner:${runner?.hash}`;
    expect((await tools.run(['tag', base?.ref as string, forged])).exitCode).toBe(0);
    expect((await tools.run(['push', forged])).exitCode).toBe(0);
    await tools.removeRepositories([`${PREFIX}/runner`, `${registry.address}/${PREFIX}/runner`]);
    const result = await build(ws, { IMAGE_REGISTRY: `${registry.address}/${PREFIX}` });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(
      new RegExp(
        `runner: ${registry.address}/${PREFIX}/runner:${runner?.hash} holds image [0-9a-f]{12} labelled for hash ${base?.hash}, ` +
          `not this hash's build: not reusing it, building instead`,
      ),
    );
    expect(ws.meta('runner')?.status).toBe('restored');
    expect(await tools.imageId(runner?.ref as string)).toBe(ws.meta('runner')?.imageId);
    expect(ws.meta('runner')?.imageId).not.toBe(base?.imageId);
  });

  it('redacts credentials in a registry setting from every message', async () => {
    const result = await build(ws, { IMAGE_REGISTRY: `user:${CANARY}@host/x` }, ['run', 'base:push']);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('Registry "***@host/x"');
    expect(result.output).not.toContain(CANARY);
  });

  it('exits 1 when a build fails; the summary lists every image, skipped ones with the reason (daemon on: 130 on Nx 23.3)', async () => {
    const saved = ws.read('app/tests/test_lib.py');
    ws.write('app/tests/test_lib.py', saved.replace('"Hello, Nx!"', '"Hello, broken!"'));
    // With the daemon on, the summary hook runs in the daemon and cannot change the exit code:
    // Nx 23.3 gives 130 for a run with skipped tasks, Nx 24 gives 1 (.ci/nx24.sh checks that one).
    const nxMajor = Number((JSON.parse(ws.read('node_modules/nx/package.json')) as { version: string }).version.split('.')[0]);
    try {
      for (const daemon of ['false', 'true']) {
        // Through a pipe, as in a terminal or a CI runner: the daemon writes the summary to it.
        const result = await ws.nx(['run-many', '-t', 'build', '--output-style=stream'], { ...env, NX_DAEMON: daemon }, true);
        expect(result.exitCode, `daemon ${daemon}: ${result.output}`).toBe(daemon === 'true' && nxMajor < 24 ? 130 : 1);
        const summary = result.output.slice(result.output.lastIndexOf('Images:'));
        expect(summary, `daemon ${daemon}`).toMatch(/\n {2}builder +failed .*\(its output is above\)\n/);
        expect(summary, `daemon ${daemon}`).toMatch(/\n {2}runner +skipped .*\(parent builder failed\)\n/);
        expect(summary).toMatch(/total: 5 images \(.*1 failed.*1 skipped.*\)|total: 5 images \(.*1 skipped.*1 failed.*\)/);
      }
    } finally {
      await ws.nx(['daemon', '--stop']);
      ws.write('app/tests/test_lib.py', saved);
    }
  });

  it('never waits forever on a lock: says who holds it, then gives up after IMAGE_LOCK_TIMEOUT', async () => {
    // An image that must be built (a present one never waits: its fast path takes no lock).
    ws.write('images/locked/Dockerfile', `ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM \${BASE_IMAGE}@\${BASE_DIGEST}\nRUN echo ${Date.now()}\n`);
    const dir = join(ws.dir, 'dist/images/locked');
    const holder = execa(
      process.execPath,
      [
        '-e',
        `
      const { lock } = require(${JSON.stringify(join(REPO_ROOT, 'node_modules/proper-lockfile'))});
      const fs = require('fs');
      fs.mkdirSync(${JSON.stringify(dir)}, { recursive: true });
      const options = { lockfilePath: ${JSON.stringify(join(dir, '.lock'))}, stale: 10000, update: 2000, realpath: false };
      lock(${JSON.stringify(dir)}, options).then(() => {
        const holder = { pid: process.pid, host: 'other-run', since: new Date().toISOString() };
        fs.writeFileSync(${JSON.stringify(join(dir, '.lock-holder.json'))}, JSON.stringify(holder));
        console.log('locked');
        setTimeout(() => process.exit(0), 60000);
      });
    `,
      ],
      { reject: false, all: true },
    );
    try {
      await new Promise<void>((resolve) => holder.all?.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));
      for (const style of ['stream', 'static']) {
        const result = await ws.nx(['run', 'locked:build', `--output-style=${style}`], { ...env, IMAGE_LOCK_TIMEOUT: '8' });
        expect(result.exitCode, result.output).not.toBe(0);
        expect(result.output).toMatch(/locked: waiting for the lock dist\/images\/locked\/\.lock, held by pid \d+ on other-run since /);
        expect(result.output).toMatch(
          /locked: gave up after 8 s waiting for the lock dist\/images\/locked\/\.lock, held by pid \d+ on other-run/,
        );
        expect(result.output).toContain('[LOCK_TIMEOUT]');
      }
    } finally {
      holder.kill();
      await holder;
    }
    // A lock left by a dead run (its holder gone, the lock no longer refreshed) is taken over.
    await new Promise((r) => setTimeout(r, 11_000));
    const after = await ws.nx(['run', 'locked:build', '--output-style=stream'], env);
    expect(after.exitCode, after.output).toBe(0);
    ws.removePath('images/locked');
  });

  it('refuses a client that claims success without producing an image', async () => {
    const result = await ws.nx(['run', 'base:build', '--output-style=stream'], { ...env, CONTAINER_CLIENT: '/bin/true' });
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('answered `image inspect');
    expect(result.output).toContain('with success but no image id');
    expect(result.output).not.toMatch(/base: present/);
  });

  if (engineName === 'docker') {
    it('names an engine that goes away mid-build, not the Dockerfile', async () => {
      // The client reaches the daemon through a proxy socket, which is cut while a step runs.
      const dir = mkdtempSync(join(tmpdir(), 'proxy-'));
      const socket = join(dir, 'docker.sock');
      const sockets = new Set<Socket>();
      const proxy: Server = createServer((client) => {
        const upstream = createConnection('/var/run/docker.sock');
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(socket, resolve));
      ws.write(
        'images/slow/Dockerfile',
        `ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM \${BASE_IMAGE}@\${BASE_DIGEST}\nRUN echo ${Date.now()} && sleep 20\n`,
      );
      try {
        const child = ws.nx(['run', 'slow:build', '--output-style=stream'], { ...env, DOCKER_HOST: `unix://${socket}` });
        await new Promise((r) => setTimeout(r, 9_000));
        proxy.close();
        for (const s of sockets) s.destroy();
        const result = await child;
        expect(result.exitCode).not.toBe(0);
        expect(result.output).toContain(
          'The docker engine stopped answering while "slow" was building, so this is not a failure of the Dockerfile',
        );
        expect(result.output).toContain(`DOCKER_HOST=unix://${socket}`);
        expect(result.output).toContain('[ENGINE_DIED]');
        expect(result.output).not.toContain('Fix the failing step');
      } finally {
        proxy.close();
        ws.removePath('images/slow');
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe.each(ENGINES)('a build whose parent proves not to be its hash’s build, on %s', (engineName) => {
  const PREFIX = `itest-parent-${engineName}`;
  const tools = engineTools(engineName);
  const repositories = [`${PREFIX}/parent`, `${PREFIX}/child`];
  let root: string;

  beforeAll(async () => {
    await assertEngineReady(engineName);
    root = mkdtempSync(join(tmpdir(), 'parent-check-'));
    await tools.removeRepositories(repositories);
  });

  afterAll(async () => {
    await tools.removeRepositories(repositories);
    rmSync(root, { recursive: true, force: true });
  });

  it('is taken back: no hash tag, :latest back on the last recorded image, no record', async () => {
    const write = (path: string, text: string) => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    const build = async (file: string, hash: string, tag: string, args: string[] = []) => {
      const result = await tools.run([
        'build',
        ...args,
        '--label',
        `org.ffreis.nx-hash=${hash}`,
        '--tag',
        tag,
        '--file',
        join(root, file),
        root,
      ]);
      expect(result.exitCode, result.all).toBe(0);
      return (await tools.imageId(tag)) as string;
    };
    write('images/parent/Dockerfile', 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n');
    // The parent's record says hash 1; its tag holds an image labelled for hash 2 (retagged during the run).
    await build('images/parent/Dockerfile', '2', `${PREFIX}/parent:1`, [
      '--build-arg',
      `BASE_IMAGE=${process.env.BASE_IMAGE}`,
      '--build-arg',
      `BASE_DIGEST=${process.env.BASE_DIGEST}`,
    ]);
    // Records of the schema's shape (records/schemas.ts).
    const record = (fields: Record<string, unknown>) =>
      JSON.stringify({
        latest: 'x:latest',
        imageId: `sha256:${'0'.repeat(64)}`,
        parents: [],
        sizeBytes: 1,
        durationMs: 1,
        status: 'built',
        engine: engineName,
        finishedAt: new Date().toISOString(),
        ...fields,
      });
    write('dist/images/parent/image.json', record({ name: 'parent', ref: `${PREFIX}/parent:1`, hash: '1' }));
    // The child's last build: hash 41, under :latest too, and recorded.
    write('images/child/Dockerfile', `ARG PARENT_IMAGE\nFROM \${PARENT_IMAGE}\nRUN echo ${Date.now()} > /built\n`);
    const last = await build('images/child/Dockerfile', '41', `${PREFIX}/child:41`, ['--build-arg', `PARENT_IMAGE=${PREFIX}/parent:1`]);
    expect((await tools.run(['tag', `${PREFIX}/child:41`, `${PREFIX}/child:latest`])).exitCode).toBe(0);
    write('dist/images/child/image.json', record({ name: 'child', ref: `${PREFIX}/child:41`, hash: '41', imageId: last }));

    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.join(' ')));
    for (const [key, value] of Object.entries({ ...engineEnv(engineName), NX_TASK_HASH: '42', NX_INVOCATION_ROOT_PID: '' }))
      vi.stubEnv(key, value);
    let ok: boolean;
    try {
      ok = await runBuild(
        {
          name: 'child',
          prefix: PREFIX,
          dockerfile: 'images/child/Dockerfile',
          context: 'images/child',
          outputDir: 'dist/images',
          parents: [{ name: 'parent', arg: 'PARENT_IMAGE' }],
          engine: engineName,
          client: clientOf(engineName),
        },
        root,
        process.env,
      );
    } finally {
      spy.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(ok).toBe(false);
    const message = errors.join('\n');
    expect(message).toContain(`${PREFIX}/parent:1 is not in ${engineName}'s store as that hash's build when its build ended`);
    expect(message).toContain(
      `${PREFIX}/child:42 is removed and ${PREFIX}/child:latest is back on ${last.replace('sha256:', '').slice(0, 12)}`,
    );
    expect(message).toContain('[PARENT_NOT_BUILT]');
    expect(await tools.imageId(`${PREFIX}/child:42`)).toBeUndefined();
    expect(await tools.imageId(`${PREFIX}/child:latest`)).toBe(last);
    expect(existsSync(join(root, 'dist/images/child/image.json'))).toBe(false);
    expect(existsSync(join(root, 'dist/images/child/stamp'))).toBe(false);
  });
});
