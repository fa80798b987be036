import { describe, expect, it } from 'vitest';
import { podmanAdapter, withLabelStep } from './podman';
import type { BuildSpec } from './types';

const spec: BuildSpec = {
  dockerfile: '/w/images/app/Dockerfile',
  context: '/w',
  tags: ['ffreis/app:1'],
  buildArgs: {},
  labels: { 'org.ffreis.image': 'app', 'org.ffreis.nx-hash': '42' },
};

describe('podman: the labels as one LABEL step (withLabelStep)', () => {
  it('appends one LABEL line to the last stage', () => {
    expect(withLabelStep('FROM a AS build\nRUN make\nFROM b\nCOPY --from=build /x /x', spec.labels)).toBe(
      'FROM a AS build\nRUN make\nFROM b\nCOPY --from=build /x /x\nLABEL "org.ffreis.image"="app" "org.ffreis.nx-hash"="42"\n',
    );
  });

  it('puts it at the end of the target stage, before the next FROM, whatever the case of the name', () => {
    expect(withLabelStep('FROM a AS Build\nRUN make\n\nFROM b\nRUN x\n', { k: 'v' }, 'build')).toBe(
      'FROM a AS Build\nRUN make\n\nLABEL "k"="v"\nFROM b\nRUN x\n',
    );
  });

  it('escapes \\, quotes and $ (nothing is expanded)', () => {
    const labels = { k: 'a "b" $HOME ${X} \\ `c` = é' };
    expect(withLabelStep('FROM a\n', labels)).toBe('FROM a\nLABEL "k"="a \\"b\\" \\$HOME \\${X} \\\\ `c` = é"\n');
  });

  it.each([
    ['a value with a line break', { k: 'a\nb' }, undefined],
    ['a key with =', { 'k=1': 'v' }, undefined],
    ['a key with a space', { 'k 1': 'v' }, undefined],
    ['a key with a quote', { 'k"': 'v' }, undefined],
    ['no labels', {}, undefined],
    ['a target no stage is named', { k: 'v' }, 'nope'],
  ])('leaves the labels as flags for %s', (_case, labels, target) => {
    expect(withLabelStep('FROM a AS one\nFROM b\n', labels, target)).toBeUndefined();
  });

  it('leaves them as flags for a Dockerfile with another escape character, which Buildah’s LABEL does not follow', () => {
    expect(withLabelStep('# escape=`\nFROM a\n', { k: 'v' })).toBeUndefined();
  });

  it('leaves them as flags when the Dockerfile ends inside a line continuation', () => {
    expect(withLabelStep('FROM a\nRUN true \\\n', { k: 'v' })).toBeUndefined();
  });
});

describe('podman: the build command', () => {
  it('sends the Dockerfile on stdin with the LABEL step, and no --label flag, when its text is given', () => {
    const command = podmanAdapter().build({ ...spec, dockerfileText: 'FROM a\n' });
    expect(command.args).toEqual(['build', '--layers', '--format', 'docker', '--file', '-', '--tag', 'ffreis/app:1', '/w']);
    expect(command.input).toBe('FROM a\nLABEL "org.ffreis.image"="app" "org.ffreis.nx-hash"="42"\n');
  });

  it('names the Dockerfile and passes --label flags without its text (an ignore file of its own) or when a label cannot be written', () => {
    for (const build of [spec, { ...spec, dockerfileText: 'FROM a\n', labels: { ...spec.labels, note: 'two\nlines' } }]) {
      const command = podmanAdapter().build(build);
      expect(command.args).toEqual(expect.arrayContaining(['--file', '/w/images/app/Dockerfile', '--label', 'org.ffreis.nx-hash=42']));
      expect(command.input).toBeUndefined();
    }
  });
});
