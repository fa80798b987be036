import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assertEngineReady, engine as docker, ENGINES, engineEnv, engineTools, loggingClient } from './support/engine';
import { CHAIN, changedImages, createTestWorkspace, type TestWorkspace } from './support/workspace';
import { SCRATCH_LABEL } from '../src/core/naming';

/** Each image's status in the last run (its summary). */
const statuses = (ws: TestWorkspace) => ws.statuses();

/** Each image's "why" in the last run's summary (none for a present image). */
function reasons(ws: TestWorkspace): Record<string, string | undefined> {
  const summary = JSON.parse(ws.read('dist/images/summary.json')) as { images: { name: string; reason?: string }[] };
  return Object.fromEntries(summary.images.map((i) => [i.name, i.reason]));
}

/** Pushes a variant of the pinned upstream (same rootfs, one label) and returns its repository and digest. */
async function pushUpstreamVariant(label: string): Promise<{ image: string; digest: string }> {
  const registry = (process.env.BASE_IMAGE as string).split('/')[0];
  const image = `${registry}/debian:variant-${label}`;
  const dockerfile = `FROM ${process.env.BASE_IMAGE}@${process.env.BASE_DIGEST}\nLABEL org.ffreis.test.variant=${label}\n`;
  const built = await docker(['build', '-t', image, '-'], { input: dockerfile, env: { DOCKER_BUILDKIT: '0' } });
  expect(built.exitCode, built.all).toBe(0);
  const pushed = await docker(['push', image]);
  expect(pushed.exitCode, pushed.all).toBe(0);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.all)?.[1];
  expect(digest, pushed.all).toBeDefined();
  return { image, digest: digest as string };
}

describe.each(ENGINES)('the five-image chain on %s', (engineName) => {
  let ws: TestWorkspace;
  let cold: Record<string, string | undefined>;
  const { run: engine, imageId, tagsOf, removeRepositories } = engineTools(engineName);
  const timings: Record<string, number> = {};
  const build = (workspace: TestWorkspace, env?: Record<string, string | undefined>, viaPipe = false) =>
    workspace.nx(['run-many', '-t', 'build', '--output-style=stream'], { ...engineEnv(engineName), ...env }, viaPipe);

  beforeAll(async () => {
    await assertEngineReady(engineName);
    ws = createTestWorkspace(`itest-chain-${engineName}`);
    await removeRepositories(CHAIN.map((name) => `${ws.prefix}/${name}`));
  });

  afterAll(async () => {
    console.log(`chain timings on ${engineName} (ms): ${JSON.stringify(timings)}`);
    if (ws) {
      await removeRepositories(CHAIN.map((name) => `${ws.prefix}/${name}`));
      ws.remove();
    }
  });

  it('builds all five cold, tagged with their hash and :latest', async () => {
    const result = await build(ws);
    timings.cold = result.durationMs;
    expect(result.exitCode, result.output).toBe(0);
    expect(statuses(ws)).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'built'])));
    expect(reasons(ws)).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'first build'])));
    for (const name of CHAIN) {
      const meta = ws.meta(name);
      expect(meta?.ref).toBe(`${ws.prefix}/${name}:${meta?.hash}`);
      expect(await imageId(meta?.ref as string)).toBe(meta?.imageId);
      expect(await imageId(`${ws.prefix}/${name}:latest`)).toBe(meta?.imageId);
      expect(meta?.engine).toBe(engineName);
      // What the shell fast path may claim next time, one value per line (records/metadata.ts).
      const [id, ref, label, key, client, stampedEngine, end] = ws.read(`dist/images/${name}/stamp`).split('\n');
      expect({ id, ref, label, client: client.split('/').pop(), engine: stampedEngine, end }).toEqual({
        id: meta?.imageId,
        ref: meta?.ref,
        label: meta?.hash,
        client: engineName,
        engine: engineName,
        end: '',
      });
      expect(key.split('|')).toHaveLength(10);
    }
    expect(
      ws
        .meta('runner')
        ?.parents.map((p) => p.ref)
        .sort(),
    ).toEqual([ws.meta('base-runner')?.ref, ws.meta('builder')?.ref].sort());
    cold = ws.refs();
  });

  it('runs the app from the runner image as uid 10001', async () => {
    const result = await engine(['run', '--rm', `${ws.prefix}/runner:latest`, 'Nx']);
    expect(result.exitCode, result.all).toBe(0);
    expect(result.stdout.split('\n')).toEqual(['Hello, Nx!', 'running as uid=10001 gid=10001']);
  });

  it('ships a runner with no pip, no compiler, no tests and no apt lists', async () => {
    const probe = [
      'python -m pip --version >/dev/null 2>&1 && echo pip-present',
      'ls /opt/venv/bin | grep -q "^pip" && echo pip-script',
      'for c in gcc cc g++ make; do command -v $c >/dev/null 2>&1 && echo compiler-$c; done',
      'test -e /app/tests && echo tests-present',
      'find / -xdev -name "test_*.py" -path "*/app/*" 2>/dev/null | grep -q . && echo test-files',
      'test -n "$(ls -A /var/lib/apt/lists 2>/dev/null)" && echo apt-lists',
      'test -f /app/main.py && test -f /app/lib.py && echo app-present',
      'id -u',
    ].join('; ');
    const result = await engine(['run', '--rm', '--entrypoint', 'sh', `${ws.prefix}/runner:latest`, '-c', probe]);
    expect(result.stdout.trim().split('\n')).toEqual(['app-present', '10001']);
  });

  it('makes no engine build on a second run: every image is present', async () => {
    const result = await build(ws);
    timings.noop = result.durationMs;
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).not.toMatch(/: building /);
    expect(statuses(ws)).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'present'])));
    expect(reasons(ws)).toEqual(Object.fromEntries(CHAIN.map((name) => [name, undefined])));
    expect(ws.refs()).toEqual(cold);
  });

  it('takes an emptied or garbage image.json as no record: says so, then checks the image and writes it again, no build', async () => {
    const saved = ws.read('dist/images/runner/image.json');
    ws.write('dist/images/runner/image.json', 'garbage {');
    const first = await build(ws);
    expect(first.exitCode, first.output).toBe(0);
    expect(reasons(ws).runner).toMatch(/dist\/images\/runner\/image\.json is missing or unreadable: the next run checks the image/);
    const second = await build(ws);
    expect(second.exitCode, second.output).toBe(0);
    expect(second.output).not.toMatch(/: building /);
    expect(statuses(ws).runner).toBe('present');
    expect(ws.meta('runner')).toMatchObject({ ref: JSON.parse(saved).ref, imageId: JSON.parse(saved).imageId });
    expect(ws.refs()).toEqual(cold);
  });

  it('writes a damaged exports.json again before runner hashes it: builder and runner stay present, no false reason', async () => {
    const saved = ws.read('dist/images/builder/exports.json');
    ws.write('dist/images/builder/exports.json', saved.replace(/sha256:[0-9a-f]/, 'sha256:x'));
    const result = await build(ws);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).not.toMatch(/: building /);
    expect(statuses(ws)).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'present'])));
    expect(ws.read('dist/images/builder/exports.json')).toBe(saved);
    expect(ws.refs()).toEqual(cold);
  });

  it('asks the engine twice on a no-op run, with the Nx daemon off and on: one listing and one label inspect for all images', async () => {
    const logged = loggingClient(engineName);
    try {
      for (const daemon of ['false', 'true']) {
        await build(ws, { CONTAINER_CLIENT: logged.client, NX_DAEMON: daemon }); // the daemon starts with this client
        logged.reset();
        // Through a pipe, as in a terminal or a CI runner: with the daemon on, the summary is written to the command's output.
        const result = await build(ws, { CONTAINER_CLIENT: logged.client, NX_DAEMON: daemon }, true);
        expect(result.exitCode, result.output).toBe(0);
        // One listing, and beside it one inspect of the images' :latest for their hash labels.
        expect(logged.calls().sort(), `daemon ${daemon}`).toEqual([
          expect.stringMatching(/^image inspect --format \{\{\.Id\}\} .*org\.ffreis\.nx-hash.*( \S+\/[\w-]+:latest){5}$/),
          expect.stringMatching(/^images --no-trunc --filter label=org\.ffreis\.nx-hash /),
        ]);
        expect(ws.refs()).toEqual(cold);
        // The summary reaches the command's output with the daemon on too (the hook runs in the daemon).
        expect(result.output, `daemon ${daemon}`).toMatch(/Images:\n[^]*\n {2}total: 5 images \(5 present\) in \d+\.\d s\n/);
      }
    } finally {
      await ws.nx(['daemon', '--stop']);
      logged.remove();
    }
    expect(statuses(ws)).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'present'])));
  });

  it('takes the view with this run’s client even when the Nx daemon was started with another', async () => {
    const daemons = loggingClient(engineName);
    const ours = loggingClient(engineName);
    try {
      await build(ws, { CONTAINER_CLIENT: daemons.client, NX_DAEMON: 'true' }); // the daemon starts with this client
      daemons.reset();
      const result = await build(ws, { CONTAINER_CLIENT: ours.client, NX_DAEMON: 'true' });
      expect(result.exitCode, result.output).toBe(0);
      expect(daemons.calls()).toEqual([]);
      expect(ours.calls().sort()).toEqual([expect.stringMatching(/^image inspect /), expect.stringMatching(/^images --no-trunc /)]);
    } finally {
      await ws.nx(['daemon', '--stop']);
      daemons.remove();
      ours.remove();
    }
    expect(statuses(ws)).toEqual(Object.fromEntries(CHAIN.map((name) => [name, 'present'])));
  });

  it('trusts no view it did not take: a removed image is restored even when the environment claims it is present', async () => {
    const logged = loggingClient(engineName);
    try {
      await build(ws, { CONTAINER_CLIENT: logged.client });
      // What an outer run's view would say; this run's hook replaces it.
      // The stamp (records/metadata.ts): id, ref, label, settings key, client, engine.
      const [stampedId, , label, key] = ws.read('dist/images/runner/stamp').split('\n');
      const forged = stampedId.replace(/^sha256:/, '');
      const hash = ws.meta('runner')?.hash;
      await engine(['rmi', '--force', `${ws.prefix}/runner:latest`, `${ws.prefix}/runner:${hash}`]);
      const result = await build(ws, {
        CONTAINER_CLIENT: logged.client,
        BUILD_NX_IMAGES_VIEW: `view2|${key}\n${ws.prefix}/runner ${forged} latest,${hash} ${label}`,
      });
      expect(result.exitCode, result.output).toBe(0);
      expect(statuses(ws)).toMatchObject({ runner: 'restored' });
      expect(await imageId(`${ws.prefix}/runner:${hash}`)).toBe(ws.meta('runner')?.imageId);
    } finally {
      logged.remove();
    }
    expect(ws.refs()).toEqual(cold);
  });

  it('previews an app change without building, tagging or recording anything: what each image would do, and why', async () => {
    ws.append('app/lib.py', '\n# preview\n');
    const tags = async () => Promise.all(CHAIN.map((name) => tagsOf(`${ws.prefix}/${name}`)));
    const before = { tags: await tags(), refs: ws.refs(), summary: ws.read('dist/images/summary.json') };
    const result = await build(ws, { NX_IMAGES_PLAN: '1' });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/builder: would build \S+:\d+ \(app\/lib\.py changed\)/);
    expect(result.output).toMatch(
      /runner: would follow builder: \S+ is present now, but builder would build, and what it copies may change then/,
    );
    for (const name of ['base', 'base-builder', 'base-runner']) expect(result.output).toContain(`${name}: present ${ws.meta(name)?.ref}`);
    // Each image once (Nx names it), then the same table a build ends with.
    expect(result.output).not.toMatch(/(\w+): \1: /);
    const table = result.output.slice(result.output.lastIndexOf('Preview (nothing was built, tagged or recorded):'));
    expect(table).toMatch(/\n {2}builder +would build +\S+:\d+ /);
    expect(table).toMatch(/\n {2}runner +would follow builder +\S+:\d+ /);
    expect(table).toMatch(/\n {2}base +present +\S+:\d+ /);
    expect(table).toMatch(/total: 5 images \(3 present, 1 would build, 1 would follow builder\)/);
    // With the Nx daemon on (the hook runs in the daemon, which does not see NX_IMAGES_PLAN): the same table, no summary written.
    try {
      const daemon = await build(ws, { NX_IMAGES_PLAN: '1', NX_DAEMON: 'true' }, true);
      expect(daemon.exitCode, daemon.output).toBe(0);
      expect(daemon.output).toMatch(
        /Preview \(nothing was built, tagged or recorded\):[^]*total: 5 images \(3 present, 1 would build, 1 would follow builder\)/,
      );
    } finally {
      await ws.nx(['daemon', '--stop']);
    }
    // A bad input (a malformed pin): the preview fails on base, exits 1 (not Nx's 130) and still ends with the table.
    const bad = await build(ws, { NX_IMAGES_PLAN: '1', BASE_DIGEST: 'sha256:not-a-digest' });
    expect(bad.exitCode, bad.output).toBe(1);
    expect(bad.output).toContain('BASE_DIGEST');
    expect(bad.output).toContain('Preview (nothing was built, tagged or recorded):');
    expect(result.output).not.toMatch(/: building /);
    expect(await tags()).toEqual(before.tags);
    expect(ws.refs()).toEqual(before.refs);
    expect(ws.read('dist/images/summary.json')).toBe(before.summary);
  });

  it('ends a build with a summary: one line per image (status, tag, size, time) and the total, also as JSON', async () => {
    ws.append('app/lib.py', '\n# summary\n');
    const result = await build(ws);
    expect(result.exitCode, result.output).toBe(0);
    const summary = result.output.slice(result.output.lastIndexOf('Images:'));
    for (const name of CHAIN) {
      const meta = ws.meta(name);
      const status = ['builder', 'runner'].includes(name) ? 'built' : 'present';
      const why = { builder: ' +\\(app/lib\\.py changed\\)', runner: ' +\\(what it copies from builder changed\\)' }[name as string] ?? '';
      expect(summary).toMatch(
        new RegExp(`\\n  ${name} +${status} +${meta?.ref.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} +\\d+\\.\\d MB +\\d+\\.\\d s${why}\\n`),
      );
    }
    expect(summary).toMatch(/\n {2}total: 5 images \(3 present, 2 built\) in \d+\.\d s\n/);
    const json = JSON.parse(ws.read('dist/images/summary.json')) as { images: { name: string; status: string; ref: string }[] };
    expect(Object.fromEntries(json.images.map((i) => [i.name, i.status]))).toEqual({
      base: 'present',
      'base-builder': 'present',
      'base-runner': 'present',
      builder: 'built',
      runner: 'built',
    });
    cold = ws.refs();
  });

  it('rebuilds exactly builder and runner when app/lib.py changes', async () => {
    ws.append('app/lib.py', '\n\ndef farewell() -> str:\n    return "bye"\n');
    const result = await build(ws);
    timings.appChange = result.durationMs;
    expect(result.exitCode, result.output).toBe(0);
    expect(changedImages(cold, ws.refs())).toEqual(['builder', 'runner']);
    expect(statuses(ws)).toMatchObject({
      builder: 'built',
      runner: 'built',
      base: 'present',
      'base-builder': 'present',
      'base-runner': 'present',
    });
  });

  it(
    engineName === 'docker'
      ? 'starts runner’s layers as soon as builder is built: a build from builder’s new tag that tags nothing, its image removed'
      : 'warms no layers on podman (its builds share no step still running)',
    async () => {
      const logged = loggingClient(engineName);
      try {
        // A first app change records runner's last build with this client (warm.json); the second warms it.
        ws.append('app/lib.py', '\n# warm 1\n');
        expect((await build(ws, { CONTAINER_CLIENT: logged.client })).exitCode).toBe(0);
        logged.reset();
        ws.append('app/lib.py', '\n# warm 2\n');
        const result = await build(ws, { CONTAINER_CLIENT: logged.client });
        expect(result.exitCode, result.output).toBe(0);
        expect(statuses(ws)).toMatchObject({ builder: 'built', runner: 'built', 'base-runner': 'present' });
        const warm = logged.calls().filter((call) => call.startsWith('build --iidfile '));
        if (engineName === 'podman') {
          expect(warm).toEqual([]);
          expect(result.output).not.toMatch(/warming/);
          return;
        }
        expect(result.output).toContain('builder: warming the layers of runner in the background');
        expect(warm).toHaveLength(1);
        expect(warm[0]).toContain(`--file ${ws.dir}/images/runner/Dockerfile `);
        expect(warm[0]).toContain(`--build-arg BUILDER_IMAGE=${ws.meta('builder')?.ref} `);
        expect(warm[0]).toContain(`--build-arg BASE_RUNNER_IMAGE=${ws.meta('base-runner')?.ref} `);
        expect(warm[0]).not.toMatch(/--tag|org\.ffreis\.nx-hash/);
        const nonce = (/--label org\.ffreis\.nx-images\.scratch=([0-9a-f]{16}) /.exec(warm[0]) as RegExpExecArray)[1];
        const iid = (/--iidfile (\S+) /.exec(warm[0]) as RegExpExecArray)[1];
        // The warm build ends on its own; then its image is removed, by the id it wrote.
        let removal: string | undefined;
        for (let waited = 0; !removal && waited < 120; waited++) {
          removal = logged.calls().find((call) => call.startsWith('image rm sha256:'));
          if (!removal) await new Promise((resolve) => setTimeout(resolve, 500));
        }
        expect(removal, logged.calls().join('\n')).toBeDefined();
        const left = await engine(['images', '--quiet', '--filter', `label=${SCRATCH_LABEL}=${nonce}`]);
        expect(left.stdout.trim()).toBe('');
        expect(existsSync(iid)).toBe(false);
        // The runner that was built is the real build: its hash label, verified, and it runs.
        expect(await imageId(ws.meta('runner')?.ref as string)).toBe(ws.meta('runner')?.imageId);
      } finally {
        logged.remove();
      }
    },
  );

  it(
    'rebuilds exactly base-builder and builder when base-builder’s Dockerfile changes: runner only copies /app and /opt/venv, ' +
      'which stay the same',
    async () => {
      const before = ws.refs();
      ws.append('images/base-builder/Dockerfile', '\nLABEL org.ffreis.test=base-builder-change\n');
      const result = await build(ws);
      expect(result.exitCode, result.output).toBe(0);
      expect(changedImages(before, ws.refs())).toEqual(['base-builder', 'builder']);
      expect(reasons(ws)).toMatchObject({
        'base-builder': 'images/base-builder/Dockerfile changed',
        builder: 'parent base-builder changed; images/base-builder/Dockerfile changed',
        runner: undefined,
      });
      expect(statuses(ws)).toMatchObject({ runner: 'present' });
    },
  );

  it(
    'asks the engine nothing about a tag its view of the run lacked before building it, and finds the older images again ' +
      'when the change is reverted',
    async () => {
      const before = ws.refs();
      const source = ws.read('app/lib.py');
      const logged = loggingClient(engineName);
      try {
        ws.append('app/lib.py', `\n# changed, then reverted ${Date.now()}\n`);
        const changed = await build(ws, { CONTAINER_CLIENT: logged.client });
        expect(changed.exitCode, changed.output).toBe(0);
        expect(changedImages(before, ws.refs())).toEqual(['builder', 'runner']);
        for (const name of ['builder', 'runner']) {
          const ref = ws.refs()[name] as string;
          // The first call that names the new tag is the build that creates it (its --tag).
          const first = logged.calls().find((call) => call.split(' ').includes(ref));
          expect(first, `${name}: ${logged.calls().join('\n')}`).toMatch(/^build /);
          // And the build was verified afterwards, with its parents in the same call.
          const calls = logged.calls();
          const verify = calls
            .slice(calls.indexOf(first as string))
            .find((call) => call.startsWith('image inspect') && call.split(' ').includes(ref));
          const parents = ws.meta(name)?.parents.map((parent) => parent.ref) ?? [];
          expect(parents.length, name).toBeGreaterThan(0);
          expect(verify?.split(' ').slice(-1 - parents.length), calls.join('\n')).toEqual([ref, ...parents]);
        }
        ws.write('app/lib.py', source);
        const reverted = await build(ws, { CONTAINER_CLIENT: logged.client });
        expect(reverted.exitCode, reverted.output).toBe(0);
        expect(reverted.output).not.toMatch(/: building /);
        expect(ws.refs()).toEqual(before);
        expect(statuses(ws)).toMatchObject({ builder: 'present', runner: 'present' });
      } finally {
        logged.remove();
      }
    },
  );

  it('rebuilds builder but not runner when only a test changes', async () => {
    const before = ws.refs();
    ws.append('app/tests/test_main.py', `\n# a test-only change ${Date.now()}\n`);
    const result = await build(ws);
    expect(result.exitCode, result.output).toBe(0);
    expect(changedImages(before, ws.refs())).toEqual(['builder']);
  });

  it('rebuilds none for a file no build sends (README, a package.json script, lockfile churn, app cache file, lint rule)', async () => {
    const before = ws.refs();
    ws.append('README.md', '\nA line no image sees.\n');
    ws.write('package.json', ws.read('package.json').replace('"graph": "nx graph"', '"graph": "nx graph",\n    "extra": "echo extra"'));
    ws.write('app/__pycache__/lib.cpython-311.pyc', 'not python');
    ws.write('images/runner/NOTES.txt', 'not copied by any Dockerfile');
    // A lint rule shapes no image: editing it re-tags nothing.
    ws.append('tools/images/src/core/lint.ts', '\n// a lint rule changed\n');
    // Lockfile churn that leaves the executor's own packages alone.
    const lock = ws.read('package-lock.json');
    const churned = lock.replace(
      '"name": "ffreis-images",\n      "version": "0.0.0"',
      '"name": "ffreis-images",\n      "version": "0.0.1"',
    );
    expect(churned).not.toBe(lock);
    ws.write('package-lock.json', churned);
    const result = await build(ws);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).not.toMatch(/: building /);
    expect(changedImages(before, ws.refs())).toEqual([]);
  });

  it('re-tags none for a comment in a build module or a bump of a package the build runs', async () => {
    const before = ws.refs();
    // The build recipe (core/recipe.ts) stands for the plugin's code: only a change of what it sends the engine moves it.
    ws.append('tools/images/src/engines/docker.ts', '\n// a comment in an engine adapter\n');
    ws.append('tools/images/src/executors/build/engine-build.ts', '\n// moved code, same command lines\n');
    const lock = ws.read('package-lock.json');
    const bumped = lock.replace(/("node_modules\/execa": \{\n\s*"version": ")9\.6\.1"/, '$19.6.2"');
    expect(bumped).not.toBe(lock);
    ws.write('package-lock.json', bumped);
    const result = await build(ws);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).not.toMatch(/: building /);
    expect(changedImages(before, ws.refs())).toEqual([]);
  });

  it('rebuilds the images that copy a file whose mode bit flips, and goes back to the same tags when it flips back', async () => {
    const before = ws.refs();
    const entrypoint = join(ws.dir, 'images/base-runner/entrypoint.sh');
    const mode = statSync(entrypoint).mode & 0o7777;
    chmodSync(entrypoint, mode & ~0o111);
    try {
      const flipped = await build(ws);
      expect(flipped.exitCode, flipped.output).toBe(0);
      expect(changedImages(before, ws.refs())).toEqual(['base-runner', 'runner']);
      const perms = await engine([
        'run',
        '--rm',
        '--entrypoint',
        'stat',
        ws.meta('runner')?.ref as string,
        '-c',
        '%a',
        '/usr/local/bin/entrypoint.sh',
      ]);
      expect(String(perms.stdout).trim()).toBe((mode & ~0o111).toString(8));
    } finally {
      chmodSync(entrypoint, mode);
    }
    const back = await build(ws);
    expect(back.exitCode, back.output).toBe(0);
    expect(ws.refs()).toEqual(before);
  });

  it('rebuilds all five when the pin moves through the BASE_DIGEST override', async () => {
    const before = ws.refs();
    const variant = await pushUpstreamVariant('override');
    const result = await build(ws, { BASE_IMAGE: variant.image, BASE_DIGEST: variant.digest });
    expect(result.exitCode, result.output).toBe(0);
    expect(changedImages(before, ws.refs())).toEqual([...CHAIN].sort());
    expect(reasons(ws)).toMatchObject({
      base: 'BASE_DIGEST changed, BASE_IMAGE changed',
      'base-builder': expect.stringMatching(/^parent base changed/),
    });
    const label = await engine([
      'image',
      'inspect',
      '--format',
      '{{index .Config.Labels "org.ffreis.test.variant"}}',
      ws.meta('runner')?.ref as string,
    ]);
    expect(label.stdout.trim()).toBe('override');
  });

  it('rebuilds all five when the digests file changes, and only then', async () => {
    const variant = await pushUpstreamVariant('file');
    const pinned = { BASE_IMAGE: undefined, BASE_DIGEST: undefined };
    ws.write('images/base/digests.env', `# test pin\nBASE_IMAGE=${process.env.BASE_IMAGE}\nBASE_DIGEST=${process.env.BASE_DIGEST}\n`);
    const first = await build(ws, pinned);
    expect(first.exitCode, first.output).toBe(0);
    const before = ws.refs();
    ws.write('images/base/digests.env', `# test pin\nBASE_IMAGE=${variant.image}\nBASE_DIGEST=${variant.digest}\n`);
    const result = await build(ws, pinned);
    expect(result.exitCode, result.output).toBe(0);
    expect(changedImages(before, ws.refs())).toEqual([...CHAIN].sort());
  });

  it('fails the builder on a failing app test: output shown, nothing downstream, nothing claimed', async () => {
    const before = ws.refs();
    const builderTags = await tagsOf(`${ws.prefix}/builder`);
    const latestBuilder = await imageId(`${ws.prefix}/builder:latest`);
    const latestRunner = await imageId(`${ws.prefix}/runner:latest`);
    ws.write('app/tests/test_lib.py', ws.read('app/tests/test_lib.py').replace('"Hello, Nx!"', '"Hello, broken test!"'));

    const result = await build(ws);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('FAIL: test_greets_by_name');
    expect(result.output).toContain("AssertionError: 'Hello, Nx!' != 'Hello, broken test!'");
    expect(result.output).toMatch(
      /builder: Image "builder" failed to build from images\/builder\/Dockerfile .*\n.*rerun: npx nx run builder:build/,
    );
    expect(result.output).not.toMatch(/^runner: (runner: )?building/m);
    expect(await tagsOf(`${ws.prefix}/builder`)).toEqual(builderTags);
    expect(await imageId(`${ws.prefix}/builder:latest`)).toBe(latestBuilder);
    expect(await imageId(`${ws.prefix}/runner:latest`)).toBe(latestRunner);
    expect(ws.meta('builder')).toBeUndefined();
    expect(ws.refs().runner).toBe(before.runner);
    expect(await imageId(before.runner as string)).toBe(latestRunner);
  });

  it('runs the app through `nx run runner:run`, building first', async () => {
    ws.write('app/tests/test_lib.py', ws.read('app/tests/test_lib.py').replace('"Hello, broken test!"', '"Hello, Nx!"'));
    const result = await ws.nx(['run', 'runner:run', '--output-style=stream'], engineEnv(engineName));
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toContain('Hello, world!');
    expect(result.output).toContain('running as uid=10001 gid=10001');
    const withArgs = await ws.nx(['run', 'runner:run', '--output-style=stream', '--', 'Alice'], engineEnv(engineName));
    expect(withArgs.exitCode, withArgs.output).toBe(0);
    expect(withArgs.output).toContain('Hello, Alice!');
  });

  it('cleans every tag and record with `nx run-many -t clean`', async () => {
    // A user's container of runner's image: clean refuses that image and names the command, and the container stays.
    const users = await engine(['create', '--entrypoint', 'true', `${ws.prefix}/runner:latest`]);
    expect(users.exitCode, users.all).toBe(0);
    const userContainer = users.stdout.trim().split('\n').pop() as string;
    // A scratch container a build copied files out of, left behind (a killed program) or still being
    // removed (its removal runs detached): clean removes it, and builder's image with it.
    const scratch = await engine(['create', '--label', `${SCRATCH_LABEL}=1`, '--entrypoint', 'true', `${ws.prefix}/builder:latest`]);
    expect(scratch.exitCode, scratch.all).toBe(0);
    const scratchContainer = scratch.stdout.trim().split('\n').pop() as string;

    const refused = await ws.nx(['run-many', '-t', 'clean', '--output-style=stream'], engineEnv(engineName));
    expect(refused.exitCode, refused.output).not.toBe(0);
    expect(refused.output).toMatch(new RegExp(`rmi (localhost/)?${ws.prefix}/runner:\\S+ failed`));
    expect((await engine(['ps', '--all', '--quiet', '--no-trunc', '--filter', `id=${userContainer}`])).stdout).toContain(userContainer);
    expect((await engine(['ps', '--all', '--quiet', '--no-trunc', '--filter', `id=${scratchContainer}`])).stdout.trim()).toBe('');
    expect(await tagsOf(`${ws.prefix}/builder`)).toEqual([]);
    expect((await engine(['rm', '--force', userContainer])).exitCode).toBe(0);

    const result = await ws.nx(['run-many', '-t', 'clean', '--output-style=stream'], engineEnv(engineName));
    expect(result.exitCode, result.output).toBe(0);
    for (const name of CHAIN) {
      expect(await tagsOf(`${ws.prefix}/${name}`)).toEqual([]);
      expect(ws.meta(name)).toBeUndefined();
    }
  });
});
