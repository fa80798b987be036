import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCRATCH_LABEL } from '../../core/naming';
import { dockerAdapter } from '../../engines/docker';
import { podmanAdapter } from '../../engines/podman';
import type { BuildSpec } from '../../engines/types';
import { markRun } from '../../records/run-marks';
import type { BuildPlan } from './plan';
import { childrenToWarm, dockerfilesRead, warmCommand, writeWarmSpec } from './warm';

let root: string;
const PID = String(process.pid);
const docker = dockerAdapter('/usr/bin/docker');

function plan(over: Partial<BuildPlan> = {}): BuildPlan {
  return {
    options: { name: 'builder', prefix: 'ffreis', dockerfile: 'images/builder/Dockerfile', outputDir: 'dist/images' },
    root,
    hash: '2',
    tag: '2',
    ref: 'ffreis/builder:2',
    latest: 'ffreis/builder:latest',
    engine: { engine: 'docker', client: '/usr/bin/docker', network: 'host' },
    registry: {},
    metaFile: join(root, 'dist/images/builder/image.json'),
    started: 0,
    rootPid: PID,
    platforms: [],
    ...over,
  } as BuildPlan;
}

/** runner's last build, from builder:1 and base-runner:7. */
function runnerSpec(over: Partial<BuildSpec> = {}): BuildSpec {
  return {
    dockerfile: join(root, 'images/runner/Dockerfile'),
    context: root,
    tags: ['ffreis/runner:9', 'ffreis/runner:latest'],
    buildArgs: { BUILDER_IMAGE: 'ffreis/builder:1', BASE_RUNNER_IMAGE: 'ffreis/base-runner:7' },
    labels: { 'org.ffreis.nx-hash': '9' },
    network: 'host',
    buildkit: true,
    ...over,
  };
}

const RUNNER_PARENTS = [
  { name: 'builder', arg: 'BUILDER_IMAGE', ref: 'ffreis/builder:1' },
  { name: 'base-runner', arg: 'BASE_RUNNER_IMAGE', ref: 'ffreis/base-runner:7' },
];

function recordRunner() {
  writeWarmSpec(join(root, 'dist/images/runner'), docker, runnerSpec(), RUNNER_PARENTS, [join(root, 'images/base-runner/Dockerfile')]);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'warm-'));
  for (const name of ['builder', 'runner', 'base-runner']) {
    mkdirSync(join(root, 'images', name), { recursive: true });
    writeFileSync(join(root, 'images', name, 'Dockerfile'), 'FROM scratch\nCOPY a /a\n');
    mkdirSync(join(root, 'dist/images', name), { recursive: true });
  }
  // base-runner was found present in this run, under hash 8.
  markRun(join(root, 'dist/images/base-runner'), PID, '8');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('writeWarmSpec: what a child records for its parents to warm', () => {
  it('records a docker BuildKit build without tags and labels, with its parents and the Dockerfiles it reads', () => {
    recordRunner();
    const warm = JSON.parse(readFileSync(join(root, 'dist/images/runner/warm.json'), 'utf8'));
    expect(warm).toEqual({
      engine: 'docker',
      client: '/usr/bin/docker',
      dockerfile: join(root, 'images/runner/Dockerfile'),
      context: root,
      network: 'host',
      buildArgs: { BUILDER_IMAGE: 'ffreis/builder:1', BASE_RUNNER_IMAGE: 'ffreis/base-runner:7' },
      parents: RUNNER_PARENTS,
      dockerfiles: [join(root, 'images/runner/Dockerfile'), join(root, 'images/base-runner/Dockerfile')],
    });
  });

  it.each([
    ['with secrets', { secrets: [{ id: 'pip', src: '/x' }] }, docker],
    ['on the legacy builder', { buildkit: false }, docker],
    ['for one platform of several', { platform: 'linux/arm64' }, docker],
    ['on podman', {}, podmanAdapter('podman')],
  ])('records nothing for a build %s, and drops an older record', (_, over: Partial<BuildSpec>, adapter) => {
    recordRunner();
    writeWarmSpec(join(root, 'dist/images/runner'), adapter, runnerSpec(over), RUNNER_PARENTS, []);
    expect(existsSync(join(root, 'dist/images/runner/warm.json'))).toBe(false);
  });

  it('records nothing when the Dockerfiles the build reads are not known', () => {
    recordRunner();
    writeWarmSpec(join(root, 'dist/images/runner'), docker, runnerSpec(), RUNNER_PARENTS, undefined);
    expect(existsSync(join(root, 'dist/images/runner/warm.json'))).toBe(false);
  });

  it('dockerfilesRead: the Dockerfiles among the hashed files, by name or named as the own one', () => {
    const files = { 'app/lib.py': '1', 'images/base/Dockerfile': '2', 'images/x/Containerfile': '3', 'images/y/build.df': '4' };
    const read = dockerfilesRead({ root, options: { dockerfile: 'images/z/build.df' } as BuildPlan['options'] }, { files });
    expect(read).toEqual([join(root, 'images/base/Dockerfile'), join(root, 'images/x/Containerfile'), join(root, 'images/y/build.df')]);
    expect(dockerfilesRead(plan(), undefined)).toBeUndefined();
  });
});

describe('childrenToWarm: which children start building when an image is built', () => {
  it("warms a child from the new tag and the other parents' tags of this run, with no tag and a nonce label", () => {
    recordRunner();
    const builds = childrenToWarm(plan(), docker, {});
    expect(builds).toHaveLength(1);
    const [{ child, spec }] = builds;
    expect(child).toBe('runner');
    expect(spec.buildArgs).toEqual({ BUILDER_IMAGE: 'ffreis/builder:2', BASE_RUNNER_IMAGE: 'ffreis/base-runner:8' });
    expect(spec.tags).toEqual([]);
    expect(Object.keys(spec.labels)).toEqual([SCRATCH_LABEL]);
    expect(spec.labels[SCRATCH_LABEL]).toMatch(/^[0-9a-f]{16}$/);
    expect(childrenToWarm(plan(), docker, {})[0].spec.labels[SCRATCH_LABEL]).not.toBe(spec.labels[SCRATCH_LABEL]);
    expect(spec).toMatchObject({ dockerfile: join(root, 'images/runner/Dockerfile'), context: root, network: 'host', buildkit: true });
  });

  it('warms no child whose other parent is not confirmed in this run (it may be building still)', () => {
    recordRunner();
    rmSync(join(root, 'dist/images/base-runner/runs'), { recursive: true });
    expect(childrenToWarm(plan(), docker, {})).toEqual([]);
  });

  it('warms no child built from these very parents already (a restore under the same tag)', () => {
    recordRunner();
    markRun(join(root, 'dist/images/base-runner'), PID, '7');
    expect(childrenToWarm(plan({ ref: 'ffreis/builder:1' }), docker, {})).toEqual([]);
  });

  it.each([
    [
      'a secret mount in its Dockerfile',
      () => writeFileSync(join(root, 'images/runner/Dockerfile'), 'FROM a\nRUN --mount=type=secret,id=x,required=false true\n'),
    ],
    [
      'an ssh mount in an ancestor it reads (ONBUILD)',
      () => writeFileSync(join(root, 'images/base-runner/Dockerfile'), 'FROM a\nONBUILD RUN --mount=type=ssh true\n'),
    ],
    ['a Dockerfile it read that is gone', () => rmSync(join(root, 'images/base-runner/Dockerfile'))],
  ])('warms no child with %s', (_, change) => {
    recordRunner();
    change();
    expect(childrenToWarm(plan(), docker, {})).toEqual([]);
  });

  it.each([
    ['IMAGE_WARM_CHILDREN=off', {}, { IMAGE_WARM_CHILDREN: 'off' }],
    ['build secrets in the environment', {}, { IMAGE_BUILD_SECRETS: 'pip=/x' }],
    ['another network', { engine: { engine: 'docker' as const, client: '/usr/bin/docker', network: 'bridge' } }, {}],
    ['another client', { engine: { engine: 'docker' as const, client: '/opt/docker' } }, {}],
    ['several platforms', { platforms: ['linux/amd64', 'linux/arm64'] }, {}],
    ['no Nx run (no run marks)', { rootPid: undefined }, {}],
  ])('warms nothing with %s', (_, over: Partial<BuildPlan>, env: NodeJS.ProcessEnv) => {
    recordRunner();
    const thePlan = plan(over);
    const adapter = thePlan.engine.client === '/opt/docker' ? dockerAdapter('/opt/docker') : docker;
    expect(childrenToWarm(thePlan, adapter, env)).toEqual([]);
  });

  it('warms nothing on podman', () => {
    recordRunner();
    expect(childrenToWarm(plan(), podmanAdapter('/usr/bin/docker'), {})).toEqual([]);
  });
});

describe('warmCommand: the detached build, then the removal of its image', () => {
  /** A client that logs its arguments; `build` writes the id file as docker does (no final newline). */
  function fakeClient(buildExit: number): { client: string; log: string } {
    const log = join(root, 'calls.log');
    const client = join(root, 'docker');
    writeFileSync(
      client,
      '#!/bin/sh\n' +
        `echo "$*" >> ${log}\n` +
        'if [ "$1" = build ]; then [ "$2" = --iidfile ] && printf %s sha256:abc > "$3"; ' +
        `exit ${buildExit}; fi\n`,
    );
    chmodSync(client, 0o755);
    return { client, log };
  }

  it('builds with --iidfile, then removes exactly the image it made, and its id file', async () => {
    recordRunner();
    const { client, log } = fakeClient(0);
    const [build] = childrenToWarm(plan(), docker, {});
    const command = warmCommand(dockerAdapter(client), build);
    const iid = command.args[command.args.indexOf('--iidfile') + 1];
    await execa(command.command, command.args, { env: command.env });
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatch(new RegExp(`^build --iidfile ${iid} --progress plain --file \\S+/images/runner/Dockerfile `));
    expect(calls[0]).toContain('--build-arg BUILDER_IMAGE=ffreis/builder:2 --build-arg BASE_RUNNER_IMAGE=ffreis/base-runner:8');
    expect(calls[0]).not.toContain('--tag');
    expect(calls[1]).toBe('image rm sha256:abc');
    expect(existsSync(iid)).toBe(false);
  });

  it('removes nothing when the build fails', async () => {
    recordRunner();
    const { client, log } = fakeClient(1);
    const [build] = childrenToWarm(plan(), docker, {});
    const command = warmCommand(dockerAdapter(client), build);
    await execa(command.command, command.args, { env: command.env, reject: false });
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
