import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { viewHeader } from '../engines/view';
import { settingsKey } from '../engines/types';
import { writeExports, writeStamp, type Stamp } from '../records/metadata';
import { resolveEngineSettings } from '../core/options';
import { markRun } from '../records/run-marks';
import { invocationRootPid } from '../nx/runtime';

/**
 * bin/build.sh, the build target's fast path, run for real by sh with a scripted client:
 * when it answers "present" by itself, when it asks the engine, when it hands over to the
 * full program (here a stand-in that prints FULL).
 */
let dir: string;
let records: string;
let client: string;
const HASH = '1234567890';
const ID = 'a'.repeat(64);

function guard(env: Record<string, string>, inspectAnswer = '', args: string[] = []): { output: string; calls: string[] } {
  writeFileSync(join(dir, 'answer'), inspectAnswer);
  const output = execFileSync('sh', [join(dir, 'pkg/bin/build.sh'), ...args], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      NX_TASK_HASH: HASH,
      NX_IMAGES_NAME: 'base',
      NX_IMAGES_REPOSITORY: 'ffreis/base',
      NX_IMAGES_ENGINE: 'docker',
      NX_IMAGES_RECORDS: records,
      NX_INVOCATION_ROOT_PID: '77',
      CONTAINER_CLIENT: client,
      ...env,
    },
  });
  let calls: string[] = [];
  try {
    calls = readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean);
  } catch {
    calls = [];
  }
  return { output: output.trim(), calls };
}

/** The view header a run with `guard`'s environment (plus `env`) gives. */
const header = (env: Record<string, string> = {}) => viewHeader({ engine: 'docker' }, { CONTAINER_CLIENT: client, ...env });
/** A stamp as the program writes it after verifying the image under `guard`'s environment (records/metadata.ts). */
const stamp = (fields: Partial<Stamp> = {}) =>
  writeStamp(records, {
    id: `sha256:${ID}`,
    ref: `ffreis/base:${HASH}`,
    label: HASH,
    key: settingsKey({ engine: 'docker' }, { CONTAINER_CLIENT: client }),
    client,
    engine: 'docker',
    ...fields,
  });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'build-sh-'));
  mkdirSync(join(dir, 'pkg/bin'), { recursive: true });
  mkdirSync(join(dir, 'pkg/dist/build'), { recursive: true });
  copyFileSync(join(__dirname, '../../bin/build.sh'), join(dir, 'pkg/bin/build.sh'));
  writeFileSync(join(dir, 'pkg/dist/build/main.bundle.js'), 'console.log("FULL " + process.argv.slice(2).join(" "));\n');
  records = join(dir, 'records');
  mkdirSync(records);
  mkdirSync(join(dir, 'bin'));
  client = join(dir, 'bin', 'docker');
  writeFileSync(client, `#!/bin/sh\necho "$*" >>"${dir}/calls"\ncat "${dir}/answer"\n`, { mode: 0o755 });
  stamp();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('bin/build.sh, the fast path', () => {
  it('answers present from the run’s view alone: no engine call, a run mark for the children', () => {
    const result = guard({
      BUILD_NX_IMAGES_VIEW: [
        header(),
        `ffreis/base-runner ${'b'.repeat(64)} latest,${HASH} ${HASH}`,
        `ffreis/base ${ID} 99,latest,${HASH} ${HASH}`,
      ].join('\n'),
    });
    expect(result.output).toBe(`base: present ffreis/base:${HASH} (docker), no build needed`);
    expect(result.calls).toEqual([]);
    expect(readFileSync(join(records, 'runs/77'), 'utf8').trim()).toBe(HASH);
    // The same bytes records/run-marks.ts writes for a build (its one format, which the readers parse).
    const built = join(dir, 'built');
    markRun(built, '77', HASH);
    expect(readFileSync(join(records, 'runs/77'), 'utf8')).toBe(readFileSync(join(built, 'runs/77'), 'utf8'));
  });

  it.each([
    ['Nx 23: the root pid', { NX_INVOCATION_ROOT_PID: '77' }, '77'],
    ['Nx 24: the one ancestor', { NX_INVOCATION_ROOT_PID: '', NX_INVOCATION_ANCESTOR_PIDS: '4242' }, '4242'],
    ['Nx 24 nested: the outermost ancestor', { NX_INVOCATION_ROOT_PID: '', NX_INVOCATION_ANCESTOR_PIDS: '4242,5151' }, '4242'],
    ['both: the root pid', { NX_INVOCATION_ROOT_PID: '77', NX_INVOCATION_ANCESTOR_PIDS: '4242' }, '77'],
    ['neither', { NX_INVOCATION_ROOT_PID: '' }, undefined],
    ['not a pid', { NX_INVOCATION_ROOT_PID: '7x' }, undefined],
    ['an empty first ancestor', { NX_INVOCATION_ROOT_PID: '', NX_INVOCATION_ANCESTOR_PIDS: ',5151' }, undefined],
  ])('keys its run mark by the run’s root pid as the program reads it (%s)', (_, env, pid) => {
    expect(invocationRootPid(env)).toBe(pid);
    const result = guard({ ...env, BUILD_NX_IMAGES_VIEW: `${header()}\nffreis/base ${ID} latest,${HASH} ${HASH}` });
    expect(result.calls).toEqual([]);
    // The program writes no mark without a pid; the shell keys its own by 0.
    expect(readdirSync(join(records, 'runs'))).toEqual([pid ?? '0']);
  });

  it('claims nothing when its run mark cannot be written (a folder in its place): the full program says what and where', () => {
    mkdirSync(join(records, 'runs/77'), { recursive: true });
    const result = guard({ BUILD_NX_IMAGES_VIEW: `${header()}\nffreis/base ${ID} 99,latest,${HASH} ${HASH}` });
    expect(result.output).toBe('FULL');
    expect(result.output).not.toContain('present');
  });

  it('reads the view from the file the Nx daemon writes it to, waiting for it', () => {
    const file = join(dir, 'view-of-run');
    const view = `${header()}\nffreis/base ${ID} 99,latest,${HASH} ${HASH}\n+ffreis/base 99,latest,${HASH}\n+complete`;
    // Written while the task already waits, as the daemon's listing ends after Nx starts the tasks.
    const writer = `sleep 0.3; printf '%s' '${view}' > ${file}.tmp && mv ${file}.tmp ${file}`;
    const background = execFileSync('sh', ['-c', `(${writer}) >/dev/null 2>&1 & echo started`], { encoding: 'utf8' });
    expect(background.trim()).toBe('started');
    const result = guard({ BUILD_NX_IMAGES_VIEW: `file:1100:${file}` });
    expect(result.output).toBe(`base: present ffreis/base:${HASH} (docker), no build needed`);
    expect(result.calls).toEqual([]);
    // The last line holds the image with no newline after it: still read.
    writeFileSync(file, `${header()}\nffreis/base ${ID} latest,${HASH} ${HASH}`);
    expect(guard({ BUILD_NX_IMAGES_VIEW: `file:1100:${file}` }).calls).toEqual([]);
  });

  it('waits for the view file as long as the hook says, past the 2 s it once allowed (podman lists a large store slower)', () => {
    const file = join(dir, 'slow-view');
    const view = `${header()}\nffreis/base ${ID} latest,${HASH} ${HASH}`;
    const writer = `sleep 2.5; printf '%s' '${view}' > ${file}.tmp && mv ${file}.tmp ${file}`;
    execFileSync('sh', ['-c', `(${writer}) >/dev/null 2>&1 &`]);
    const started = Date.now();
    const result = guard({ BUILD_NX_IMAGES_VIEW: `file:600:${file}` });
    expect(result.calls).toEqual([]);
    expect(result.output).toMatch(/: present /);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_400);
  }, 15_000);

  it('asks the engine itself when the view file is empty (the engine did not answer) or never comes', () => {
    const file = join(dir, 'empty-view');
    writeFileSync(file, '');
    const answer = `sha256:${ID} ${HASH}\nsha256:${ID} ${HASH}\n`;
    const empty = guard({ BUILD_NX_IMAGES_VIEW: `file:1100:${file}` }, answer);
    expect(empty.output).toMatch(/: present /);
    expect(empty.calls).toHaveLength(1);
    const started = Date.now();
    const missing = guard({ BUILD_NX_IMAGES_VIEW: `file:50:${join(dir, 'never')}` }, answer);
    expect(missing.output).toMatch(/: present /);
    expect(missing.calls).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(Date.now() - started).toBeLessThan(5_000);
    // A value of another shape (no wait) names no file: no wait, the engine is asked.
    const before = Date.now();
    const shapeless = guard({ BUILD_NX_IMAGES_VIEW: `file:${file}` }, answer);
    expect(shapeless.output).toMatch(/: present /);
    expect(shapeless.calls).toHaveLength(3);
    expect(Date.now() - before).toBeLessThan(2_000);
  }, 15_000);

  it.each([
    ['the hash tag is not on the image :latest names', `ffreis/base ${ID} latest,99 ${HASH}`],
    ['the image is not the recorded one', `ffreis/base ${'c'.repeat(64)} latest,${HASH} ${HASH}`],
    ['the view has no :latest for the repository', `ffreis/base-runner ${ID} latest,${HASH} ${HASH}`],
    ['a longer repository shares the name’s start', `ffreis/base-x ${ID} latest,${HASH} ${HASH}`],
    ['the image carries another hash as its label (tags moved onto a foreign image)', `ffreis/base ${ID} latest,${HASH} 99`],
    ['the image’s label could not be read', `ffreis/base ${ID} latest,${HASH} -`],
    ['the view line has no label (an older view)', `ffreis/base ${ID} latest,${HASH}`],
  ])('hands over to the full program when %s, without asking the engine again', (_case, line) => {
    const result = guard({ BUILD_NX_IMAGES_VIEW: `${header()}\n${line}` });
    expect(result.output).toBe('FULL');
    expect(result.calls).toEqual([]);
  });

  it('asks the engine itself when the view was taken for another store or client', () => {
    for (const view of [
      `${header({ DOCKER_HOST: 'tcp://elsewhere:2375' })}\nffreis/base ${ID} latest,${HASH} ${HASH}`,
      `${viewHeader({ engine: 'docker' }, { CONTAINER_CLIENT: '/other/docker' })}\nffreis/base ${ID} latest,${HASH} ${HASH}`,
      `view1|docker|${client}|||||\nffreis/base ${ID} latest,${HASH} ${HASH}`,
    ]) {
      rmSync(join(dir, 'calls'), { force: true });
      const result = guard({ BUILD_NX_IMAGES_VIEW: view }, `sha256:${ID} ${HASH}\nsha256:${ID} ${HASH}\n`);
      expect(result.output).toMatch(/: present /);
      expect(result.calls).toEqual([
        `image inspect --format {{.Id}} {{index .Config.Labels "org.ffreis.nx-hash"}} ffreis/base:${HASH} ffreis/base:latest`,
      ]);
    }
  });

  it('asks the engine itself without a view, and hands over when its answer is not this build', () => {
    expect(guard({}, `sha256:${ID} ${HASH}\nsha256:${ID} ${HASH}\n`).output).toMatch(/: present /);
    expect(guard({}, `sha256:${ID} ${HASH}\n`).output).toBe('FULL');
    expect(guard({}, `sha256:${ID} 99\nsha256:${ID} 99\n`).output).toBe('FULL');
  });

  it('compares ids with or without the sha256: prefix (podman prints none)', () => {
    stamp({ id: ID });
    expect(guard({ BUILD_NX_IMAGES_VIEW: `${header()}\nffreis/base ${ID} latest,${HASH} ${HASH}` }).output).toMatch(/: present /);
    expect(guard({}, `${ID} ${HASH}\n${ID} ${HASH}\n`).output).toMatch(/: present /);
  });

  it('claims only what the stamp holds: its ref must be this task’s, its settings this environment’s, its lines all there', () => {
    const view = `${header()}\nffreis/base ${ID} latest,${HASH} ${HASH}`;
    const answer = `sha256:${ID} ${HASH}\nsha256:${ID} ${HASH}\n`;
    expect(guard({ BUILD_NX_IMAGES_VIEW: view }).output).toMatch(/: present /);
    // A stamp for another hash: the image under this hash was never verified.
    stamp({ ref: 'ffreis/base:99' });
    expect(guard({ BUILD_NX_IMAGES_VIEW: view }, answer).output).toBe('FULL');
    // Verified under other settings (another store): its client is not this run's to ask, but
    // this run's own view, which shows the stamp's id, label and tags, is proof enough.
    stamp({ key: settingsKey({ engine: 'docker' }, { CONTAINER_CLIENT: client, DOCKER_HOST: 'tcp://elsewhere:2375' }) });
    expect(guard({}, answer).output).toBe('FULL');
    expect(guard({ BUILD_NX_IMAGES_VIEW: view }).output).toMatch(/: present /);
    // The label the view or the engine shows must be the stamp's.
    stamp({ label: '99' });
    expect(guard({ BUILD_NX_IMAGES_VIEW: view }, answer).output).toBe('FULL');
    // An older plugin's one-line stamp, or one cut short.
    for (const text of [`sha256:${ID}\n`, `sha256:${ID}\nffreis/base:${HASH}\n${HASH}\n`]) {
      writeFileSync(join(records, 'stamp'), text);
      expect(guard({ BUILD_NX_IMAGES_VIEW: view }, answer).output).toBe('FULL');
    }
    // None of these asked the engine; the label is compared in the engine's answer too.
    expect(existsCalls()).toBe(false);
    stamp({ label: '99' });
    expect(guard({}, answer).output).toBe('FULL');
    expect(existsCalls()).toBe(true);
    // The engine named in the line is the stamp's.
    stamp({ engine: 'podman-as-recorded' });
    expect(guard({ BUILD_NX_IMAGES_VIEW: view }).output).toBe(`base: present ffreis/base:${HASH} (podman-as-recorded), no build needed`);
    expect(guard({ BUILD_NX_IMAGES_VIEW: view }, '', ['--target=prod']).output).toMatch(/: present /);
  });

  it('claims an image children copy from only while exports.json holds the bytes the program wrote', () => {
    const view = `${header()}\nffreis/base ${ID} latest,${HASH} ${HASH}`;
    writeExports(records, `sha256:${ID}`, { '/app': 'sha256:1' });
    expect(guard({ BUILD_NX_IMAGES_VIEW: view, NX_IMAGES_EXPORTS: '/app' }).output).toMatch(/: present /);
    writeFileSync(join(records, 'exports.json'), '{"/app": "sha256:2"}\n');
    expect(guard({ BUILD_NX_IMAGES_VIEW: view, NX_IMAGES_EXPORTS: '/app' }).output).toBe('FULL');
    writeFileSync(join(records, 'exports.json'), 'garbage');
    expect(guard({ BUILD_NX_IMAGES_VIEW: view, NX_IMAGES_EXPORTS: '/app' }).output).toBe('FULL');
  });

  it('hands over at once for an always-built image, a missing stamp or missing exports', () => {
    const view = `${header()}\nffreis/base ${ID} latest,${HASH} ${HASH}`;
    expect(guard({ BUILD_NX_IMAGES_VIEW: view, NX_IMAGES_ALWAYS_BUILD: 'ADD <url>' }).output).toBe('FULL');
    expect(guard({ BUILD_NX_IMAGES_VIEW: view, NX_IMAGES_EXPORTS: '/app' }).output).toBe('FULL');
    rmSync(join(records, 'stamp'));
    expect(guard({ BUILD_NX_IMAGES_VIEW: view }).output).toBe('FULL');
    expect(existsCalls()).toBe(false);
  });

  it('in a preview, answers present with a preview mark and no run mark, and hands anything else over', () => {
    const view = `${header()}\nffreis/base ${ID} latest,${HASH} ${HASH}`;
    expect(guard({ BUILD_NX_IMAGES_VIEW: view, NX_IMAGES_PLAN: '1' }).output).toBe(`present ffreis/base:${HASH}`);
    expect(readFileSync(join(records, 'plans/77'), 'utf8').trim()).toBe(`${HASH} present`);
    // The same bytes the program's preview writes (executors/build/preview.ts through records/run-marks.ts).
    const previewed = join(dir, 'previewed');
    markRun(previewed, '77', `${HASH} present`, 'plans');
    expect(readFileSync(join(records, 'plans/77'), 'utf8')).toBe(readFileSync(join(previewed, 'plans/77'), 'utf8'));
    expect(() => readFileSync(join(records, 'runs/77'))).toThrow();
    expect(guard({ BUILD_NX_IMAGES_VIEW: `${header()}\nffreis/base ${ID} latest,99 ${HASH}`, NX_IMAGES_PLAN: '1' }).output).toBe('FULL');
    // Hashed on what it copies: the full program reads what those parents would do.
    expect(guard({ BUILD_NX_IMAGES_VIEW: view, NX_IMAGES_PLAN: '1', NX_IMAGES_COPIES: 'builder' }).output).toBe('FULL');
    expect(guard({ BUILD_NX_IMAGES_VIEW: view, NX_IMAGES_COPIES: 'builder' }).output).toMatch(/: present /);
  });

  it('starts a build without NODE_EXTRA_CA_CERTS (kept for the program), a preview and a multi-platform build with it', () => {
    // The stand-in prints what it was handed; Node warns at start about a certificates file it cannot read.
    writeFileSync(
      join(dir, 'pkg/dist/build/main.bundle.js'),
      'console.log(`FULL ${process.env.NODE_EXTRA_CA_CERTS ?? "-"} ${process.env.NX_IMAGES_EXTRA_CA_CERTS ?? "-"}`);\n',
    );
    const run = (env: Record<string, string>) =>
      spawnSync('sh', [join(dir, 'pkg/bin/build.sh')], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: join(dir, 'no-such-ca.pem'), ...env },
      });
    const build = run({});
    expect(build.stdout.trim()).toBe(`FULL - ${join(dir, 'no-such-ca.pem')}`);
    expect(build.stderr).not.toMatch(/extra certs/i);
    const preview = run({ NX_IMAGES_PLAN: '1' });
    expect(preview.stdout.trim()).toBe(`FULL ${join(dir, 'no-such-ca.pem')} -`);
    // A multi-platform build asks the upstream's registry which platforms it holds: it keeps them too.
    expect(run({ IMAGE_PLATFORMS: 'linux/amd64,linux/arm64' }).stdout.trim()).toBe(`FULL ${join(dir, 'no-such-ca.pem')} -`);
    expect(preview.stderr).toMatch(/Ignoring extra certs from .*no-such-ca\.pem/);
  });

  it('passes the target’s arguments to the full program', () => {
    expect(
      execFileSync('sh', [join(dir, 'pkg/bin/build.sh'), '--target=test'], { encoding: 'utf8', env: { PATH: process.env.PATH } }).trim(),
    ).toBe('FULL --target=test');
  });
});

function existsCalls(): boolean {
  try {
    readFileSync(join(dir, 'calls'));
    return true;
  } catch {
    return false;
  }
}

describe('the settings key, which the program writes and bin/build.sh compares, over one matrix of settings', () => {
  type Case = { CONTAINER_ENGINE: string; CONTAINER_CLIENT: string; engine: 'docker' | 'podman'; client: string };
  const cases: Case[] = [];
  for (const CONTAINER_ENGINE of ['', 'docker', 'podman'])
    for (const CONTAINER_CLIENT of ['', 'BIN/docker', 'BIN/podman', 'OTHER/docker'])
      for (const engine of ['docker', 'podman'] as const)
        for (const client of ['', 'OTHER/docker', 'OTHER/podman']) cases.push({ CONTAINER_ENGINE, CONTAINER_CLIENT, engine, client });

  const path = (value: string) => value.replace('BIN', join(dir, 'bin')).replace('OTHER', join(dir, 'other'));
  /** The case as the program sees it (plugin options, environment) and as the build target's environment gives it to the shell. */
  const sides = (matrix: Case) => {
    const options = { engine: matrix.engine, client: path(matrix.client) || undefined };
    const env = { CONTAINER_ENGINE: matrix.CONTAINER_ENGINE, CONTAINER_CLIENT: path(matrix.CONTAINER_CLIENT) };
    const shell = {
      ...env,
      PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
      NX_IMAGES_ENGINE: matrix.engine,
      NX_IMAGES_CLIENT: path(matrix.client),
    };
    return { options, env, shell };
  };

  it.each(cases.map((matrix, i) => [matrix, cases[(i + 1) % cases.length]] as const))('%j', (matrix, other) => {
    // Clients named docker and podman in two folders, the first on PATH: each logs the path it was run as.
    for (const folder of ['bin', 'other']) {
      mkdirSync(join(dir, folder), { recursive: true });
      for (const name of ['docker', 'podman']) {
        writeFileSync(join(dir, folder, name), `#!/bin/sh\necho "$0" >>"${dir}/calls"\ncat "${dir}/answer"\n`, { mode: 0o755 });
      }
    }
    const answer = `sha256:${ID} ${HASH}\nsha256:${ID} ${HASH}\n`;
    const calls = () => {
      const result = existsCalls() ? readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean) : [];
      rmSync(join(dir, 'calls'), { force: true });
      return result;
    };
    const { options, env, shell } = sides(matrix);
    let settings: ReturnType<typeof resolveEngineSettings> | undefined;
    try {
      settings = resolveEngineSettings(options, env);
    } catch {
      settings = undefined; // the program refuses these settings, so it writes no stamp under them
    }
    if (settings) {
      // The stamp as the program writes it (executors/build/record.ts).
      stamp({ key: settingsKey(options, env), client: settings.client, engine: settings.engine });
      // Without a view: one inspect, by the client the program resolved (a bare name is found on PATH).
      const expected = settings.client.includes('/') ? settings.client : join(dir, 'bin', settings.client);
      const inspected = guard(shell, answer);
      expect(inspected.output).toBe(`base: present ffreis/base:${HASH} (${settings.engine}), no build needed`);
      expect(calls()).toEqual([expected]);
      // With the view the hook took under the same settings: no engine call at all.
      const viewed = guard(
        { ...shell, BUILD_NX_IMAGES_VIEW: `${viewHeader(options, env)}\nffreis/base ${ID} latest,${HASH} ${HASH}` },
        answer,
      );
      expect(viewed.output).toMatch(/: present /);
      expect(calls()).toEqual([]);
    }
    // Under another case's settings, neither the stamp nor the view is this environment's: the program decides.
    const next = sides(other);
    stamp({ key: settingsKey(next.options, next.env), client: 'docker', engine: 'docker' });
    const view = (options: typeof next.options, env: typeof next.env) =>
      `${viewHeader(options, env)}\nffreis/base ${ID} latest,${HASH} ${HASH}`;
    expect(guard({ ...shell, BUILD_NX_IMAGES_VIEW: view(next.options, next.env) }, answer).output).toBe('FULL');
    expect(calls()).toEqual([]);
    // A view this run's settings took still proves the stamp's image (a client or store switched since it was verified).
    if (settings) expect(guard({ ...shell, BUILD_NX_IMAGES_VIEW: view(options, env) }).output).toMatch(/: present /);
    expect(calls()).toEqual([]);
  });
});
