import { describe, expect, it } from 'vitest';
import { copyOnlyPaths, parseDockerfile, substituteArgs } from './dockerfile';

describe('parseDockerfile', () => {
  const runner = [
    '# runner',
    'ARG BUILDER_IMAGE=ffreis/builder',
    'ARG BASE_RUNNER_IMAGE=ffreis/base-runner',
    'FROM ${BUILDER_IMAGE} AS builder',
    'FROM ${BASE_RUNNER_IMAGE}',
    'COPY --from=builder /opt/venv /opt/venv',
    'COPY --chown=1:1 images/runner/a.sh ./b.sh /dest/',
    'COPY ["app/x y.txt", "/dest/"]',
    'ADD https://example.com/file.tgz /tmp/',
    'COPY --from=busybox:1.36 /bin/sh /bin/sh',
  ].join('\n');

  it('reads global ARGs with their defaults and lines', () => {
    expect(parseDockerfile(runner).globalArgs).toEqual([
      { name: 'BUILDER_IMAGE', defaultValue: 'ffreis/builder', line: 2 },
      { name: 'BASE_RUNNER_IMAGE', defaultValue: 'ffreis/base-runner', line: 3 },
    ]);
  });

  it('resolves FROM and COPY --from references, skipping stage aliases', () => {
    const refs = parseDockerfile(runner).imageReferences;
    expect(refs).toEqual([
      { raw: '${BUILDER_IMAGE}', resolved: 'ffreis/builder', args: ['BUILDER_IMAGE'], line: 4, instruction: 'FROM' },
      { raw: '${BASE_RUNNER_IMAGE}', resolved: 'ffreis/base-runner', args: ['BASE_RUNNER_IMAGE'], line: 5, instruction: 'FROM' },
      { raw: 'busybox:1.36', resolved: 'busybox:1.36', args: [], line: 10, instruction: 'COPY --from' },
    ]);
  });

  it('lists context reads of COPY/ADD (flags, JSON form), not stages; URLs are remote', () => {
    const { reads } = parseDockerfile(runner);
    expect(reads.context).toEqual([
      { path: 'images/runner/a.sh', line: 7, via: 'COPY' },
      { path: './b.sh', line: 7, via: 'COPY' },
      { path: 'app/x y.txt', line: 8, via: 'COPY' },
    ]);
    expect(reads.remote).toEqual([{ line: 9, source: 'https://example.com/file.tgz' }]);
    expect(reads.unknown).toEqual([]);
  });

  const readsOf = (text: string, passed: string[] = []) => parseDockerfile(text, { passedArgs: new Set(passed) }).reads;

  it.each([
    ['a stage-local ARG default', 'FROM a\nARG SRC=app\nCOPY ${SRC}/lib.py /x\n', ['app/lib.py']],
    ['an ENV built from an ARG', 'FROM a\nARG DIR=app\nENV SRC=${DIR}/pkg\nCOPY $SRC /x\n', ['app/pkg']],
    ['a redeclared global ARG', 'ARG SRC=lib\nFROM a\nARG SRC\nCOPY ${SRC} /x\n', ['lib']],
    ['an inline default', 'FROM a\nCOPY ${NOPE:-fallback}/x /x\n', ['fallback/x']],
    [
      'a bind mount (uv’s layout)',
      'FROM a\nRUN --mount=type=bind,source=uv.lock,target=uv.lock --mount=type=cache,target=/c uv sync\n',
      ['uv.lock'],
    ],
    ['a bind mount of the whole context', 'FROM a\nRUN --mount=type=bind,target=/src make\n', ['.']],
    ['a heredoc, whose body is never a path', 'FROM a\nCOPY <<EOF /x\nhello $((1+1)) */[x]\nEOF\nCOPY real.txt /y\n', ['real.txt']],
  ])('resolves %s', (_case, text, paths) => {
    expect(readsOf(text).context.map((r) => r.path)).toEqual(paths);
    expect(readsOf(text).unknown).toEqual([]);
  });

  it.each([
    [
      'an ARG the build passes',
      'ARG BASE_IMAGE=ffreis/base\nFROM ${BASE_IMAGE}\nARG BASE_IMAGE\nCOPY ${BASE_IMAGE}/x /x\n',
      ['BASE_IMAGE'],
    ],
    ['an ARG with no value', 'FROM a\nARG SRC\nCOPY ${SRC}/x /x\n', []],
    ['an undeclared variable', 'FROM a\nCOPY ${TARGETARCH}/x /x\n', []],
    ['a pattern modifier', 'FROM a\nARG S=ab\nCOPY ${S#a} /x\n', []],
  ])('calls a source through %s unknown (so the whole context is hashed)', (_case, text, passed) => {
    expect(readsOf(text, passed).unknown).toHaveLength(1);
    expect(readsOf(text, passed).context).toEqual([]);
  });

  it('reads the ONBUILD triggers a Dockerfile installs, apart from its own reads', () => {
    const info = parseDockerfile(
      'FROM a\nONBUILD COPY requirements.txt /r\nONBUILD RUN --mount=type=bind,source=setup.cfg,target=/s true\nONBUILD COPY ${SRC} /x\n',
    );
    expect(info.reads.context).toEqual([]);
    expect(info.onbuild.context.map((r) => r.path)).toEqual(['requirements.txt', 'setup.cfg']);
    expect(info.onbuild.unknown).toHaveLength(1);
  });

  it('marks ADD of a git repository as remote', () => {
    expect(readsOf('FROM a\nADD git@example.com:org/repo.git /src\nADD https://example.com/x.git#main /y\n').remote).toHaveLength(2);
  });

  it('reads the # syntax= directive', () => {
    expect(parseDockerfile('# syntax=docker/dockerfile:1.7\nFROM a\n').syntax).toEqual({ value: 'docker/dockerfile:1.7', line: 1 });
  });

  it('leaves a reference unresolved when its ARG has no default', () => {
    const info = parseDockerfile('ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n');
    expect(info.imageReferences[0]).toMatchObject({ resolved: undefined, args: ['BASE_IMAGE', 'BASE_DIGEST'] });
  });
});

describe('substituteArgs', () => {
  it.each([
    ['${A}', { A: 'x' }, 'x'],
    ['$A/b', { A: 'x' }, 'x/b'],
    ['${A:-fallback}', {}, 'fallback'],
    ['${A:-fallback}', { A: '' }, 'fallback'],
    ['${A-fallback}', { A: '' }, ''],
    ['${A:+alt}', { A: 'x' }, 'alt'],
    ['${A:+alt}', {}, ''],
    ['${A}', {}, undefined],
    ['${A}', { A: undefined }, undefined],
    ['\\$A', { A: 'x' }, undefined],
    ['plain', {}, 'plain'],
  ])('%s with %o → %s', (text, values, expected) => {
    expect(substituteArgs(text, new Map(Object.entries(values)))).toBe(expected);
  });
});

describe('copyOnlyPaths', () => {
  it.each([
    [
      'an empty stage only copied from (the runner’s form)',
      'ARG B=ffreis/b\nFROM ${B} AS b\nFROM debian:12\nCOPY --from=b /opt/venv /opt/venv\nCOPY --from=b /app/ /app\n',
      ['/app', '/opt/venv'],
    ],
    ['COPY --from the ARG itself', 'ARG B=ffreis/b\nFROM debian:12\nCOPY --from=${B} /a /b /dst/\n', ['/a', '/b']],
    ['a stage that runs something on it', 'ARG B=ffreis/b\nFROM ${B} AS b\nRUN true\nFROM debian:12\nCOPY --from=b /a /a\n', undefined],
    ['a stage built on its alias', 'ARG B=ffreis/b\nFROM ${B} AS b\nFROM b AS c\nFROM debian:12\nCOPY --from=c /a /a\n', undefined],
    ['the last stage', 'ARG B=ffreis/b\nFROM debian:12 AS x\nFROM ${B}\n', undefined],
    [
      'a mount of it',
      'ARG B=ffreis/b\nFROM ${B} AS b\nFROM debian:12\nCOPY --from=b /a /a\nRUN --mount=from=b,target=/m true\n',
      undefined,
    ],
    ['a path with a variable or wildcard', 'ARG B=ffreis/b\nFROM ${B} AS b\nFROM debian:12\nCOPY --from=b /a/*.py /a/\n', undefined],
  ])('%s', (_case, text, expected) => {
    expect(copyOnlyPaths(parseDockerfile(text), 'B')).toEqual(expected);
  });
});
