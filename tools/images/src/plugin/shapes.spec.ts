import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shapeEnv } from '../core/inputs';
import { currentShapes, exportShapes, rememberShapes } from './shapes';

const REPO = join(__dirname, '../../../..');
/** The workspace's own prefix: its Dockerfiles name their parents under it (a test's copy has its own). */
const PREFIX = (
  JSON.parse(readFileSync(join(REPO, 'nx.json'), 'utf8')) as { plugins: { plugin: string; options?: { prefix?: string } }[] }
).plugins.find((p) => p.plugin === '@ffreis/nx-images')?.options?.prefix;
const OPTIONS = { prefix: PREFIX ?? 'ffreis', digestsFile: 'images/base/digests.env', runImage: 'runner' };

describe('image shapes (modes and folders, hashed through an environment variable each run)', () => {
  let root: string;
  beforeAll(() => {
    const repo = REPO;
    root = mkdtempSync(join(tmpdir(), 'nx-images-shapes-'));
    const files = execFileSync('git', ['ls-files', 'images', 'app', '.dockerignore'], { cwd: repo, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    for (const file of files) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      copyFileSync(join(repo, file), join(root, file));
      chmodSync(join(root, file), statSync(join(repo, file)).mode);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const fresh = () => {
    rememberShapes('/elsewhere', new Map());
    return currentShapes(root, OPTIONS);
  };

  it('moves exactly the images that copy a file whose mode flips, or that gain an empty folder', () => {
    const before = fresh();
    expect([...before.keys()].sort()).toEqual(['base', 'base-builder', 'base-runner', 'builder', 'runner']);
    const entrypoint = join(root, 'images/base-runner/entrypoint.sh');
    const mode = statSync(entrypoint).mode & 0o7777;
    chmodSync(entrypoint, mode ^ 0o111);
    const flipped = fresh();
    chmodSync(entrypoint, mode);
    const changed = (a: Map<string, string>, b: Map<string, string>) => [...a.keys()].filter((k) => a.get(k) !== b.get(k)).sort();
    expect(changed(before, flipped)).toEqual(['base-runner', 'runner']);
    expect(changed(before, fresh())).toEqual([]);
    mkdirSync(join(root, 'app/empty'));
    const withFolder = fresh();
    rmSync(join(root, 'app/empty'), { recursive: true });
    expect(changed(before, withFolder)).toEqual(['builder']);
  });

  it('covers the content of a file only git’s own excludes hide (Nx never hashes it, the engine receives it)', () => {
    mkdirSync(join(root, '.git/info'), { recursive: true });
    writeFileSync(join(root, '.git/info/exclude'), '/app/local_settings.py\n');
    const before = fresh();
    writeFileSync(join(root, 'app/local_settings.py'), 'DEBUG = True\n');
    const added = fresh();
    writeFileSync(join(root, 'app/local_settings.py'), 'DEBUG = False\n');
    const edited = fresh();
    rmSync(join(root, 'app/local_settings.py'));
    rmSync(join(root, '.git'), { recursive: true });
    expect(added.get('builder')).not.toBe(before.get('builder'));
    expect(edited.get('builder')).not.toBe(added.get('builder'));
    expect(edited.get('base-runner')).toBe(before.get('base-runner'));
  });

  it('reuses what createNodes computed in a process that serves one run', () => {
    rememberShapes(root, new Map([['base', 'remembered']]));
    expect(currentShapes(root, OPTIONS).get('base')).toBe('remembered');
  });

  it('exports one variable per image, named so the Nx daemon keeps it out of its graph (BUILD_)', () => {
    rememberShapes('/elsewhere', new Map());
    const env: NodeJS.ProcessEnv = {};
    exportShapes(root, OPTIONS, env);
    expect(Object.keys(env).sort()).toEqual(['base', 'base-builder', 'base-runner', 'builder', 'runner'].map(shapeEnv).sort());
    expect(shapeEnv('base-runner')).toBe('BUILD_NX_IMAGES_SHAPE_base_2drunner');
    for (const value of Object.values(env)) expect(value).toMatch(/^[0-9a-f]{16}$/);
  });

  it('sets nothing when the workspace cannot be read', () => {
    rememberShapes('/elsewhere', new Map());
    const env: NodeJS.ProcessEnv = {};
    exportShapes('/nonexistent-workspace', OPTIONS, env);
    expect(env).toEqual({});
  });
});
