import { execa } from 'execa';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEngineReady, engineEnv, engineTools } from './support/engine';
import { REPO_ROOT } from './support/workspace';
import { NX_PRIVATE_MODULES } from '../src/nx/runtime';

/**
 * Another team adopts the plugin: a scratch workspace with npm, git and an empty nx.json
 * installs the packed tarball next to nx, runs `init`, generates a root on the pinned upstream
 * and a child, and builds incrementally. Once per Nx version the peer range covers.
 */
const VERSIONS = [
  { label: 'nx23', nx: '23.3.1', devkit: '23.3.1', via: 'npm install, then nx g init' },
  { label: 'nx24', nx: '24.0.7', devkit: '24.0.0', via: 'nx add' },
];

let packed: string;
let files: string[];
const scratch: string[] = [];

beforeAll(async () => {
  await assertEngineReady('docker');
  const dir = mkdtempSync(join(tmpdir(), 'adopt-pack-'));
  scratch.push(dir);
  const pack = await execa('npm', ['pack', '--pack-destination', dir, '--json'], { cwd: join(REPO_ROOT, 'tools/images'), reject: false });
  expect(pack.exitCode, pack.stderr).toBe(0);
  const [manifest] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  packed = join(dir, manifest.filename);
  files = manifest.files.map((f) => f.path);
});

describe('the packed plugin', () => {
  it('holds only the compiled plugin, its schemas, its README and its licence', () => {
    const allowed =
      /^(dist\/.+\.js|src\/.+\/schema\.json|bin\/build\.sh|README\.md|LICENSE|package\.json|executors\.json|generators\.json|image-test\.schema\.json)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    expect(files.filter((f) => /\.spec\.|\/testing\/|\/docs\/write-/.test(f))).toEqual([]);
    for (const needed of ['dist/index.js', 'dist/build/main.bundle.js', 'bin/build.sh', 'README.md', 'LICENSE'])
      expect(files).toContain(needed);
  });

  it('publishes cleanly (npm publish --dry-run)', async () => {
    const publish = await execa('npm', ['publish', '--dry-run'], { cwd: join(REPO_ROOT, 'tools/images'), reject: false, all: true });
    expect(publish.exitCode, publish.all).toBe(0);
    expect(publish.all).toContain('+ @ffreis/nx-images@');
  });
});

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe.each(VERSIONS)('a fresh workspace adopts the packed plugin on $label ($via)', ({ label, nx, devkit, via }) => {
  const prefix = `itest-adopt-${label}`;
  const tools = engineTools('docker');
  let ws: string;
  const run = (file: string, args: string[], env: Record<string, string | undefined> = {}) =>
    execa(file, args, {
      cwd: ws,
      reject: false,
      all: true,
      stdin: 'ignore',
      env: {
        ...engineEnv('docker'),
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
        CI: 'true',
        FORCE_COLOR: '0',
        // The root's pin is the digests file the generator writes, not the environment's.
        BASE_IMAGE: undefined,
        BASE_DIGEST: undefined,
        ...env,
      },
    });
  const nxRun = (args: string[]) => run(join(ws, 'node_modules/.bin/nx'), args);
  const statuses = () =>
    Object.fromEntries(
      (JSON.parse(readFileSync(join(ws, 'dist/images/summary.json'), 'utf8')) as { images: { name: string; status: string }[] }).images.map(
        (i) => [i.name, i.status],
      ),
    );

  beforeAll(async () => {
    ws = mkdtempSync(join(tmpdir(), `adopt-${label}-`));
    scratch.push(ws);
    await tools.removeRepositories([`${prefix}/base`, `${prefix}/app`]);
  });

  afterAll(async () => {
    await tools.removeRepositories([`${prefix}/base`, `${prefix}/app`]);
  });

  it('installs the tarball beside nx and @nx/devkit, and init registers it with a .dockerignore', async () => {
    writeFileSync(join(ws, 'package.json'), `${JSON.stringify({ name: `@${prefix}/workspace`, private: true }, null, 2)}\n`);
    writeFileSync(join(ws, 'nx.json'), '{}\n');
    expect((await run('git', ['init', '-q'])).exitCode).toBe(0);
    const npmInstall = (packages: string[]) =>
      run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-dev', ...packages]);
    if (via === 'nx add') {
      const install = await npmInstall([`nx@${nx}`, `@nx/devkit@${devkit}`]);
      expect(install.exitCode, install.all).toBe(0);
      // nx add installs the package, then runs its init generator.
      const add = await nxRun(['add', `@ffreis/nx-images@file:${packed}`]);
      expect(add.exitCode, add.all).toBe(0);
      expect(add.all).toMatch(/Generating @ffreis\/nx-images:init/);
    } else {
      const install = await npmInstall([`nx@${nx}`, `@nx/devkit@${devkit}`, packed]);
      expect(install.exitCode, install.all).toBe(0);
      const init = await nxRun(['g', '@ffreis/nx-images:init', '--no-interactive']);
      expect(init.exitCode, init.all).toBe(0);
    }
    expect(JSON.parse(readFileSync(join(ws, 'node_modules/nx/package.json'), 'utf8')).version).toBe(nx);
    expect(JSON.parse(readFileSync(join(ws, 'node_modules/@ffreis/nx-images/package.json'), 'utf8')).name).toBe('@ffreis/nx-images');
    // The Nx adapter's private modules, on this Nx (src/nx/runtime.ts names each).
    const probe = Object.entries(NX_PRIVATE_MODULES)
      .flatMap(([module, names]) =>
        names.map((name) => `if (!require(${JSON.stringify(module)})[${JSON.stringify(name)}]) missing.push('${module}:${name}');`),
      )
      .join('\n');
    const adapter = await run(process.execPath, ['-e', `const missing = [];\n${probe}\nconsole.log(JSON.stringify(missing));`]);
    expect(adapter.exitCode, adapter.all).toBe(0);
    expect(JSON.parse(adapter.stdout)).toEqual([]);
    expect(JSON.parse(readFileSync(join(ws, 'nx.json'), 'utf8')).plugins).toEqual([
      expect.objectContaining({ plugin: '@ffreis/nx-images', options: expect.objectContaining({ prefix }) }),
    ]);
    expect(readFileSync(join(ws, '.dockerignore'), 'utf8')).toContain('**/.env');
    // A repeat run is a no-op.
    const again = await nxRun(['g', '@ffreis/nx-images:init', '--no-interactive']);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.all).not.toMatch(/^(CREATE|UPDATE) /m);
  });

  it('generates a root on the pinned upstream and a child, builds both, finds both present, rebuilds only the changed child', async () => {
    const from = `${process.env.BASE_IMAGE}@${process.env.BASE_DIGEST}`;
    const root = await nxRun(['g', '@ffreis/nx-images:image', 'base', `--from=${from}`, '--no-interactive']);
    expect(root.exitCode, root.all).toBe(0);
    expect(readFileSync(join(ws, 'images/base/digests.env'), 'utf8')).toContain(`BASE_DIGEST=${process.env.BASE_DIGEST}`);
    const child = await nxRun(['g', '@ffreis/nx-images:image', 'app', '--parent=base', '--no-interactive']);
    expect(child.exitCode, child.all).toBe(0);
    writeFileSync(join(ws, 'app.txt'), 'one\n');
    appendFileSync(join(ws, 'images/app/Dockerfile'), 'COPY app.txt /app.txt\n');
    expect(readdirSync(join(ws, 'images')).sort()).toEqual(['app', 'base']);

    const first = await nxRun(['run-many', '-t', 'build', '--output-style=stream']);
    expect(first.exitCode, first.all).toBe(0);
    expect(statuses()).toEqual({ base: 'built', app: 'built' });
    const copied = await tools.run(['run', '--rm', '--network', 'none', '--entrypoint', 'cat', `${prefix}/app:latest`, '/app.txt']);
    expect(copied.stdout.trim()).toBe('one');

    const again = await nxRun(['run-many', '-t', 'build', '--output-style=stream']);
    expect(again.exitCode, again.all).toBe(0);
    expect(statuses()).toEqual({ base: 'present', app: 'present' });

    writeFileSync(join(ws, 'app.txt'), 'two\n');
    const changed = await nxRun(['run-many', '-t', 'build', '--output-style=stream']);
    expect(changed.exitCode, changed.all).toBe(0);
    expect(statuses()).toEqual({ base: 'present', app: 'built' });

    // The cached targets hash the installed package's version, not sources the workspace lacks.
    const lint = await nxRun(['run-many', '-t', 'lint', '--output-style=stream']);
    expect(lint.exitCode, lint.all).toBe(0);
  });
});
