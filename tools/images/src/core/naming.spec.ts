import { describe, expect, it } from 'vitest';
import { isImageError } from './errors';
import { imageRef, splitImageRef, tagFromHash, workspaceImageName } from './naming';

describe('tagFromHash', () => {
  it('uses the Nx hash as the tag', () => {
    expect(tagFromHash('1131828887036310504')).toBe('1131828887036310504');
  });
  it.each([undefined, '', 'has space', '-leading', 'x'.repeat(129)])('refuses %s', (hash) => {
    try {
      tagFromHash(hash);
      expect.unreachable();
    } catch (error) {
      expect(isImageError(error, 'NO_TASK_HASH')).toBe(true);
    }
  });
  it('tells how to run the executor when NX_TASK_HASH is missing', () => {
    expect(() => tagFromHash(undefined)).toThrow(/Run it through Nx \(`npx nx run <image>:build`\)/);
  });
});

describe('splitImageRef', () => {
  it.each([
    ['ffreis/base:1', { repository: 'ffreis/base', tag: '1' }],
    ['127.0.0.1:5000/ffreis/base:1', { repository: '127.0.0.1:5000/ffreis/base', tag: '1' }],
    ['127.0.0.1:5000/ffreis/base', { repository: '127.0.0.1:5000/ffreis/base' }],
    ['ubuntu:24.04@sha256:abc', { repository: 'ubuntu', tag: '24.04', digest: 'sha256:abc' }],
  ])('%s', (ref, expected) => {
    expect(splitImageRef(ref)).toEqual(expect.objectContaining(expected));
  });
});

describe('workspaceImageName', () => {
  it.each([
    ['ffreis/base', 'ffreis', 'base'],
    ['ffreis/base-runner:latest', 'ffreis', 'base-runner'],
    ['ffreis/base@sha256:abc', 'ffreis', undefined],
    ['other/base', 'ffreis', undefined],
    ['ffreis/a/b', 'ffreis', undefined],
    ['ubuntu:24.04', 'ffreis', undefined],
    ['registry:5000/team/base', 'registry:5000/team', 'base'],
  ])('%s with prefix %s → %s', (ref, prefix, expected) => {
    expect(workspaceImageName(ref, prefix)).toBe(expected);
  });
});

describe('imageRef', () => {
  it('joins prefix, name and tag', () => {
    expect(imageRef('ffreis', 'runner', 'abc')).toBe('ffreis/runner:abc');
  });
});
