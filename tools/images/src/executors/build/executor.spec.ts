import type { ExecutorContext } from '@nx/devkit';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineCommand } from '../../engines/types';
import type { BuildTargetOptions } from '../../core/build-options';
// vi.mock below is hoisted above this import by vitest.
import { markRun } from '../../records/run-marks';
import { readInputsRecord } from '../../records/inputs';
import { viewHeader } from '../../engines/view';
import buildExecutor from './executor';

/** A scripted engine: the unit suite stubs the one module that spawns (integration tests use the real one). */
const calls: string[][] = [];
/** ref → the image it names: id and hash label. */
let store: Record<string, { id: string; hash?: string }> = {};
let buildExit = 0;
const ID = (c: string) => `sha256:${c.repeat(64)}`;
vi.mock('../../engines/run-engine', () => ({
  runEngine: async (_adapter: unknown, command: EngineCommand) => {
    calls.push(command.args);
    const [verb, sub] = command.args;
    if (verb === 'image' && sub === 'inspect') {
      // As docker does: a line for each image held, an error for each missing, exit 1 if any is.
      const refs = command.args.slice(4);
      const line = (ref: string) => {
        const image = store[ref];
        const labels = image.hash ? JSON.stringify({ 'org.ffreis.nx-hash': image.hash }) : 'null';
        return `${image.id}|1000|["${ref}"]|${labels}`;
      };
      const missing = refs.filter((ref) => !store[ref]);
      return {
        exitCode: missing.length ? 1 : 0,
        stdout: refs
          .filter((ref) => store[ref])
          .map(line)
          .join('\n'),
        stderr: missing.map((ref) => `Error: No such image: ${ref}`).join('\n'),
      };
    }
    if (verb === 'version') return { exitCode: 0, stdout: '20.10.24', stderr: '' };
    if (verb === 'pull') return { exitCode: 1, stdout: '', stderr: 'Error: manifest unknown' };
    if (verb === 'buildx') return { exitCode: 1, stdout: '', stderr: 'unknown command' };
    if (verb === 'build') {
      // Docker takes the labels as flags; podman as one LABEL step of the Dockerfile on its stdin.
      const label =
        command.args.find((a) => a.startsWith('org.ffreis.nx-hash='))?.split('=')[1] ??
        /"org\.ffreis\.nx-hash"="([^"]*)"/.exec(command.input ?? '')?.[1];
      const tags = command.args.flatMap((a, i) => (command.args[i - 1] === '--tag' ? [a] : []));
      if (buildExit === 0) for (const tag of tags) store[tag] = { id: ID('e'), hash: label };
      return { exitCode: buildExit, stdout: '', stderr: '' };
    }
    if (verb === 'rmi') {
      const ref = command.args[1];
      if (!store[ref]) return { exitCode: 1, stdout: '', stderr: `Error: No such image: ${ref}` };
      delete store[ref];
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    if (verb === 'tag') {
      const source = command.args[1];
      const image = store[source] ?? Object.values(store).find((held) => held.id === source);
      if (!image) return { exitCode: 1, stdout: '', stderr: `Error: No such image: ${source}` };
      store[command.args[2]] = image;
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    throw new Error(`unexpected engine call ${command.args.join(' ')}`);
  },
}));

const DIGEST = `sha256:${'a'.repeat(64)}`;
let root: string;
let errors: string[];

function options(over: Partial<BuildTargetOptions> = {}): BuildTargetOptions {
  return {
    name: 'builder',
    prefix: 'ffreis',
    dockerfile: 'images/builder/Dockerfile',
    context: '.',
    outputDir: 'dist/images',
    parents: [{ name: 'base', arg: 'BASE_IMAGE' }],
    engine: 'docker',
    client: 'docker',
    ...over,
  };
}
const run = (over?: Partial<BuildTargetOptions>) => buildExecutor(options(over), { root } as ExecutorContext);
const meta = (name: string) => join(root, 'dist/images', name, 'image.json');
/** An image.json of the schema's shape (records/schemas.ts), with the given fields. */
const record = (fields: Record<string, unknown>) =>
  JSON.stringify({
    name: 'x',
    ref: 'ffreis/x:0',
    latest: 'ffreis/x:latest',
    imageId: ID('0'),
    hash: '0',
    parents: [],
    sizeBytes: 1,
    durationMs: 1,
    status: 'built',
    engine: 'docker',
    finishedAt: '2026-01-01T00:00:00.000Z',
    ...fields,
  });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'build-executor-'));
  mkdirSync(join(root, 'images/builder'), { recursive: true });
  writeFileSync(join(root, 'images/builder/Dockerfile'), 'ARG BASE_IMAGE=ffreis/base\nFROM ${BASE_IMAGE}\n');
  mkdirSync(join(root, 'dist/images/base'), { recursive: true });
  writeFileSync(meta('base'), record({ ref: 'ffreis/base:1', hash: '1', imageId: ID('b') }));
  store = { 'ffreis/base:1': { id: ID('b'), hash: '1' } };
  calls.length = 0;
  buildExit = 0;
  errors = [];
  vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.join(' ')));
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.stubEnv('NX_TASK_HASH', '42');
  for (const key of [
    'BASE_IMAGE',
    'BASE_DIGEST',
    'CONTAINER_ENGINE',
    'CONTAINER_CLIENT',
    'IMAGE_REGISTRY',
    'NX_INVOCATION_ROOT_PID',
    'IMAGE_BUILD_SECRETS',
    'BUILD_NX_IMAGES_VIEW',
  ])
    vi.stubEnv(key, '');
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('build executor (engine stubbed)', () => {
  it('builds a missing image with its parent’s exact tag, then moves :latest and records it', async () => {
    expect(await run()).toEqual({ success: true });
    const build = calls.find((c) => c[0] === 'build') as string[];
    expect(build).toContain('BASE_IMAGE=ffreis/base:1');
    expect(build[build.indexOf('--tag') + 1]).toBe('ffreis/builder:42');
    expect(calls).toContainEqual(['tag', 'ffreis/builder:42', 'ffreis/builder:latest']);
    expect(JSON.parse(readFileSync(meta('builder'), 'utf8'))).toMatchObject({
      ref: 'ffreis/builder:42',
      status: 'built',
      hash: '42',
      parents: [{ name: 'base', ref: 'ffreis/base:1' }],
    });
  });

  describe('with two parents', () => {
    const two = {
      parents: [
        { name: 'base', arg: 'BASE_IMAGE' },
        { name: 'tools', arg: 'TOOLS_IMAGE' },
      ],
    };
    beforeEach(() => {
      mkdirSync(join(root, 'dist/images/tools'), { recursive: true });
      writeFileSync(meta('tools'), record({ ref: 'ffreis/tools:5', hash: '5' }));
      store['ffreis/tools:5'] = { id: ID('c'), hash: '5' };
    });
    const inspects = () => calls.filter((c) => c[0] === 'image' && c[1] === 'inspect').map((c) => c.slice(4));
    const builderTags = () => Object.keys(store).filter((ref) => ref.startsWith('ffreis/builder:'));

    it('builds from both, then verifies the image and both parents with one engine call', async () => {
      expect(await run(two)).toEqual({ success: true });
      const build = calls.findIndex((c) => c[0] === 'build');
      expect(calls[build]).toEqual(expect.arrayContaining(['BASE_IMAGE=ffreis/base:1', 'TOOLS_IMAGE=ffreis/tools:5']));
      expect(
        calls
          .slice(0, build)
          .filter((c) => c[0] !== 'version')
          .map((c) => c.slice(4)),
      ).toEqual([['ffreis/builder:42']]);
      expect(inspects().slice(1)).toEqual([['ffreis/builder:42', 'ffreis/base:1', 'ffreis/tools:5']]);
    });

    it('names the missing one when the engine holds only the other, and takes the build back', async () => {
      delete store['ffreis/tools:5'];
      expect(await run(two)).toEqual({ success: false });
      expect(errors.join('\n')).toContain(`Image "builder" is built from "tools", but ffreis/tools:5 is not in docker's store`);
      expect(errors.join('\n')).toContain('ffreis/builder:42 is removed and ffreis/builder:latest is removed; nothing was recorded');
      expect(builderTags()).toEqual([]);
      expect(existsSync(meta('builder'))).toBe(false);
    });

    it('refuses a parent held under its tag with another hash, and puts :latest back on the last recorded image', async () => {
      store['ffreis/tools:5'] = { id: ID('c'), hash: '6' };
      store['ffreis/builder:41'] = { id: ID('d'), hash: '41' };
      store['ffreis/builder:latest'] = store['ffreis/builder:41'];
      mkdirSync(join(root, 'dist/images/builder'), { recursive: true });
      writeFileSync(meta('builder'), record({ ref: 'ffreis/builder:41', hash: '41', imageId: ID('d'), parents: [] }));
      expect(await run(two)).toEqual({ success: false });
      expect(errors.join('\n')).toContain(`ffreis/tools:5 is not in docker's store as that hash's build when its build ended`);
      expect(errors.join('\n')).toContain(`ffreis/builder:latest is back on ${'d'.repeat(12)}`);
      expect(builderTags().sort()).toEqual(['ffreis/builder:41', 'ffreis/builder:latest']);
      expect(store['ffreis/builder:latest']).toEqual({ id: ID('d'), hash: '41' });
      expect(existsSync(meta('builder'))).toBe(false);
    });
  });

  it('skips the engine build when the hash tag is present', async () => {
    store['ffreis/builder:42'] = { id: ID('a'), hash: '42' };
    expect(await run()).toEqual({ success: true });
    expect(calls.some((c) => c[0] === 'build')).toBe(false);
    expect(JSON.parse(readFileSync(meta('builder'), 'utf8')).status).toBe('present');
  });

  describe('with the view the run took when it started (BUILD_NX_IMAGES_VIEW)', () => {
    const view = (tags: string) =>
      [viewHeader({ engine: 'docker', client: 'docker' }, process.env), `+ffreis/builder ${tags}`, '+complete'].join('\n');
    const inspected = (ref: string) => calls.some((c) => c[0] === 'image' && c[1] === 'inspect' && c.slice(4).includes(ref));

    it('builds an image absent at the start without inspecting its tag first, and verifies what it built', async () => {
      vi.stubEnv('BUILD_NX_IMAGES_VIEW', view('7,latest'));
      expect(await run()).toEqual({ success: true });
      const before = calls.slice(
        0,
        calls.findIndex((c) => c[0] === 'build'),
      );
      expect(before.some((c) => c[0] === 'image' && c.includes('ffreis/builder:42'))).toBe(false);
      expect(inspected('ffreis/base:1')).toBe(true);
      expect(inspected('ffreis/builder:42')).toBe(true);
      expect(JSON.parse(readFileSync(meta('builder'), 'utf8'))).toMatchObject({ status: 'built', imageId: ID('e') });
    });

    it('asks the engine when a record of this very hash exists (another run built it while this one waited for the lock)', async () => {
      store['ffreis/builder:42'] = { id: ID('a'), hash: '42' };
      mkdirSync(join(root, 'dist/images/builder'), { recursive: true });
      writeFileSync(meta('builder'), record({ ref: 'ffreis/builder:42', hash: '42', imageId: ID('a'), parents: [] }));
      vi.stubEnv('BUILD_NX_IMAGES_VIEW', view('7,latest'));
      expect(await run()).toEqual({ success: true });
      expect(calls.some((c) => c[0] === 'build')).toBe(false);
      expect(JSON.parse(readFileSync(meta('builder'), 'utf8')).status).toBe('present');
    });

    it('never takes the view as proof of presence: the engine is asked', async () => {
      store['ffreis/builder:42'] = { id: ID('a'), hash: '42' };
      vi.stubEnv('BUILD_NX_IMAGES_VIEW', view('42,latest'));
      expect(await run()).toEqual({ success: true });
      expect(inspected('ffreis/builder:42')).toBe(true);
      expect(calls.some((c) => c[0] === 'build')).toBe(false);
    });

    it.each([
      ['for another store', () => view('7').replace('|docker|docker|', '|docker|docker|tcp://elsewhere:2375')],
      ['without every tag', () => view('7').replace('\n+complete', '')],
    ])('asks the engine when the view is %s', async (_case, text) => {
      store['ffreis/builder:42'] = { id: ID('a'), hash: '42' };
      vi.stubEnv('BUILD_NX_IMAGES_VIEW', text());
      expect(await run()).toEqual({ success: true });
      expect(calls.some((c) => c[0] === 'build')).toBe(false);
      expect(JSON.parse(readFileSync(meta('builder'), 'utf8')).status).toBe('present');
    });
  });

  it.each([
    [
      'an image labelled for another hash',
      { id: ID('c'), hash: '7' },
      undefined,
      /builder: ffreis\/builder:42 holds image c{12} labelled for hash 7, not this hash's build: not reusing it/,
    ],
    [
      'an image with no hash label',
      { id: ID('c') },
      undefined,
      /builder: ffreis\/builder:42 holds image c{12} with no hash label, not this hash's build/,
    ],
    [
      'an image whose id is not the recorded one',
      { id: ID('c'), hash: '42' },
      ID('d'),
      /builder: ffreis\/builder:42 holds image c{12}, but the build record names d{12}: not reusing it/,
    ],
  ])('rebuilds instead of reusing %s, and says what it found', async (_case, image, recordedId, line) => {
    const logs: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args) => void logs.push(args.join(' ')));
    store['ffreis/builder:42'] = image;
    if (recordedId) {
      mkdirSync(join(root, 'dist/images/builder'), { recursive: true });
      writeFileSync(meta('builder'), record({ ref: 'ffreis/builder:42', hash: '42', imageId: recordedId, parents: [] }));
    }
    expect(await run()).toEqual({ success: true });
    expect(calls.some((c) => c[0] === 'build')).toBe(true);
    expect(logs.join('\n')).toMatch(line);
    expect(store['ffreis/builder:latest']).toEqual({ id: ID('e'), hash: '42' });
    expect(JSON.parse(readFileSync(meta('builder'), 'utf8'))).toMatchObject({ status: 'built', imageId: ID('e') });
  });

  it('refuses a client that reports success without an image id', async () => {
    vi.stubEnv('CONTAINER_CLIENT', '/bin/true');
    store['ffreis/builder:42'] = { id: '' };
    expect(await run()).toEqual({ success: false });
    expect(errors.join('\n')).toMatch(
      /answered `image inspect ffreis\/builder:42` with success but no image id .*it is not a working docker client/,
    );
    expect(existsSync(meta('builder'))).toBe(false);
  });

  it('takes a build back when its records cannot be written, naming the path: no tag moved, nothing claims it', async () => {
    store['ffreis/builder:41'] = { id: ID('d'), hash: '41' };
    store['ffreis/builder:latest'] = store['ffreis/builder:41'];
    mkdirSync(join(root, 'dist/images/builder/provenance.json'), { recursive: true });
    writeFileSync(meta('builder'), record({ ref: 'ffreis/builder:41', hash: '41', imageId: ID('d'), parents: [] }));
    expect(await run()).toEqual({ success: false });
    const message = errors.join('\n');
    expect(message).toContain('Image "builder" was built, but its records in dist/images/builder could not be written');
    expect(message).toContain('provenance.json');
    expect(message).toContain(`The build is not kept: ffreis/builder:42 is removed and ffreis/builder:latest is back on ${'d'.repeat(12)}`);
    expect(message).toContain('then rerun: npx nx run builder:build [RECORD_FAILED]');
    expect(
      Object.keys(store)
        .filter((ref) => ref.startsWith('ffreis/builder:'))
        .sort(),
    ).toEqual(['ffreis/builder:41', 'ffreis/builder:latest']);
    expect(store['ffreis/builder:latest']).toEqual({ id: ID('d'), hash: '41' });
    expect(existsSync(meta('builder'))).toBe(false);
    expect(existsSync(join(root, 'dist/images/builder/stamp'))).toBe(false);
  });

  it('replaces a folder standing where this run’s mark goes, instead of failing on it', async () => {
    vi.stubEnv('NX_INVOCATION_ROOT_PID', String(process.pid));
    mkdirSync(join(root, 'dist/images/base/runs'), { recursive: true });
    markRun(join(root, 'dist/images/base'), String(process.pid), '1');
    mkdirSync(join(root, `dist/images/builder/runs/${process.pid}`), { recursive: true });
    mkdirSync(join(root, 'dist/images/builder/runs/2147480000'), { recursive: true });
    expect(await run()).toEqual({ success: true });
    expect(readFileSync(join(root, `dist/images/builder/runs/${process.pid}`), 'utf8')).toBe('42\n');
    expect(existsSync(join(root, 'dist/images/builder/runs/2147480000'))).toBe(false);
  });

  it('reads an inputs record of the wrong shape as none: the build goes on, never a crash', async () => {
    mkdirSync(join(root, 'dist/images/builder'), { recursive: true });
    writeFileSync(join(root, 'dist/images/builder/inputs.json'), '{"files": 7, "env": null}');
    expect(await run()).toEqual({ success: true });
    expect(JSON.parse(readFileSync(meta('builder'), 'utf8')).status).toBe('built');
    for (const bad of ['', 'null', '[]', '{"hash": 1}', '{"hash": "1", "files": {}, "env": {"A": 1}, "parents": {}, "exports": {}}']) {
      writeFileSync(join(root, 'dist/images/builder/inputs.json'), bad);
      expect(readInputsRecord(join(root, 'dist/images/builder')), bad).toBeUndefined();
    }
    writeFileSync(join(root, 'dist/images/builder/inputs.json'), '{"hash": "1", "files": {}, "env": {}, "parents": {}, "exports": {}}');
    expect(readInputsRecord(join(root, 'dist/images/builder'))?.hash).toBe('1');
  });

  it('says a build stopped by a signal was stopped, not failed, and tags nothing', async () => {
    buildExit = 143;
    expect(await run()).toEqual({ success: false });
    expect(calls.some((c) => c[0] === 'tag')).toBe(false);
    expect(existsSync(meta('builder'))).toBe(false);
    expect(errors.join('\n')).toContain('The build of "builder" was stopped by SIGTERM (docker exit 143), not by a failing step.');
    expect(errors.join('\n')).not.toContain('Fix the failing step');
  });

  it('leaves no tag, :latest move or record after a failed build', async () => {
    buildExit = 2;
    mkdirSync(join(root, 'dist/images/builder'), { recursive: true });
    writeFileSync(meta('builder'), record({ ref: 'ffreis/builder:41', status: 'built' }));
    expect(await run()).toEqual({ success: false });
    expect(calls.some((c) => c[0] === 'tag')).toBe(false);
    expect(existsSync(meta('builder'))).toBe(false);
    expect(errors.join('\n')).toContain(
      '✖ builder: Image "builder" failed to build from images/builder/Dockerfile (docker exit 2); its output is above.',
    );
    expect(errors.join('\n')).toContain(
      'Nothing was tagged: ffreis/builder:latest still points where it did. Fix the failing step, then rerun: npx nx run ' +
        'builder:build [BUILD_FAILED]',
    );
  });

  it.each([
    ['has no build record', () => writeFileSync(meta('base'), 'not json'), 'base has no build record in dist/images'],
    [
      'is missing from the engine',
      () => {
        store = {};
      },
      "ffreis/base:1 is not in docker's store",
    ],
    [
      'is recorded in a record of the wrong shape (no hash): treated as no record',
      () => {
        writeFileSync(meta('base'), JSON.stringify({ ref: 'ffreis/base:1' }));
        store = {};
      },
      'base has no build record in dist/images',
    ],
  ])('refuses a build when the parent %s, and keeps no tag or record of one', async (_case, arrange, message) => {
    arrange();
    expect(await run()).toEqual({ success: false });
    expect(Object.keys(store).filter((ref) => ref.startsWith('ffreis/builder:'))).toEqual([]);
    expect(existsSync(meta('builder'))).toBe(false);
    expect(errors.join('\n')).toContain(message);
    expect(errors.join('\n')).toContain('Build the chain through Nx so parents build first: npx nx run builder:build [PARENT_NOT_BUILT]');
  });

  it('refuses a parent whose build is not part of this run (its record may be stale)', async () => {
    vi.stubEnv('NX_INVOCATION_ROOT_PID', String(process.pid));
    expect(await run()).toEqual({ success: false });
    expect(calls.some((c) => c[0] === 'build')).toBe(false);
    expect(errors.join('\n')).toContain(
      'Image "builder" is built from "base", whose build is not part of this run (--exclude-task-dependencies?)',
    );
    markRun(join(root, 'dist/images/base'), String(process.pid), '1');
    expect(await run()).toEqual({ success: true });
    expect(readFileSync(join(root, 'dist/images/builder/runs', String(process.pid)), 'utf8').trim()).toBe('42');
    expect(readFileSync(join(root, 'dist/images/builder/stamp'), 'utf8').split('\n')[0]).toBe(ID('e'));
  });

  it.each([
    [
      'the digests file is missing',
      () => undefined,
      'images/base/digests.env: the digests file is missing. Create it with BASE_IMAGE=<image>:<tag> and BASE_DIGEST=sha256:<64 hex>',
    ],
    [
      'the digests file is malformed',
      () => writeFileSync(join(root, 'images/base/digests.env'), 'BASE_IMAGE=debian:12\n'),
      'images/base/digests.env: missing key BASE_DIGEST',
    ],
    ['NX_TASK_HASH is unset', () => vi.stubEnv('NX_TASK_HASH', ''), 'NX_TASK_HASH is not set'],
  ])('makes no engine call when %s', async (_case, arrange, message) => {
    mkdirSync(join(root, 'images/base'), { recursive: true });
    arrange();
    expect(await run({ name: 'base', parents: [], digestsFile: 'images/base/digests.env' })).toEqual({ success: false });
    expect(calls).toEqual([]);
    expect(errors.join('\n')).toContain(message);
  });

  it('passes the pin to the image built from the upstream', async () => {
    mkdirSync(join(root, 'images/base'), { recursive: true });
    writeFileSync(join(root, 'images/base/digests.env'), `BASE_IMAGE=debian:12\nBASE_DIGEST=${DIGEST}\n`);
    writeFileSync(join(root, 'images/builder/Dockerfile'), 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n');
    expect(await run({ parents: [], digestsFile: 'images/base/digests.env' })).toEqual({ success: true });
    const build = calls.find((c) => c[0] === 'build') as string[];
    expect(build).toEqual(expect.arrayContaining(['BASE_IMAGE=debian:12', `BASE_DIGEST=${DIGEST}`]));
  });
});

describe('the layer cache a build imports when the registry lacks its hash tag (IMAGE_LAYER_CACHE)', () => {
  const buildArgs = () => calls.find((c) => c[0] === 'build') ?? [];
  it.each([
    ['on', ['--cache-from', '127.0.0.1:5000/t/cache/builder', '--cache-to', '127.0.0.1:5000/t/cache/builder']],
    ['read', ['--cache-from', '127.0.0.1:5000/t/cache/builder']],
    ['off', []],
  ])('podman, %s: %j', async (mode, expected) => {
    vi.stubEnv('IMAGE_LAYER_CACHE', mode);
    vi.stubEnv('IMAGE_REGISTRY', '127.0.0.1:5000/t');
    expect(await run({ engine: 'podman', client: 'podman' })).toEqual({ success: true });
    expect(buildArgs().filter((a, i, all) => a.startsWith('--cache-') || all[i - 1]?.startsWith('--cache-'))).toEqual(expected);
  });
});
