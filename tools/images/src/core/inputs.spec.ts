import { describe, expect, it } from 'vitest';
import { entriesOf } from '../testing/chain-fixture';
import { patternCouldMatchInside, scanContext, type ContextTree, type EngineIgnore } from './context';
import { resolveImageGraph } from './image-graph';
import { createImageInputs, readInputs, type InputSettings } from './inputs';

/** A context as a list of files; folders are implied. */
function treeOf(files: string[]): ContextTree {
  return {
    list(dir) {
      const prefix = dir === '' ? '' : `${dir}/`;
      const entries = new Map<string, boolean>();
      for (const file of files.filter((f) => f.startsWith(prefix))) {
        const [head, ...rest] = file.slice(prefix.length).split('/');
        entries.set(head, entries.get(head) || rest.length > 0);
      }
      return [...entries].map(([name, dir]) => ({ name, dir })).sort((a, b) => a.name.localeCompare(b.name));
    },
  };
}

/** A tiny stand-in for the engine's matcher: literal top-level names, `**` suffixes, and re-includes. */
function ignoreOf(excluded: (path: string) => boolean, reincludeUnder: string[] = []): EngineIgnore {
  return { excluded, couldReinclude: (dir) => reincludeUnder.some((r) => r.startsWith(`${dir}/`)) };
}

const FILES = [
  '.dockerignore',
  'README.md',
  'app/lib.py',
  'app/main.py',
  'app/project.json',
  'app/__pycache__/lib.pyc',
  'app/tests/test_lib.py',
  'images/base/Dockerfile',
  'images/base/digests.env',
  'images/base-builder/Dockerfile',
  'images/builder/Dockerfile',
  'images/base-runner/Dockerfile',
  'images/base-runner/entrypoint.sh',
  'images/runner/Dockerfile',
  'node_modules/x/index.js',
  'tools/images/src/engines/docker.ts',
  'tools/images/src/core/lint.ts',
];

function settingsFor(
  excluded: (path: string) => boolean,
  options: { untracked?: (p: string) => boolean; reincludeUnder?: string[] } = {},
): InputSettings {
  const tree = treeOf(FILES);
  return {
    context: '.',
    digestsFile: 'images/base/digests.env',
    outputDir: 'dist/images',
    pluginInputs: ['{workspaceRoot}/tools/images/src/engines/docker.ts'],
    list: tree.list,
    scan: (root) =>
      scanContext(tree, root, ignoreOf(excluded, options.reincludeUnder), { ignored: (p) => options.untracked?.(p) ?? false }),
  };
}

const shipped = (p: string) => ['node_modules', 'tools', 'app/project.json'].includes(p) || p.endsWith('__pycache__') || p.endsWith('.md');
const graph = resolveImageGraph(entriesOf(), 'ffreis');
const inputsOf = (name: string, settings = settingsFor(shipped), g = graph) => createImageInputs(g, name, settings);
const files = (name: string, settings?: InputSettings) => inputsOf(name, settings).inputs.filter((i): i is string => typeof i === 'string');

describe('createImageInputs', () => {
  it('gives base only its Dockerfile, the digests file and their overrides', () => {
    const { inputs } = inputsOf('base');
    expect(files('base')).toEqual([
      '{workspaceRoot}/images/base/Dockerfile',
      '{workspaceRoot}/images/base/digests.env',
      '{workspaceRoot}/tools/images/src/engines/docker.ts',
    ]);
    expect(inputs).toContainEqual({ env: 'BASE_DIGEST' });
    expect(inputs).toContainEqual({ env: 'CONTAINER_ENGINE' });
    expect(inputs).toContainEqual({ externalDependencies: ['dockerfile-ast', 'dotenv', 'execa'] });
  });

  it('gives builder the app, its own and its ancestors’ Dockerfiles, minus what the engine never sends', () => {
    expect(files('builder')).toEqual(
      expect.arrayContaining([
        '{workspaceRoot}/app',
        '{workspaceRoot}/app/**/*',
        '{workspaceRoot}/images/builder/Dockerfile',
        '{workspaceRoot}/images/base-builder/Dockerfile',
        '{workspaceRoot}/images/base/Dockerfile',
        '{workspaceRoot}/images/base/digests.env',
        '!{workspaceRoot}/app/project.json',
        '!{workspaceRoot}/app/__pycache__',
        '!{workspaceRoot}/app/__pycache__/**/*',
      ]),
    );
    expect(files('builder').some((f) => f.includes('base-runner'))).toBe(false);
    expect(files('builder').some((f) => f.includes('node_modules'))).toBe(false);
  });

  it('gives runner its own chain, and only the content it copies out of builder (not builder’s inputs)', () => {
    const { inputs } = inputsOf('runner');
    expect(files('runner')).toEqual(
      expect.arrayContaining([
        '{workspaceRoot}/images/base-runner/entrypoint.sh',
        '{workspaceRoot}/images/runner/Dockerfile',
        '{workspaceRoot}/images/base/digests.env',
      ]),
    );
    expect(files('runner').some((f) => f.includes('app/') || f.includes('builder/'))).toBe(false);
    expect(inputs).toContainEqual({ dependentTasksOutputFiles: 'dist/images/builder/exports.json', transitive: true });
    expect(graph.nodes.get('builder')?.exports).toEqual(['/app']);
  });

  it('keeps a parent’s inputs when the child builds on it, or when the parent installs ONBUILD triggers', () => {
    const g = resolveImageGraph(
      entriesOf({
        p: 'FROM a\nCOPY app /app\n',
        full: 'ARG P=ffreis/p\nFROM ${P}\n',
        stage: 'ARG P=ffreis/p\nFROM ${P} AS p\nRUN true\nFROM a\nCOPY --from=p /app /app\n',
        o: 'FROM a\nONBUILD RUN true\n',
        copyo: 'ARG O=ffreis/o\nFROM ${O} AS o\nFROM a\nCOPY --from=o /x /x\n',
      }),
      'ffreis',
    );
    for (const name of ['full', 'stage'])
      expect(createImageInputs(g, name, settingsFor(shipped)).inputs).toContain('{workspaceRoot}/app/**/*');
    expect(g.nodes.get('copyo')?.parents[0].copies).toBeUndefined();
  });

  it('hashes only the plugin modules that shape an image', () => {
    expect(files('base')).toContain('{workspaceRoot}/tools/images/src/engines/docker.ts');
    expect(files('base').some((f) => f.includes('lint'))).toBe(false);
  });

  it('never negates a Dockerfile, even when .dockerignore drops images/ (an allowlist)', () => {
    const allowlist = (p: string) => !p.startsWith('app');
    const whole = resolveImageGraph(entriesOf({ x: 'FROM a:1@sha256:' + 'a'.repeat(64) + '\nCOPY . /ctx\n' }), 'ffreis');
    const negated = createImageInputs(whole, 'x', settingsFor(allowlist)).inputs.filter(
      (i): i is string => typeof i === 'string' && i.startsWith('!'),
    );
    expect(negated).toContain('!{workspaceRoot}/node_modules');
    expect(negated).not.toContain('!{workspaceRoot}/images');
    expect(
      negated.some((n) => n.startsWith('!{workspaceRoot}/images/x') || n === '!{workspaceRoot}/tools/images/src/engines/docker.ts'),
    ).toBe(false);
    expect(negated).toContain('!{workspaceRoot}/images/base-runner');
  });

  it('walks into an excluded folder a re-include could reach, and negates only what stays out', () => {
    const everythingButLib = (p: string) => p !== 'app/lib.py';
    const negated = files('builder', settingsFor(everythingButLib, { reincludeUnder: ['app/lib.py'] })).filter((f) => f.startsWith('!'));
    expect(negated).toContain('!{workspaceRoot}/app/main.py');
    expect(negated).not.toContain('!{workspaceRoot}/app/lib.py');
    expect(negated).not.toContain('!{workspaceRoot}/app');
  });

  it('falls back to the whole context when a read is not known before the build, and says why', () => {
    const g = resolveImageGraph(entriesOf({ x: 'FROM a\nARG SRC\nCOPY ${SRC}/lib.py /x\n' }), 'ffreis');
    const result = createImageInputs(g, 'x', settingsFor(shipped));
    expect(result.wholeContext).toMatch(
      /^images\/x\/Dockerfile:3 COPY \$\{SRC\}\/lib.py: the source depends on a value known only at build time/,
    );
    expect(result.inputs).toContain('{workspaceRoot}/**/*');
    expect(result.inputs).toContain('!{workspaceRoot}/node_modules');
  });

  it('adds the ONBUILD reads of a parent to its child', () => {
    const g = resolveImageGraph(entriesOf({ p: 'FROM a\nONBUILD COPY requirements.txt /r\n', c: 'ARG P=ffreis/p\nFROM ${P}\n' }), 'ffreis');
    expect(createImageInputs(g, 'c', settingsFor(shipped)).inputs).toContain('{workspaceRoot}/requirements.txt');
    expect(createImageInputs(g, 'p', settingsFor(shipped)).inputs).not.toContain('{workspaceRoot}/requirements.txt');
  });

  it.each([
    [
      'remote content',
      'FROM a\nADD https://example.com/x.tgz /x\n',
      () => false,
      /images\/x\/Dockerfile:2 ADD https:\/\/example.com\/x.tgz: remote content/,
    ],
    [
      'a file git ignores but the engine sends',
      'FROM a\nCOPY app /app\n',
      (p: string) => p === 'app/main.py',
      /app\/main.py is ignored by git \(so Nx cannot hash it\) but sent to the engine/,
    ],
  ])('hands the image to the engine on every run for %s', (_case, text, untracked, reason) => {
    const g = resolveImageGraph(entriesOf({ x: text, child: 'ARG X=ffreis/x\nFROM ${X}\n' }), 'ffreis');
    expect(createImageInputs(g, 'x', settingsFor(shipped, { untracked })).alwaysBuild).toMatch(reason);
    expect(createImageInputs(g, 'child', settingsFor(shipped, { untracked })).alwaysBuild).toMatch(reason);
  });
});

describe('readInputs', () => {
  it.each([
    ['app/', ['{workspaceRoot}/app', '{workspaceRoot}/app/**/*']],
    ['/app/lib.py', ['{workspaceRoot}/app/lib.py', '{workspaceRoot}/app/lib.py/**/*']],
    ['*.py', ['{workspaceRoot}/*.py', '{workspaceRoot}/*.py/**/*']],
    ['.', ['{workspaceRoot}/**/*']],
    ['app/[ab].py', ['{workspaceRoot}/app/**/*']],
    ['app/{x}/y', ['{workspaceRoot}/app/**/*']],
    ['../outside', ['{workspaceRoot}/**/*']],
  ])('%s → %j', (path, expected) => {
    expect(readInputs('.', path)).toEqual(expected);
  });
});

describe('patternCouldMatchInside', () => {
  it.each([
    [['app', 'keep'], 'app', true],
    [['app'], 'app', false],
    [['other', 'x'], 'app', false],
    [['**', 'x'], 'app', true],
    [['a*', 'x'], 'app', true],
    [['app', 'x'], 'app/x', false],
  ])('%j inside %s → %s', (segments, dir, expected) => {
    expect(patternCouldMatchInside({ segments, negated: true }, dir)).toBe(expected);
  });
});
