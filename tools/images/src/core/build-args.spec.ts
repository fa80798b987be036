import { describe, expect, it } from 'vitest';
import { composeBuildArgs } from './build-args';

describe('composeBuildArgs', () => {
  const digests = { BASE_IMAGE: 'ubuntu:24.04', BASE_DIGEST: `sha256:${'a'.repeat(64)}` };
  it('passes each parent as its exact hash tag', () => {
    expect(composeBuildArgs([{ arg: 'BUILDER_IMAGE', ref: 'ffreis/builder:123' }])).toEqual({ BUILDER_IMAGE: 'ffreis/builder:123' });
  });
  it('passes the pin to an image built from the upstream', () => {
    expect(composeBuildArgs([], digests)).toEqual(digests);
  });
  it('lets a parent ARG win over a digests key of the same name', () => {
    expect(composeBuildArgs([{ arg: 'BASE_IMAGE', ref: 'ffreis/base:1' }], digests).BASE_IMAGE).toBe('ffreis/base:1');
  });
});
