import type { ExecutorContext } from '@nx/devkit';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ImageError } from '../core/errors';
import { INSPECT_FORMAT, type EngineCommand } from '../engines/types';
import { writeMetadata, type ImageMetadata } from '../records/metadata';
import cleanExecutor from './clean/executor';
import lintExecutor from './lint/executor';
import pushExecutor from './push/executor';
import runExecutor from './run/executor';
import sbomExecutor from './sbom/executor';
import testExecutor from './test/executor';
import updateDigestExecutor from './update-digest/executor';

/**
 * Every executor but build (executors/build/executor.spec.ts) against a scripted engine:
 * the one module that spawns is stubbed, and so is the registry's HTTP client.
 * Integration suites run the same executors against the real engines.
 */
const calls: string[][] = [];
let answers: ((args: string[]) => { exitCode: number; stdout?: string; stderr?: string } | undefined)[] = [];
vi.mock('../engines/run-engine', () => ({
  runEngine: async (_adapter: unknown, command: EngineCommand) => {
    calls.push(command.args);
    for (const answer of answers) {
      const result = answer(command.args);
      if (result) return { stdout: '', stderr: '', ...result };
    }
    return { exitCode: 0, stdout: '', stderr: '' };
  },
  runEngineBinary: async (_adapter: unknown, command: EngineCommand) => {
    calls.push(command.args);
    const path = command.args[1]?.split(':').pop() as string;
    if (!(path in files)) throw new ImageError('ENGINE_FAILED', `no ${path} in the image`);
    return tarOf(path, files[path]);
  },
  startEngine: (command: EngineCommand) => {
    calls.push(command.args);
  },
}));
/** Files the scripted engine's images hold, as `cp <container>:<path> -` gives them. */
let files: Record<string, string> = {};
function tarOf(path: string, content: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'cp-'));
  writeFileSync(join(dir, path.split('/').pop() as string), content);
  return execFileSync('tar', ['--format=pax', '-C', dir, '-cf', '-', path.split('/').pop() as string]);
}
let registryDigest = '';
vi.mock('../oci/distribution', () => ({ resolveTagDigest: async () => registryDigest }));

const ID = `sha256:${'a'.repeat(64)}`;
const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;
let root: string;
let errors: string[];
let logs: string[];
const context = () => ({ root }) as ExecutorContext;
const common = { prefix: 'ffreis', outputDir: 'dist/images', engine: 'docker' as const, client: 'docker' };

function record(name: string, over: Partial<ImageMetadata> = {}) {
  writeMetadata(join(root, 'dist/images', name, 'image.json'), {
    name,
    ref: `ffreis/${name}:42`,
    latest: `ffreis/${name}:latest`,
    imageId: ID,
    hash: '42',
    parents: [],
    sizeBytes: 1,
    durationMs: 1,
    status: 'built',
    engine: 'docker',
    finishedAt: new Date().toISOString(),
    ...over,
  });
}
const inspectAnswer = (args: string[]) =>
  args[0] === 'image' && args[1] === 'inspect' && args.includes(INSPECT_FORMAT)
    ? { exitCode: 0, stdout: `${ID}|1|["${args[args.length - 1]}"]|{"org.ffreis.nx-hash":"42"}` }
    : undefined;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'executors-'));
  calls.length = 0;
  answers = [];
  files = {};
  errors = [];
  logs = [];
  vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
  vi.spyOn(console, 'log').mockImplementation((m: string) => void logs.push(m));
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  delete process.env.IMAGE_REGISTRY;
  delete process.env.CONTAINER_ENGINE;
  delete process.env.CONTAINER_CLIENT;
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

describe('clean', () => {
  it('removes every tag one at a time, then the record and the stamp', async () => {
    record('base');
    writeFileSync(join(root, 'dist/images/base/stamp'), `${ID}\n`);
    answers.push((a) =>
      a[0] === 'images' ? { exitCode: 0, stdout: 'ffreis/base:42\nffreis/base:latest\nffreis/base:<none>\n' } : undefined,
    );
    expect(await cleanExecutor({ name: 'base', ...common }, context())).toEqual({ success: true });
    expect(calls.filter((c) => c[0] === 'rmi')).toEqual([
      ['rmi', 'ffreis/base:42'],
      ['rmi', 'ffreis/base:latest'],
    ]);
    expect(() => readFileSync(join(root, 'dist/images/base/image.json'))).toThrow();
    expect(() => readFileSync(join(root, 'dist/images/base/stamp'))).toThrow();
  });

  it('lists again while the other images’ cleans remove images under podman’s listing ("image not known")', async () => {
    let listings = 0;
    answers.push((a) => {
      if (a[0] !== 'images') return undefined;
      listings += 1;
      return listings <= 6
        ? { exitCode: 125, stderr: 'Error: reading image "5ecf": locating image with ID "5ecf": image not known' }
        : { exitCode: 0, stdout: 'ffreis/base:42\n' };
    });
    expect(await cleanExecutor({ name: 'base', ...common }, context())).toEqual({ success: true });
    expect(listings).toBe(7);
    expect(calls.filter((c) => c[0] === 'rmi')).toEqual([['rmi', 'ffreis/base:42']]);
  });

  it('fails with the engine’s reason when a tag cannot be removed, but not for one already gone', async () => {
    answers.push((a) => (a[0] === 'images' ? { exitCode: 0, stdout: 'ffreis/base:1\nffreis/base:2\n' } : undefined));
    answers.push((a) =>
      a[0] === 'rmi' && a[1] === 'ffreis/base:1' ? { exitCode: 1, stderr: 'Error: No such image: ffreis/base:1' } : undefined,
    );
    answers.push((a) => (a[0] === 'rmi' ? { exitCode: 1, stderr: 'conflict: image is being used by running container' } : undefined));
    expect(await cleanExecutor({ name: 'base', ...common }, context())).toEqual({ success: false });
    expect(errors.join('\n')).toMatch(/docker rmi ffreis\/base:2 failed: conflict: image is being used .*\[ENGINE_FAILED\]/);
  });
});

describe('push', () => {
  it('pushes the recorded hash tag and the moving tags asked for, under the registry repository', async () => {
    record('runner');
    answers.push(inspectAnswer);
    const result = await pushExecutor({ name: 'runner', ...common, registry: '127.0.0.1:5000/team', tags: 'latest,git-abc' }, context());
    expect(result).toEqual({ success: true });
    expect(calls.filter((c) => c[0] === 'push').map((c) => c[1])).toEqual([
      '127.0.0.1:5000/team/runner:42',
      '127.0.0.1:5000/team/runner:latest',
      '127.0.0.1:5000/team/runner:git-abc',
    ]);
  });

  it('pushes provenance.json and the SBOM with the image when they describe it, as <hash tag>.provenance and .sbom', async () => {
    record('runner');
    answers.push(inspectAnswer);
    const dir = join(root, 'dist/images/runner');
    // A provenance record of the schema's shape (records/schemas.ts).
    writeFileSync(
      join(dir, 'provenance.json'),
      JSON.stringify({
        schema: 'nx-images/provenance/v1',
        image: { name: 'runner', ref: 'team/runner:42', id: ID, hash: '42' },
        status: 'built',
        parents: [],
        engine: { name: 'docker', client: 'docker' },
        versions: { nxImages: '0.1.0', nx: '23.3.1', node: '20.20.0' },
        finishedAt: '2026-01-01T00:00:00.000Z',
      }),
    );
    writeFileSync(join(dir, 'sbom.cdx.json'), JSON.stringify({ metadata: { component: { version: DIGEST('b') } } }));
    expect(await pushExecutor({ name: 'runner', ...common, registry: '127.0.0.1:5000/team' }, context())).toEqual({ success: true });
    // The SBOM describes another image (an older build): it stays home.
    expect(calls.filter((c) => c[0] === 'push').map((c) => c[1])).toEqual([
      '127.0.0.1:5000/team/runner:42',
      '127.0.0.1:5000/team/runner:42.provenance',
    ]);
    expect(calls.some((c) => c[0] === 'build' && c.includes('127.0.0.1:5000/team/runner:42.provenance') && c.includes('--no-cache'))).toBe(
      true,
    );
  });

  it('refuses without a registry, with a bad tag, or with nothing built, before any push', async () => {
    expect(await pushExecutor({ name: 'runner', ...common }, context())).toEqual({ success: false });
    expect(await pushExecutor({ name: 'runner', ...common, registry: 'r:5000/t', tags: 'bad tag' }, context())).toEqual({ success: false });
    expect(await pushExecutor({ name: 'runner', ...common, registry: 'r:5000/t' }, context())).toEqual({ success: false });
    expect(errors.join('\n')).toMatch(
      /\[NO_REGISTRY\][\s\S]*"bad tag" is not a valid image tag[\s\S]*Nothing to push for "runner": build it first.*\[NOT_BUILT\]/,
    );
    expect(calls.filter((c) => c[0] === 'push')).toEqual([]);
  });
});

describe('sbom', () => {
  it('reads dpkg status, os-release and the lock out of the recorded image, writes the SBOM and says where', async () => {
    record('runner');
    answers.push(inspectAnswer, (args) => (args[0] === 'create' ? { exitCode: 0, stdout: 'c0ffee\n' } : undefined));
    files = {
      '/var/lib/dpkg/status': 'Package: adduser\nStatus: install ok installed\nArchitecture: all\nVersion: 3.134\n',
      '/usr/lib/os-release': 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
    };
    expect(await sbomExecutor({ name: 'runner', ...common }, context())).toEqual({ success: true });
    const bom = JSON.parse(readFileSync(join(root, 'dist/images/runner/sbom.cdx.json'), 'utf8')) as {
      metadata: { component: { version: string } };
      components: { purl: string }[];
    };
    expect(bom.metadata.component.version).toBe(ID);
    expect(bom.components.map((c) => c.purl)).toEqual(['pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12']);
    expect(logs.join('\n')).toContain('runner: SBOM (CycloneDX 1.6, 1 packages) of ffreis/runner:42: dist/images/runner/sbom.cdx.json');
    // The container it reads from is created, never started, and removed (without waiting for the removal).
    expect(calls.filter((c) => ['create', 'start', 'run', 'rm'].includes(c[0])).map((c) => c[0])).toEqual(['create', 'rm']);
  });

  it('refuses (NOT_BUILT) when the recorded image is not in the engine, writing nothing', async () => {
    record('runner');
    answers.push((args) => (args[0] === 'image' ? { exitCode: 1, stderr: 'Error: No such image' } : undefined));
    expect(await sbomExecutor({ name: 'runner', ...common }, context())).toEqual({ success: false });
    expect(errors.join('\n')).toMatch(/No image of "runner" to describe: build it first.*\[NOT_BUILT\]/s);
  });
});

describe('run', () => {
  it('runs the recorded image with the app’s arguments', async () => {
    record('runner');
    expect(await runExecutor({ name: 'runner', ...common, args: 'Alice --loud' }, context())).toEqual({ success: true });
    expect(calls).toEqual([['run', '--rm', 'ffreis/runner:42', 'Alice', '--loud']]);
  });

  it('refuses dash arguments Nx took as the target’s own options, and says how to pass them to the app', async () => {
    record('runner');
    const options = { name: 'runner', ...common, _: ['Alice'], loud: true, dryRun: 'yes' };
    expect(await runExecutor(options, context())).toEqual({ success: false });
    expect(calls).toEqual([]);
    expect(errors.join('\n')).toContain(
      '--loud --dry-run=yes reached the run target as options of its own (Nx reads dash arguments itself), not as the app',
    );
    expect(errors.join('\n')).toContain('npx nx run runner:run --args="--loud --dry-run=yes"');
  });

  it('says the app failed (APP_FAILED), not the engine, when the app exits non-zero; NOT_BUILT without a record', async () => {
    record('runner');
    answers.push(() => ({ exitCode: 3 }));
    expect(await runExecutor({ name: 'runner', ...common }, context())).toEqual({ success: false });
    rmSync(join(root, 'dist'), { recursive: true });
    expect(await runExecutor({ name: 'runner', ...common }, context())).toEqual({ success: false });
    expect(errors.join('\n')).toMatch(/ffreis\/runner:42 exited with 3.*\[APP_FAILED\][\s\S]*No build record for "runner".*\[NOT_BUILT\]/);
  });
});

describe('test', () => {
  it('checks the recorded image against its spec through the adapter’s commands', async () => {
    record('runner');
    mkdirSync(join(root, 'images/runner'), { recursive: true });
    const spec = {
      user: '10001',
      commands: [{ name: 'greets', entrypoint: 'id', args: ['-u'], stdout: '10001' }],
      files: [{ path: '/app', owner: '0:0' }],
    };
    writeFileSync(join(root, 'images/runner/image-test.json'), JSON.stringify(spec));
    answers.push((a) =>
      a.includes('{{json .Config}}|{{.Size}}') ? { exitCode: 0, stdout: '{"User":"10001","Labels":{}}|1000' } : undefined,
    );
    answers.push((a) => (a.includes('--user') ? { exitCode: 0, stdout: '0:0 755' } : undefined));
    answers.push((a) => (a[0] === 'run' ? { exitCode: 0, stdout: '10001' } : undefined));
    expect(await testExecutor({ name: 'runner', ...common, spec: 'images/runner/image-test.json' }, context())).toEqual({ success: true });
    expect(calls).toContainEqual(['run', '--rm', '--entrypoint', 'id', 'ffreis/runner:42', '-u']);
    expect(calls.find((c) => c.includes('--user'))?.slice(0, 6)).toEqual(['run', '--rm', '--user', '0', '--entrypoint', 'sh']);
    expect(logs.join('\n')).toContain('runner: 5 passed, 0 failed');
  });

  it('fails a check the image does not pass, and refuses an unreadable spec', async () => {
    record('runner');
    writeFileSync(join(root, 'spec.json'), JSON.stringify({ user: '10001' }));
    answers.push(() => ({ exitCode: 0, stdout: '{"User":"root"}|1' }));
    expect(await testExecutor({ name: 'runner', ...common, spec: 'spec.json' }, context())).toEqual({ success: false });
    expect(await testExecutor({ name: 'runner', ...common, spec: 'missing.json' }, context())).toEqual({ success: false });
    expect(errors.join('\n')).toMatch(/missing\.json: cannot read the image test spec/);
  });
});

describe('lint', () => {
  it('passes a pinned Dockerfile and fails a runner that ends as root, naming file and line', async () => {
    mkdirSync(join(root, 'images/base'), { recursive: true });
    writeFileSync(join(root, 'images/base/digests.env'), `BASE_IMAGE=debian:bookworm\nBASE_DIGEST=${DIGEST('b')}\n`);
    writeFileSync(join(root, 'images/base/Dockerfile'), 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n');
    writeFileSync(join(root, 'images/base/Runner'), 'ARG BASE_IMAGE=ffreis/base\nFROM ${BASE_IMAGE}\nUSER root\n');
    expect(
      await lintExecutor(
        { name: 'base', prefix: 'ffreis', dockerfile: 'images/base/Dockerfile', digestsFile: 'images/base/digests.env' },
        context(),
      ),
    ).toEqual({ success: true });
    expect(await lintExecutor({ name: 'runner', prefix: 'ffreis', dockerfile: 'images/base/Runner', isRunImage: true }, context())).toEqual(
      { success: false },
    );
    expect(logs.join('\n')).toMatch(/images\/base\/Runner:3/);
    expect(calls).toEqual([]);
  });
});

describe('update-digest', () => {
  const file = () => join(root, 'images/base/digests.env');
  beforeEach(() => {
    mkdirSync(join(root, 'images/base'), { recursive: true });
    writeFileSync(file(), `# pin\nBASE_IMAGE=debian:bookworm\nBASE_DIGEST=${DIGEST('b')}\n`);
    // The file is the pin here (CI exports BASE_IMAGE/BASE_DIGEST for its builds).
    vi.stubEnv('BASE_IMAGE', '');
    vi.stubEnv('BASE_DIGEST', '');
  });
  afterEach(() => vi.unstubAllEnvs());

  it('checks the pin the environment sets, and does not write a file that names another', async () => {
    vi.stubEnv('BASE_IMAGE', 'mirror.example/debian:bookworm');
    vi.stubEnv('BASE_DIGEST', DIGEST('b'));
    registryDigest = DIGEST('c');
    expect(await updateDigestExecutor({ name: 'base', digestsFile: 'images/base/digests.env' }, context())).toEqual({ success: false });
    expect(errors.join('\n')).toContain('BASE_IMAGE in the environment: the pin of mirror.example/debian:bookworm is stale');
    expect(errors.join('\n')).toContain(`Set BASE_DIGEST=${DIGEST('c')} where you set BASE_IMAGE`);
    expect(readFileSync(file(), 'utf8')).toContain(DIGEST('b'));
  });

  it('moves the pin to the registry’s digest, keeping the rest of the file', async () => {
    registryDigest = DIGEST('c');
    expect(await updateDigestExecutor({ name: 'base', digestsFile: 'images/base/digests.env' }, context())).toEqual({ success: true });
    expect(readFileSync(file(), 'utf8')).toBe(`# pin\nBASE_IMAGE=debian:bookworm\nBASE_DIGEST=${DIGEST('c')}\n`);
  });

  it('with --check, reports a stale pin and changes nothing; a current pin passes', async () => {
    registryDigest = DIGEST('c');
    expect(await updateDigestExecutor({ name: 'base', digestsFile: 'images/base/digests.env', check: true }, context())).toEqual({
      success: false,
    });
    expect(readFileSync(file(), 'utf8')).toContain(DIGEST('b'));
    registryDigest = DIGEST('b');
    expect(await updateDigestExecutor({ name: 'base', digestsFile: 'images/base/digests.env', check: true }, context())).toEqual({
      success: true,
    });
  });

  it('names a missing digests file', async () => {
    expect(await updateDigestExecutor({ name: 'base', digestsFile: 'nope.env' }, context())).toEqual({ success: false });
    expect(errors.join('\n')).toMatch(/nope\.env: the digests file is missing.*\[DIGESTS_FILE_MISSING\]/);
  });
});
