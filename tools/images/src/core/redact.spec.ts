import { describe, expect, it } from 'vitest';
import { ImageError } from './errors';
import { redact } from './redact';

describe('redact', () => {
  it.each([
    ['Registry "user:password@host/x" is not a repository', 'Registry "***@host/x" is not a repository'],
    ['pull https://bob:s3cr3t@registry.example/x failed', 'pull https://***@registry.example/x failed'],
    ['--build-arg PIP_INDEX_URL=https://u:tok@pypi.example/simple', '--build-arg PIP_INDEX_URL=https://***@pypi.example/simple'],
    ['password=hunter2 and token: abc123', 'password=*** and token: ***'],
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer ***'],
    ['uses ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'uses ***'],
    ['key AKIAABCDEFGHIJKLMNOP here', 'key *** here'],
  ])('%s', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it.each([
    '127.0.0.1:5000/ffreis/base:1234',
    'ubuntu:resolute-20260106.1@sha256:4095ef613201918336b5d7d00be15d8b09c72ddb77c80bca249c255887a64d87',
    'images/base/Dockerfile:3: FROM ${BASE_IMAGE}@${BASE_DIGEST}',
    'git@example.com:org/repo.git',
  ])('leaves %s alone', (text) => {
    expect(redact(text)).toBe(text);
  });

  it('applies to every ImageError message', () => {
    expect(new ImageError('BAD_OPTION', 'Registry "user:password@host/x" is bad').message).toBe('Registry "***@host/x" is bad');
  });
});
