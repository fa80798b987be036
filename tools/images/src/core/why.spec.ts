import { describe, expect, it } from 'vitest';
import { explainRebuild, type InputsRecord } from './why';

const base: InputsRecord = {
  hash: '1',
  files: { 'app/lib.py': 'a', 'app/main.py': 'b', 'images/builder/Dockerfile': 'c' },
  env: { BASE_DIGEST: 'x', DOCKER_HOST: 'y' },
  parents: { 'base-builder': 'ffreis/base-builder:10' },
  exports: {},
};
const next = (over: Partial<InputsRecord>): InputsRecord => ({ ...base, hash: '2', ...over });

describe('explainRebuild', () => {
  it('says first build without a previous record', () => {
    expect(explainRebuild(undefined, base)).toBe('first build');
  });

  it('names every changed file, up to eight, then how many more', () => {
    expect(explainRebuild(base, next({ files: { ...base.files, 'app/lib.py': 'a2' } }))).toBe('app/lib.py changed');
    expect(explainRebuild(base, next({ files: { 'app/lib.py': 'a2', 'app/main.py': 'b2', 'images/builder/Dockerfile': 'c' } }))).toBe(
      'app/lib.py changed, app/main.py changed',
    );
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`app/m${i}.py`, 'x']));
    expect(explainRebuild(base, next({ files: { ...base.files, ...many } }))).toBe(
      `${Array.from({ length: 8 }, (_, i) => `app/m${i}.py added`).join(', ')}, and 2 more`,
    );
  });

  it('quotes a file name with a newline, so the summary keeps one line per image', () => {
    expect(explainRebuild(base, next({ files: { ...base.files, 'app/a\nb.py': 'n' } }))).toBe('"app/a\\nb.py" added');
  });

  it('gives every kind of change, not the first two', () => {
    const current = next({
      parents: { 'base-builder': 'ffreis/base-builder:11' },
      env: { ...base.env, BASE_DIGEST: 'x2' },
      files: { 'app/lib.py': 'a2', 'images/builder/Dockerfile': 'c', 'app/new.py': 'n' },
    });
    expect(explainRebuild(base, current)).toBe(
      'parent base-builder changed; BASE_DIGEST changed; app/lib.py changed; app/new.py added; app/main.py removed',
    );
  });

  it('says a mode or folder changed for the shape variable, not its name', () => {
    const shaped = { ...base, env: { ...base.env, BUILD_NX_IMAGES_SHAPE_builder: 's1' } };
    expect(explainRebuild(shaped, next({ env: { ...shaped.env, BUILD_NX_IMAGES_SHAPE_builder: 's2' } }))).toBe(
      'a mode, folder or git-ignored file it copies changed',
    );
  });

  it('says files added and removed', () => {
    expect(explainRebuild(base, next({ files: { ...base.files, 'app/new.py': 'n' } }))).toBe('app/new.py added');
    expect(explainRebuild(base, next({ files: { 'app/lib.py': 'a', 'images/builder/Dockerfile': 'c' } }))).toBe('app/main.py removed');
  });

  it('puts a changed parent first', () => {
    const current = next({
      parents: { 'base-builder': 'ffreis/base-builder:11' },
      files: { ...base.files, 'images/base-builder/Dockerfile': 'z' },
    });
    expect(explainRebuild(base, current)).toBe('parent base-builder changed; images/base-builder/Dockerfile added');
  });

  it('names an environment variable, never its value', () => {
    expect(explainRebuild(base, next({ env: { ...base.env, BASE_DIGEST: 'x2' } }))).toBe('BASE_DIGEST changed');
  });

  it('says what a copying child copies changed, not that the parent it copies from has a new tag', () => {
    const before = { ...base, parents: { builder: 'ffreis/builder:1' }, exports: { builder: 'e1' } };
    const after = { ...before, hash: '2', parents: { builder: 'ffreis/builder:2' }, exports: { builder: 'e2' } };
    expect(explainRebuild(before, after)).toBe('what it copies from builder changed');
  });

  it('says when nothing it records changed (the plugin or Nx configuration did) and when nothing changed at all', () => {
    expect(explainRebuild(base, next({}))).toBe('the build recipe or the Nx configuration changed');
    expect(explainRebuild(base, base)).toBe('same inputs as its last build');
  });
});
