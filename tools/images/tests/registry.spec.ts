import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEngineReady, ENGINES, engineEnv, engineTools } from './support/engine';
import { startPrivateEngine } from './support/private-engine';
import { startRegistry, type TestRegistry } from './support/registry';
import { CHAIN, changedImages, createTestWorkspace, type TestWorkspace } from './support/workspace';

/** Each image's status in the last run (its summary). */
const statuses = (ws: TestWorkspace) => ws.statuses();
const all = (status: string) => Object.fromEntries(CHAIN.map((name) => [name, status]));

/** The projects Nx says it runs the target for ("Running target build for N projects …" then "- name" lines). */
function projectsRun(output: string): string[] {
  const block = /Running target \S+ for \d+ projects?[^\n]*\n((?:\s*\n)?(?:\s*- [^\n]+\n)+)/.exec(output)?.[1] ?? '';
  return block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('- '))
    .map((l) => l.slice(2))
    .sort();
}

function enginesBuilt(output: string): string[] {
  return [...new Set([...output.matchAll(/^(?:[\w-]+: )?([\w-]+): building /gm)].map((m) => m[1]))].sort();
}

describe.each(ENGINES)('images are never claimed missing, and move between machines through a registry, on %s', (engineName) => {
  const PREFIX = `itest-reg-${engineName}`;
  const { run: engine, imageId, tagsOf, removeRepositories } = engineTools(engineName);
  const build = (ws: TestWorkspace, env?: Record<string, string | undefined>) =>
    ws.nx(['run-many', '-t', 'build', '--output-style=stream'], { ...engineEnv(engineName), ...env });
  const nx = (ws: TestWorkspace, args: string[], env?: Record<string, string | undefined>) =>
    ws.nx(args, { ...engineEnv(engineName), ...env });
  const dropLocalImages = () => removeRepositories(CHAIN.map((name) => `${PREFIX}/${name}`));
  const expectAllPresentInEngine = async (ws: TestWorkspace) => {
    for (const name of CHAIN) {
      const meta = ws.meta(name);
      expect(meta, `${name} has a record`).toBeDefined();
      expect(await imageId(meta?.ref as string), `${meta?.ref} is in the engine`).toBe(meta?.imageId);
      expect(await imageId(`${PREFIX}/${name}:latest`)).toBe(meta?.imageId);
    }
  };
  let registry: TestRegistry;
  let ws: TestWorkspace;
  let repo: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    await assertEngineReady(engineName);
    registry = await startRegistry(5001);
    repo = `${registry.address}/${PREFIX}`;
    env = { IMAGE_REGISTRY: repo };
    ws = createTestWorkspace(PREFIX);
    await dropLocalImages();
  });

  afterAll(async () => {
    await dropLocalImages();
    await removeRepositories(CHAIN.map((name) => `${repo}/${name}`));
    ws?.remove();
    await registry?.stop().catch(() => undefined);
  });

  it('builds all five with an empty registry, then `push` puts every hash tag there, with its provenance', async () => {
    const result = await build(ws, env);
    expect(result.exitCode, result.output).toBe(0);
    expect(statuses(ws)).toEqual(all('built'));
    const pushed = await nx(ws, ['run-many', '-t', 'push', '--output-style=stream'], env);
    expect(pushed.exitCode, pushed.output).toBe(0);
    for (const name of CHAIN) {
      const hash = ws.meta(name)?.hash as string;
      expect(await registry.tags(`${PREFIX}/${name}`)).toEqual([hash, `${hash}.provenance`]);
    }
  });

  it('pushes moving tags when asked', async () => {
    const pushed = await nx(ws, ['run', 'runner:push', '--tags=latest,git-abc1234', '--output-style=stream'], env);
    expect(pushed.exitCode, pushed.output).toBe(0);
    const hash = ws.meta('runner')?.hash as string;
    expect(await registry.tags(`${PREFIX}/runner`)).toEqual([hash, `${hash}.provenance`, 'git-abc1234', 'latest'].sort());
  });

  it('restores one image removed by hand, and says which and how', async () => {
    const before = ws.refs();
    const builder = ws.meta('builder');
    // By id, so every tag of it goes (the registry tag from the push included).
    const removed = await engine(['rmi', '--force', builder?.imageId as string]);
    expect(removed.exitCode, removed.all).toBe(0);
    expect(await imageId(builder?.ref as string)).toBeUndefined();
    const result = await build(ws);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toContain(
      `builder: ${builder?.ref} is recorded in dist/images/builder/image.json but missing from ${engineName}: restoring it`,
    );
    expect(result.output).toMatch(/builder: restored \(rebuilt\) /);
    expect(statuses(ws)).toEqual({ ...all('present'), builder: 'restored' });
    expect(ws.refs()).toEqual(before);
    await expectAllPresentInEngine(ws);
  });

  it('restores every image removed by hand, from the registry when it holds them', async () => {
    // builder was rebuilt above: push again, so the registry holds the very images the records name.
    const pushed = await nx(ws, ['run-many', '-t', 'push', '--output-style=stream'], env);
    expect(pushed.exitCode, pushed.output).toBe(0);
    await dropLocalImages();
    const result = await build(ws, env);
    expect(result.exitCode, result.output).toBe(0);
    expect(enginesBuilt(result.output)).toEqual([]);
    expect(statuses(ws)).toEqual(all('restored'));
    for (const name of CHAIN) expect(result.output).toContain(`${name}: restored ${ws.meta(name)?.ref} from ${repo}, no build needed`);
    await expectAllPresentInEngine(ws);
  });

  it('pulls all five on a fresh clone with an empty engine: no engine build (and a preview first says so, pulling nothing)', async () => {
    const fresh = createTestWorkspace(PREFIX);
    // Docker: the fresh clone reaches the engine through another address (as a laptop's socket differs
    // from a CI runner's); the tags are the same, so it pulls what the first pushed.
    const address =
      engineName === 'docker'
        ? { DOCKER_HOST: (process.env.DOCKER_HOST || 'unix:///var/run/docker.sock').replace(/\/([^/]+)$/, '//$1') }
        : {};
    try {
      await dropLocalImages();
      const preview = await build(fresh, { ...env, ...address, NX_IMAGES_PLAN: '1' });
      expect(preview.exitCode, preview.output).toBe(0);
      for (const name of CHAIN.filter((n) => n !== 'runner')) {
        expect(preview.output).toContain(`${name}: would pull ${repo}/${name}:${ws.meta(name)?.hash} (first build)`);
      }
      // runner is hashed on what it copies from builder, known only once builder is there: the preview says so.
      expect(preview.output).toMatch(
        /runner: would build \S+ \(first build\) \(after builder would pull; what it copies may change then\)/,
      );
      for (const name of CHAIN) expect(await tagsOf(`${PREFIX}/${name}`)).toEqual([]);
      expect(fresh.meta('base')).toBeUndefined();
      const result = await build(fresh, { ...env, ...address });
      expect(result.exitCode, result.output).toBe(0);
      expect(enginesBuilt(result.output)).toEqual([]);
      expect(statuses(fresh)).toEqual(all('pulled'));
      expect(fresh.refs()).toEqual(ws.refs());
      await expectAllPresentInEngine(fresh);
    } finally {
      fresh.remove();
    }
  });

  it('a second engine with its own store, reached through another address, pulls all five the first pushed: no build', async () => {
    const fresh = createTestWorkspace(PREFIX);
    const second = await startPrivateEngine(engineName);
    try {
      const result = await build(fresh, { ...env, ...second.env });
      expect(result.exitCode, result.output).toBe(0);
      expect(enginesBuilt(result.output)).toEqual([]);
      expect(statuses(fresh)).toEqual(all('pulled'));
      expect(fresh.refs()).toEqual(ws.refs());
    } finally {
      fresh.remove();
      await second.stop();
    }
  });

  it('a fresh runner with an app change imports layer cache from the registry: builder’s dependency step does not run again', async () => {
    const fresh = createTestWorkspace(PREFIX);
    // An empty engine of the test's own (no image, no layer cache): the user's engine and its cache are left alone.
    const empty = await startPrivateEngine(engineName);
    try {
      // Main's last build, made with the registry set (so docker embeds its layer cache), and
      // pushed with :latest (the cache docker imports first).
      ws.append('app/lib.py', `\n# main ${Date.now()}\n`);
      const main = await build(ws, env);
      expect(main.exitCode, main.output).toBe(0);
      const pushed = await nx(ws, ['run-many', '-t', 'push', '--tags=latest'], env);
      expect(pushed.exitCode, pushed.output).toBe(0);
      fresh.append('app/lib.py', '\n# a change only this runner has\n');
      const result = await build(fresh, { ...env, ...empty.env });
      expect(result.exitCode, result.output).toBe(0);
      expect(statuses(fresh)).toMatchObject({ base: 'pulled', 'base-builder': 'pulled', builder: 'built' });
      const dependencyStep =
        engineName === 'docker'
          ? /#(\d+) \[[^\]]*\] RUN --mount=type=secret,id=pip\.conf[\s\S]*?#\1 CACHED/
          : /RUN --mount=type=secret,id=pip\.conf[\s\S]*?--> Cache pulled from remote/;
      expect(result.output).toMatch(dependencyStep);
    } finally {
      fresh.remove();
      await empty.stop();
    }
  });

  it('builds only what a commit affects: app/ → builder and runner; images/base-runner/ → base-runner and runner', async () => {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ws.dir, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'start');
    const commit = (message: string) => {
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', message);
      return git('rev-parse', 'HEAD');
    };
    const start = git('rev-parse', 'HEAD');

    // Unique content: BuildKit must not serve the test step from an earlier run's cache.
    ws.append('app/lib.py', `\n# affected by this commit ${Date.now()}\n`);
    const appCommit = commit('app change');
    const app = await nx(ws, ['affected', '-t', 'build', `--base=${start}`, `--head=${appCommit}`, '--output-style=stream']);
    expect(app.exitCode, app.output).toBe(0);
    expect(projectsRun(app.output)).toEqual(['builder', 'runner']);
    expect(enginesBuilt(app.output)).toEqual(['builder', 'runner']);
    expect(app.output).toMatch(/test_greets_by_name .* ok/);

    ws.append('images/base-runner/Dockerfile', '\nLABEL org.ffreis.test=affected\n');
    const runnerCommit = commit('base-runner change');
    const baseRunner = await nx(ws, ['affected', '-t', 'build', `--base=${appCommit}`, `--head=${runnerCommit}`, '--output-style=stream']);
    expect(baseRunner.exitCode, baseRunner.output).toBe(0);
    expect(projectsRun(baseRunner.output)).toEqual(['base-runner', 'runner']);
    expect(enginesBuilt(baseRunner.output)).toEqual(['base-runner', 'runner']);
  });

  it('leaves nothing claimed after SIGTERM mid-build, and the rerun completes', async () => {
    // Unique, so the slow step really runs (an earlier run's layer cache would finish it at once).
    ws.append('images/builder/Dockerfile', `\nRUN echo ${Date.now()} && sleep 6\n`);
    const builderTags = await tagsOf(`${PREFIX}/builder`);
    const child = execa('node', [`${ws.dir}/node_modules/nx/dist/bin/nx.js`, 'run-many', '-t', 'build', '--output-style=stream'], {
      cwd: ws.dir,
      reject: false,
      all: true,
      env: { NX_DAEMON: 'false', NX_TUI: 'false', CI: 'true', ...engineEnv(engineName) },
    });
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`builder never started building:\n${seen}`)), 120_000);
      child.all?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (/builder: building /.test(seen) && /RUN echo \d+ && sleep 6/.test(seen)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    const interrupted = await child;
    expect(interrupted.exitCode === 0 && !interrupted.isTerminated).toBe(false);
    await new Promise((r) => setTimeout(r, 1000));
    expect(ws.meta('builder')).toBeUndefined();
    expect(await tagsOf(`${PREFIX}/builder`)).toEqual(builderTags);

    const rerun = await build(ws);
    expect(rerun.exitCode, rerun.output).toBe(0);
    expect(statuses(ws)).toMatchObject({ builder: 'built' });
    await expectAllPresentInEngine(ws);
  });

  it('finishes two concurrent full builds, both green, with correct images', async () => {
    ws.append('app/lib.py', '\n# concurrent change\n');
    const before = ws.refs();
    const [a, b] = await Promise.all([build(ws), build(ws)]);
    expect(a.exitCode, a.output).toBe(0);
    expect(b.exitCode, b.output).toBe(0);
    expect(changedImages(before, ws.refs())).toEqual(['builder', 'runner']);
    await expectAllPresentInEngine(ws);
  });

  it('cleans the registry-prefixed tags that push left of the same images, so the disk is freed', async () => {
    const pushed = await nx(ws, ['run', 'runner:push', '--tags=latest', '--output-style=stream'], env);
    expect(pushed.exitCode, pushed.output).toBe(0);
    const copies = async () => (await tagsOf(`${repo}/runner`)).filter((ref) => !ref.endsWith(':<none>'));
    expect((await copies()).length).toBeGreaterThan(0);
    const cleaned = await nx(ws, ['run', 'runner:clean', '--output-style=stream']);
    expect(cleaned.exitCode, cleaned.output).toBe(0);
    expect(await copies()).toEqual([]);
    expect(await tagsOf(`${PREFIX}/runner`)).toEqual([]);
  });

  it('names the registry and the next step when it is down, and builds locally on best effort', async () => {
    ws.append('app/lib.py', '\n# registry down\n');
    await registry.stop();
    const down = await build(ws, env);
    expect(down.exitCode).not.toBe(0);
    expect(down.output).toContain(`The registry ${repo} could not be reached to look for ${repo}/builder:`);
    expect(down.output).toContain('set IMAGE_REGISTRY_BEST_EFFORT=1');
    expect(ws.meta('builder')).toBeUndefined();

    const bestEffort = await build(ws, { ...env, IMAGE_REGISTRY_BEST_EFFORT: '1' });
    expect(bestEffort.exitCode, bestEffort.output).toBe(0);
    expect(bestEffort.output).toMatch(/builder: warning: The registry .* could not be reached/);
    expect(bestEffort.output).toContain('builder: IMAGE_REGISTRY_BEST_EFFORT is set: building locally.');
    expect(statuses(ws)).toMatchObject({ builder: 'built', runner: 'built' });
  });
});
