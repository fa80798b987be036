import { describe, expect, it } from 'vitest';
import { entriesOf } from '../testing/chain-fixture';
import { patternCouldMatchInside, scanContext, type ContextTree, type EngineIgnore } from './context';
import { resolveImageGraph } from './image-graph';
import { createImageInputs, readInputs, type InputSettings } from './inputs';

/** A context as a list of files; folders are implied. Modes: 644 for files, 755 for folders, unless `modes` says. */
function treeOf(files: string[], modes: Record<string, number> = {}, emptyDirs: string[] = []): ContextTree {
  const all = [...files, ...emptyDirs.map((d) => `${d}/`)];
  return {
    mode: (path) => modes[path] ?? (files.includes(path) ? 0o644 : 0o755),
    list(dir) {
      const prefix = dir === '' ? '' : `${dir}/`;
      const entries = new Map<string, boolean>();
      for (const file of all.filter((f) => f.startsWith(prefix) && f !== prefix)) {
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
  options: { untracked?: (p: string) => boolean; reincludeUnder?: string[]; modes?: Record<string, number>; emptyDirs?: string[] } = {},
): InputSettings {
  const tree = treeOf(FILES, options.modes, options.emptyDirs);
  return {
    context: '.',
    digestsFile: 'images/base/digests.env',
    outputDir: 'dist/images',
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
    expect(files('base')).toEqual(['{workspaceRoot}/images/base/Dockerfile', '{workspaceRoot}/images/base/digests.env']);
    expect(inputs).toContainEqual({ env: 'BASE_DIGEST' });
    expect(inputs).toContainEqual({ env: 'CONTAINER_ENGINE' });
    expect(inputs).toContainEqual({ externalDependencies: [] });
  });

  it('leaves out how the engine is reached, the plugin’s sources and npm packages (the recipe stands for them)', () => {
    const { inputs } = inputsOf('runner');
    for (const env of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'CONTAINER_HOST', 'CONTAINER_CONNECTION', 'CONTAINERS_STORAGE_CONF'])
      expect(inputs).not.toContainEqual({ env });
    expect(inputs.some((i) => typeof i === 'string' && i.includes('tools/'))).toBe(false);
    expect(inputs.filter((i) => typeof i === 'object' && 'externalDependencies' in i)).toEqual([{ externalDependencies: [] }]);
  });

  it.each([
    ['a mode bit of a file it copies', { modes: { 'images/base-runner/entrypoint.sh': 0o755 } }, 'runner', true],
    ['a mode bit of a folder it copies', { modes: { app: 0o700 } }, 'builder', true],
    ['an empty folder it copies', { emptyDirs: ['app/empty'] }, 'builder', true],
    ['a mode bit of a file it does not read', { modes: { 'README.md': 0o600 } }, 'builder', false],
    ['a mode bit of a file the engine never sends', { modes: { 'app/project.json': 0o755 } }, 'builder', false],
    ['an empty folder the engine never sends', { emptyDirs: ['app/__pycache__/x'] }, 'builder', false],
  ])('moves the shape for %s: %s', (_case, change, image, moves) => {
    const before = inputsOf(image).shape;
    const after = inputsOf(image, settingsFor(shipped, change)).shape;
    expect(after !== before).toBe(moves);
    expect(before).toMatch(/^[0-9a-f]{16}$/);
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

  it('never negates a Dockerfile, even when .dockerignore drops images/ (an allowlist)', () => {
    const allowlist = (p: string) => !p.startsWith('app');
    const whole = resolveImageGraph(entriesOf({ x: 'FROM a:1@sha256:' + 'a'.repeat(64) + '\nCOPY . /ctx\n' }), 'ffreis');
    const negated = createImageInputs(whole, 'x', settingsFor(allowlist)).inputs.filter(
      (i): i is string => typeof i === 'string' && i.startsWith('!'),
    );
    expect(negated).toContain('!{workspaceRoot}/node_modules');
    expect(negated).not.toContain('!{workspaceRoot}/images');
    expect(negated.some((n) => n.startsWith('!{workspaceRoot}/images/x'))).toBe(false);
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
      'FROM a:1@sha256:' + 'a'.repeat(64) + '\nCOPY app /app\n',
      (p: string) => p === 'app/main.py',
      /app\/main.py is ignored by git \(so Nx cannot hash it\) but sent to the engine/,
    ],
    [
      'an upstream named by a tag alone',
      'ARG BASE_IMAGE=debian:bookworm-slim\nFROM ${BASE_IMAGE}\n',
      () => false,
      /images\/x\/Dockerfile:2 FROM debian:bookworm-slim is not pinned by digest .*pin it as name:tag@sha256/,
    ],
    [
      'a stage copied from an upstream named by a tag alone',
      'FROM a:1@sha256:' + 'a'.repeat(64) + '\nCOPY --from=tools:1 /bin/x /x\n',
      () => false,
      /images\/x\/Dockerfile:2 COPY --from tools:1 is not pinned by digest/,
    ],
  ])('hands the image to the engine on every run for %s', (_case, text, untracked, reason) => {
    const g = resolveImageGraph(entriesOf({ x: text, child: 'ARG X=ffreis/x\nFROM ${X}\n' }), 'ffreis');
    expect(createImageInputs(g, 'x', settingsFor(shipped, { untracked })).alwaysBuild).toMatch(reason);
    expect(createImageInputs(g, 'child', settingsFor(shipped, { untracked })).alwaysBuild).toMatch(reason);
  });

  it('names a copy of a path the engine never receives, with file:line and the fix (its parent’s own reads aside)', () => {
    const pinned = 'FROM a:1@sha256:' + 'a'.repeat(64);
    const g = resolveImageGraph(
      entriesOf({ x: `${pinned}\nCOPY app/lib.py /a\nCOPY app/project.json /p\n`, y: `${pinned}\nCOPY app/*.json /p\n` }),
      'ffreis',
    );
    expect(createImageInputs(g, 'x', settingsFor(shipped)).droppedRead).toMatch(
      /^images\/x\/Dockerfile:3 COPY app\/project.json: the build context's ignore file \(.dockerignore\) keeps app\/project.json from .*!app\/project.json\.$/,
    );
    // A wildcard that matches nothing the engine receives is the engine's to report; the shipped chain copies nothing dropped.
    expect(createImageInputs(g, 'y', settingsFor(shipped)).droppedRead).toBeUndefined();
    for (const name of ['builder', 'runner', 'base-runner']) expect(inputsOf(name).droppedRead).toBeUndefined();
  });

  it('takes an upstream pinned by digest, directly or through the digests file, as pinned', () => {
    const g = resolveImageGraph(
      entriesOf({
        x: 'FROM debian:12@sha256:' + 'c'.repeat(64) + '\n',
        y: 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n',
      }),
      'ffreis',
    );
    expect(createImageInputs(g, 'x', settingsFor(shipped)).alwaysBuild).toBeUndefined();
    expect(createImageInputs(g, 'y', settingsFor(shipped)).alwaysBuild).toBeUndefined();
    expect(createImageInputs(graph, 'runner', settingsFor(shipped)).alwaysBuild).toBeUndefined();
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
