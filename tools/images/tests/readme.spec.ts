import { execa } from 'execa';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeCommands } from '../src/docs/readme-rows';
import { assertEngineReady, engineTools } from './support/engine';
import { startRegistry, type TestRegistry } from './support/registry';
import { CHAIN, createTestWorkspace, NX_TEST_ENV, REPO_ROOT, type TestWorkspace } from './support/workspace';

/**
 * Every command the README shows, run as a newcomer runs it: in README order, copied into bash
 * after the README's own set-up (the engine, registry and base `.ci/engine.sh` starts, `npm ci`),
 * in a copy of the workspace that is a git repository whose last commit changed the app. A row
 * with a placeholder runs with it filled in. A row that sets the machine up or runs a suite is
 * run by CI itself; each is named below with where. A row the README gains fails here until it
 * is placed.
 */
const PREFIX = 'itest-readme';
const REGISTRY_PORT = 5093;

/** Rows this test does not run, and who runs them. */
const ELSEWHERE: Record<string, string> = {
  'npm ci': '.ci/run, before every suite',
  'npm test': '.ci/run: the README’s test command',
  'bash .ci/engine.sh': '.ci/run starts with it',
  'bash .ci/engine.sh stop': '.ci/run ends with it',
  'bash .ci/run': 'CI itself',
  'npm run test:podman': '.ci/run',
  'npm run test:soundness': '.ci/run',
  'npm run test:adopt': '.ci/run',
  'npm run test:readme': '.ci/run (this test)',
  'npm run bench': 'maintainers, before they resolve an issue (about 15 min; docs/benchmarks.md)',
  'npm run build:plugin': '`npm ci` (its prepare script) and .ci/run',
  'npx nx add @ffreis/nx-images@file:../ffreis-nx-images-0.1.0.tgz': 'npm run test:adopt, in another workspace',
  'npx nx g @ffreis/nx-images:image base --from=debian:bookworm@sha256:<digest>': 'npm run test:adopt, in another workspace',
  'npx nx g @ffreis/nx-images:image app --parent=base': 'npm run test:adopt, in another workspace',
};

/** Rows run with a placeholder filled in, or a registry of this test's in place of the example host. */
function filled(command: string, registry: string): string {
  const rows: Record<string, string> = {
    'npx nx run <name>:clean': 'npx nx run worker:clean',
    'npx nx g @ffreis/nx-images:image <name> --parent=<image>': 'npx nx g @ffreis/nx-images:image extra --parent=base-builder',
    'CONTAINER_ENGINE=podman npx nx …': 'CONTAINER_ENGINE=podman npx nx run-many -t build',
    // The row opens the graph in a browser, serving until stopped: the same graph, written to a file.
    'npx nx graph': 'npx nx graph --file=graph.html',
    // The README's row says the images are shared through IMAGE_REGISTRY.
    'npx nx run-many -t push': `IMAGE_REGISTRY=${registry}/team npx nx run-many -t push`,
  };
  return rows[command] ?? command.replace('registry.example.com', registry);
}

/** What some rows must print besides exiting 0. */
const PRINTS: Record<string, RegExp> = {
  'npx nx run-many -t build': /total: \d+ images/,
  'npx nx run runner:run -- Alice': /Hello, Alice!/,
  'npx nx run runner:run': /Hello, world!/,
  'npm run plan': /present/,
  'npx nx affected -t build --base=HEAD~1 --head=HEAD': /runner +(built|present) /,
};

const all = readmeCommands(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
let ws: TestWorkspace;
let registry: TestRegistry;
const docker = engineTools('docker');
const podman = engineTools('podman');
const repositories = () => [...CHAIN, 'worker', 'extra'].map((name) => `${PREFIX}/${name}`);

beforeAll(async () => {
  await assertEngineReady('docker');
  await assertEngineReady('podman');
  registry = await startRegistry(REGISTRY_PORT);
  ws = createTestWorkspace(PREFIX);
  // The compiled plugin, as `npm ci` leaves it (the unit suite of `-t lint test` checks it is there).
  cpSync(join(REPO_ROOT, 'tools/images/dist'), join(ws.dir, 'tools/images/dist'), { recursive: true });
  const git = (...args: string[]) =>
    execa('git', ['-c', 'user.name=readme', '-c', 'user.email=readme@example.invalid', ...args], { cwd: ws.dir });
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-qm', 'the workspace');
  ws.append('app/lib.py', '\n# the last commit changed the app\n');
  await git('commit', '-qam', 'an app change');
});

afterAll(async () => {
  await docker.removeRepositories(repositories());
  await podman.removeRepositories(repositories());
  await registry?.stop();
  ws?.remove();
});

describe('every command the README shows, run in README order', () => {
  it('places every row: run here, or named with who runs it', () => {
    expect(all.length).toBeGreaterThan(20);
    for (const command of Object.keys(ELSEWHERE)) expect(all, `${command} is no longer in the README: drop it here`).toContain(command);
  });

  it.each(all.filter((command) => !(command in ELSEWHERE)).map((command, i) => [i + 1, command]))('%i. %s', async (_i, command) => {
    const line = filled(command, registry.address);
    const started = Date.now();
    const result = await execa('bash', ['-c', line], {
      cwd: ws.dir,
      reject: false,
      all: true,
      stdin: 'ignore',
      env: NX_TEST_ENV,
      extendEnv: true,
    });
    const output = String(result.all ?? '');
    console.log(`${line}: exit ${result.exitCode} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(result.exitCode, `${line}\n${output}`).toBe(0);
    if (PRINTS[command]) expect(output, line).toMatch(PRINTS[command]);
  });
});
