import { describe, expect, it } from 'vitest';
import { parseDockerfile, substituteArgs } from './dockerfile';

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

  it('lists context sources of COPY/ADD (flags, JSON form), not URLs or stages', () => {
    expect(parseDockerfile(runner).contextSources).toEqual([
      { path: 'images/runner/a.sh', line: 7 },
      { path: './b.sh', line: 7 },
      { path: 'app/x y.txt', line: 8 },
    ]);
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
    ['${A}', {}, undefined],
    ['plain', {}, 'plain'],
  ])('%s with %o → %s', (text, values, expected) => {
    expect(substituteArgs(text, new Map(Object.entries(values)))).toBe(expected);
  });
});
