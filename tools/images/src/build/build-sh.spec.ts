import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { viewHeader } from '../engines/view';
import { writeExports } from '../records/metadata';
import { resolveEngineSettings } from '../core/options';

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

const header = (env: Record<string, string> = {}) => viewHeader('docker', client, env);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'build-sh-'));
  mkdirSync(join(dir, 'pkg/bin'), { recursive: true });
  mkdirSync(join(dir, 'pkg/dist/build'), { recursive: true });
  copyFileSync(join(__dirname, '../../bin/build.sh'), join(dir, 'pkg/bin/build.sh'));
  writeFileSync(join(dir, 'pkg/dist/build/main.bundle.js'), 'console.log("FULL " + process.argv.slice(2).join(" "));\n');
  records = join(dir, 'records');
  mkdirSync(records);
  writeFileSync(join(records, 'stamp'), `sha256:${ID}\n`);
  mkdirSync(join(dir, 'bin'));
  client = join(dir, 'bin', 'docker');
  writeFileSync(client, `#!/bin/sh\necho "$*" >>"${dir}/calls"\ncat "${dir}/answer"\n`, { mode: 0o755 });
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
    const result = guard({ BUILD_NX_IMAGES_VIEW: `file:${file}` });
    expect(result.output).toBe(`base: present ffreis/base:${HASH} (docker), no build needed`);
    expect(result.calls).toEqual([]);
    // The last line holds the image with no newline after it: still read.
    writeFileSync(file, `${header()}\nffreis/base ${ID} latest,${HASH} ${HASH}`);
    expect(guard({ BUILD_NX_IMAGES_VIEW: `file:${file}` }).calls).toEqual([]);
  });

  it('asks the engine itself when the view file is empty (the engine did not answer) or never comes', () => {
    const file = join(dir, 'empty-view');
    writeFileSync(file, '');
    const answer = `sha256:${ID} ${HASH}\nsha256:${ID} ${HASH}\n`;
    const empty = guard({ BUILD_NX_IMAGES_VIEW: `file:${file}` }, answer);
    expect(empty.output).toMatch(/: present /);
    expect(empty.calls).toHaveLength(1);
    const started = Date.now();
    const missing = guard({ BUILD_NX_IMAGES_VIEW: `file:${join(dir, 'never')}` }, answer);
    expect(missing.output).toMatch(/: present /);
    expect(missing.calls).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(Date.now() - started).toBeLessThan(8_000);
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
      `view1|docker|/other/docker|||||\nffreis/base ${ID} latest,${HASH} ${HASH}`,
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
    writeFileSync(join(records, 'stamp'), `${ID}\n`);
    expect(guard({ BUILD_NX_IMAGES_VIEW: `${header()}\nffreis/base ${ID} latest,${HASH} ${HASH}` }).output).toMatch(/: present /);
    expect(guard({}, `${ID} ${HASH}\n${ID} ${HASH}\n`).output).toMatch(/: present /);
  });

  it('hands a multi-platform image to the full program, which checks each platform’s image', () => {
    const view = `${header()}\nffreis/base ${ID} latest,${HASH} ${HASH}`;
    expect(guard({ BUILD_NX_IMAGES_VIEW: view }).output).toMatch(/: present /);
    expect(guard({ BUILD_NX_IMAGES_VIEW: view, IMAGE_PLATFORMS: 'linux/amd64,linux/arm64' }).output).toBe('FULL');
    expect(guard({ BUILD_NX_IMAGES_VIEW: view, NX_IMAGES_PLATFORMS: 'linux/arm64' }).output).toBe('FULL');
    expect(guard({ BUILD_NX_IMAGES_VIEW: view }, '', ['--platforms=linux/arm64']).output).toBe('FULL --platforms=linux/arm64');
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

describe('the engine and client the fast path asks, and the program’s resolveEngineSettings, over one matrix', () => {
  const cases: { CONTAINER_ENGINE: string; CONTAINER_CLIENT: string; engine: 'docker' | 'podman'; client: string }[] = [];
  for (const CONTAINER_ENGINE of ['', 'docker', 'podman'])
    for (const CONTAINER_CLIENT of ['', 'BIN/docker', 'BIN/podman', 'OTHER/docker'])
      for (const engine of ['docker', 'podman'] as const)
        for (const client of ['', 'OTHER/docker', 'OTHER/podman']) cases.push({ CONTAINER_ENGINE, CONTAINER_CLIENT, engine, client });

  it.each(cases)('%j', (matrix) => {
    // Clients named docker and podman in two folders, the first on PATH: each logs the path it was run as.
    for (const folder of ['bin', 'other']) {
      mkdirSync(join(dir, folder), { recursive: true });
      for (const name of ['docker', 'podman']) {
        writeFileSync(join(dir, folder, name), `#!/bin/sh\necho "$0" >>"${dir}/calls"\ncat "${dir}/answer"\n`, { mode: 0o755 });
      }
    }
    const path = (value: string) => value.replace('BIN', join(dir, 'bin')).replace('OTHER', join(dir, 'other'));
    const env = { CONTAINER_ENGINE: matrix.CONTAINER_ENGINE, CONTAINER_CLIENT: path(matrix.CONTAINER_CLIENT) };
    let expected: string | undefined;
    try {
      const settings = resolveEngineSettings({ engine: matrix.engine, client: path(matrix.client) || undefined }, env);
      // A bare name is found on PATH, as the engine's client is.
      expected = settings.client.includes('/') ? settings.client : join(dir, 'bin', settings.client);
    } catch {
      expected = undefined; // the program refuses the pair: the fast path asks no client and hands over
    }
    const result = guard(
      {
        ...env,
        PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
        NX_IMAGES_ENGINE: matrix.engine,
        NX_IMAGES_CLIENT: path(matrix.client),
      },
      `sha256:${ID} ${HASH}\nsha256:${ID} ${HASH}\n`,
    );
    if (expected === undefined) {
      expect(result.calls).toEqual([]);
      expect(result.output).toBe('FULL');
    } else {
      expect(result.calls).toEqual([expected]);
      expect(result.output).toMatch(/: present /);
    }
  });
});
