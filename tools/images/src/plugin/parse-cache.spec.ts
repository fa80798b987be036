import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CORPUS } from '../../tests/support/corpus';

type ParseCache = typeof import('./parse-cache');

const ROOT = join(__dirname, '..', '..', '..', '..');
const SHIPPED = readdirSync(join(ROOT, 'images')).map((name) => readFileSync(join(ROOT, 'images', name, 'Dockerfile'), 'utf8'));
const DOCKERFILES = [...SHIPPED, ...CORPUS.map((image) => image.text)];

describe('the parse cache', () => {
  let dir: string;
  let file: string;
  /** The module as a new process loads it: nothing parsed in memory yet. */
  const fresh = async (): Promise<ParseCache> => {
    vi.resetModules();
    return import('./parse-cache');
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parse-cache-'));
    vi.stubEnv('NX_WORKSPACE_DATA_DIRECTORY', join(dir, 'data'));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives, from the file, exactly what a parse gives, for the shipped images and every corpus Dockerfile', async () => {
    const first = await fresh();
    const parsed = DOCKERFILES.map((text) => first.parseImageDockerfile(text, 'ffreis'));
    expect(first.parseDockerfiles(dir, DOCKERFILES, 'ffreis')).toEqual(parsed);
    file = join(dir, 'data', first.PARSE_CACHE_FILE);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).entries)).toHaveLength(new Set(DOCKERFILES).size);
    expect((await fresh()).parseDockerfiles(dir, DOCKERFILES, 'ffreis')).toEqual(parsed);
  });

  it('takes what the file holds for the same content, prefix and parser: a hit does not parse', async () => {
    const text = SHIPPED[0];
    const cache = await fresh();
    cache.parseDockerfiles(dir, [text], 'ffreis');
    file = join(dir, 'data', cache.PARSE_CACHE_FILE);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    const [key] = Object.keys(stored.entries);
    stored.entries[key].stageAliases = ['planted'];
    writeFileSync(file, JSON.stringify(stored));
    expect((await fresh()).parseDockerfiles(dir, [text], 'ffreis')[0].stageAliases).toEqual(['planted']);
  });

  it('parses again when the content or the prefix differs', async () => {
    // Under the prefix "ffreis", BASE names a parent: the build passes it, so the COPY's source is unknown.
    const text = 'ARG BASE=ffreis/base\nFROM ${BASE}\nARG BASE\nCOPY ${BASE}/app /app\n';
    const paths = (info: { reads: { context: { path: string }[] } }) => info.reads.context.map((read) => read.path);
    const [ours] = (await fresh()).parseDockerfiles(dir, [text], 'ffreis');
    expect(paths(ours)).toEqual([]);
    expect(ours.reads.unknown).toHaveLength(1);
    const [theirs] = (await fresh()).parseDockerfiles(dir, [text], 'acme');
    expect(paths(theirs)).toEqual(['ffreis/base/app']);
    const [changed] = (await fresh()).parseDockerfiles(dir, [text.replace('/app /app', '/src /app')], 'acme');
    expect(paths(changed)).toEqual(['ffreis/base/src']);
  });

  it('parses when the file is damaged, and writes a sound one', async () => {
    const cache = await fresh();
    file = join(dir, 'data', cache.PARSE_CACHE_FILE);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, '{"entries": {');
    expect(cache.parseDockerfiles(dir, SHIPPED, 'ffreis')).toEqual(SHIPPED.map((text) => cache.parseImageDockerfile(text, 'ffreis')));
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).entries)).toHaveLength(SHIPPED.length);
  });

  it('still parses when the data directory cannot be written', async () => {
    writeFileSync(join(dir, 'data'), 'a file where the directory would be');
    const cache = await fresh();
    expect(cache.parseDockerfiles(dir, SHIPPED, 'ffreis')).toEqual(SHIPPED.map((text) => cache.parseImageDockerfile(text, 'ffreis')));
  });

  it('keeps a bounded memory in a long-lived process (the daemon): past 256 parses, earlier ones are read or parsed again', async () => {
    const cache = await fresh();
    file = join(dir, 'data', cache.PARSE_CACHE_FILE);
    const keysInFile = () => Object.keys(JSON.parse(readFileSync(file, 'utf8')).entries);
    const first = 'FROM scratch\nCOPY first /first\n';
    cache.parseDockerfiles(dir, [first], 'ffreis');
    const [firstKey] = keysInFile();
    cache.parseDockerfiles(dir, [first], 'ffreis');
    expect(keysInFile()).toEqual([firstKey]);
    for (let i = 0; i < 255; i++) cache.parseDockerfiles(dir, [`FROM scratch\nCOPY edit-${i} /app\n`], 'ffreis');
    expect(keysInFile()).not.toContain(firstKey);
    // 256 parses in memory, the limit: the first is still there, so no parse and no write.
    cache.parseDockerfiles(dir, [first], 'ffreis');
    expect(keysInFile()).not.toContain(firstKey);
    // One more is past the limit: only that call's parse stays, so the first is parsed and written again.
    cache.parseDockerfiles(dir, ['FROM scratch\nCOPY one-more /app\n'], 'ffreis');
    cache.parseDockerfiles(dir, [first], 'ffreis');
    expect(keysInFile()).toEqual([firstKey]);
  });

  it("keys anew when the parser's code changes: an edit to any core module is a miss", () => {
    // A copy of the compiled plugin, with the workspace's node_modules (dockerfile-ast, nx) beside it.
    const copy = join(dir, 'plugin');
    cpSync(join(__dirname, '..', '..', 'dist'), join(copy, 'dist'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const module = JSON.stringify(join(copy, 'dist', 'plugin', 'parse-cache.js'));
    const keys = () => {
      const args = [JSON.stringify(dir), JSON.stringify(SHIPPED.slice(0, 1)), "'ffreis'"].join(', ');
      execFileSync(process.execPath, ['-e', `require(${module}).parseDockerfiles(${args})`], { env: process.env });
      return Object.keys(JSON.parse(readFileSync(join(dir, 'data', 'nx-images', 'dockerfiles.json'), 'utf8')).entries);
    };
    const before = keys();
    expect(keys()).toEqual(before);
    appendFileSync(join(copy, 'dist', 'core', 'naming.js'), '\n// an edit\n');
    const after = keys();
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });

  it('spares a run whose Dockerfiles are all in the file from loading dockerfile-ast', () => {
    const dist = join(__dirname, '..', '..', 'dist', 'plugin', 'parse-cache.js');
    // A string, never console.log's coloured boolean: Nx sets FORCE_COLOR when it runs this suite (`nx run-many -t test`).
    const run = () =>
      execFileSync(
        process.execPath,
        [
          '-e',
          `const { parseDockerfiles } = require(${JSON.stringify(dist)});
           parseDockerfiles(${JSON.stringify(dir)}, ${JSON.stringify(SHIPPED)}, 'ffreis');
           process.stdout.write(String(Object.keys(require.cache).some((path) => path.includes('/dockerfile-ast/'))));`,
        ],
        { encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } },
      ).trim();
    expect(run()).toBe('true');
    expect(run()).toBe('false');
  });
});
