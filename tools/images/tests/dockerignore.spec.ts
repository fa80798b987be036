import dockerignore from '@balena/dockerignore';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanContext } from '../src/core/context';
import { engineIgnoreOf } from '../src/plugin/load-graph';
import { assertEngineReady, clientOf, ENGINES, engineTools } from './support/engine';

/** Files of the probe context: tops, nested folders, dotfiles, look-alikes. */
const FILES = [
  'README.md',
  'NOTES.md',
  'app/lib.py',
  'app/x.pyc',
  'app/keep/a.txt',
  'app/keep/secret.key',
  'app/other.txt',
  'images/Dockerfile',
  'docs/a.md',
  'sub/docs/b.md',
  'docs2/c.txt',
  'keep/sub/x.pyc',
  'keep/y.pyc',
  'node_modules/p/index.js',
  'src/__pycache__/m.pyc',
  '.env',
  '.env.local',
  'app/.git/config',
  'a/b',
  'a/x/y/b',
  'a/x/b/c',
  '1.txt',
  'ab.txt',
  'a.cfg',
  'c.cfg',
  'deep/.git/HEAD',
];

/** Pattern tables: order, `!` re-includes, `**`, a leading `/`, wildcards, comments and blank lines. */
const TABLES: [string, string[]][] = [
  ['an allowlist', ['*', '!app', '!images']],
  ['** with a re-include deeper down', ['**/*.pyc', '!keep/**/x.pyc']],
  ['a leading slash', ['/docs', 'docs2']],
  ['a re-include after a wildcard', ['*.md', '!README.md']],
  ['usual exclusions', ['node_modules', '**/__pycache__']],
  ['exclude, re-include, exclude again', ['app/*', '!app/keep', 'app/keep/secret*']],
  ['secrets and VCS folders', ['.env*', '**/.git']],
  ['** in the middle', ['a/**/b']],
  ['comments, blanks and spaces', ['# a comment', '', '  NOTES.md  ', '#README.md']],
  ['single-character wildcards and classes', ['?.txt', '[ab].cfg']],
  ['a re-include of a folder under an excluded one', ['app', '!app/keep']],
];

describe.each(ENGINES)('.dockerignore: the plugin’s reading equals what %s sends', (engineName) => {
  const tools = engineTools(engineName);
  let dir: string;
  const image = `itest-ignore-${engineName}/probe`;

  beforeAll(async () => {
    await assertEngineReady(engineName);
    dir = mkdtempSync(join(tmpdir(), 'ignore-probe-'));
  });

  afterAll(async () => {
    await tools.removeRepositories([image]);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(TABLES)('%s', async (_name, lines) => {
    const context = join(dir, 'ctx');
    rmSync(context, { recursive: true, force: true });
    for (const file of FILES) {
      mkdirSync(dirname(join(context, file)), { recursive: true });
      writeFileSync(join(context, file), file);
    }
    writeFileSync(join(context, '.dockerignore'), `${lines.join('\n')}\n`);
    const dockerfile = join(dir, 'Dockerfile');
    writeFileSync(dockerfile, `FROM ${process.env.BASE_IMAGE}@${process.env.BASE_DIGEST}\nCOPY . /ctx\n`);
    const args = ['build', '-q', '-f', dockerfile, '-t', image, context];
    if (engineName === 'podman') args.splice(1, 0, '--format', 'docker');
    const built = await execa(clientOf(engineName), args, { env: { DOCKER_BUILDKIT: '1' }, reject: false, all: true });
    expect(built.exitCode, built.all).toBe(0);
    const listed = await tools.run(['run', '--rm', '--entrypoint', 'find', image, '/ctx', '-type', 'f']);
    expect(listed.exitCode, listed.all).toBe(0);
    const sent = listed.stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^\/ctx\//, ''))
      .sort();

    const matcher = dockerignore({ ignorecase: false }).add(lines);
    const expected = [...FILES, '.dockerignore'].filter((f) => !matcher.ignores(f)).sort();
    expect(sent).toEqual(expected);

    // The walk the hash uses drops exactly the files the engine does not send.
    const scan = scanContext(
      {
        list: (d) =>
          (d === ''
            ? [...new Set([...FILES, '.dockerignore'].map((f) => f.split('/')[0]))]
            : [...new Set(FILES.filter((f) => f.startsWith(`${d}/`)).map((f) => f.slice(d.length + 1).split('/')[0]))]
          ).map((name) => ({ name, dir: FILES.some((f) => f.startsWith(`${d === '' ? '' : `${d}/`}${name}/`)) })),
      },
      '',
      engineIgnoreOf(lines),
      { ignored: () => false },
    );
    const dropped = (file: string) => scan.excluded.some((e) => e.name === file || (e.dir && file.startsWith(`${e.name}/`)));
    expect([...FILES, '.dockerignore'].filter((f) => !dropped(f)).sort()).toEqual(sent);
  });
});
