import { describe, expect, it } from 'vitest';
import { isImageError } from '../core/errors';
import { checkPlatformWarning } from './builds';
import type { BuildSpec } from './types';

const spec = (platform?: string): BuildSpec => ({
  dockerfile: 'images/base/Dockerfile',
  dockerfileText: 'FROM x\n',
  context: '.',
  tags: ['ffreis/base:abc-linux-arm64'],
  buildArgs: {},
  labels: {},
  platform,
});
// What podman 4.3 prints when FROM resolves to an amd64-only image for an arm64 build.
const WARNING =
  'STEP 1/2: FROM 127.0.0.1:5000/debian@sha256:aa\n' +
  'WARNING: image platform ({amd64 linux  [] }) does not match the expected platform ({arm64 linux  [] })\n';

describe('a build the engine warns is FROM another platform', () => {
  it('is refused, naming the platform, the image and what to do', () => {
    let error: unknown;
    try {
      checkPlatformWarning(spec('linux/arm64'), WARNING);
    } catch (e) {
      error = e;
    }
    expect(isImageError(error, 'PLATFORMS_UNSUPPORTED')).toBe(true);
    expect((error as Error).message).toMatch(
      /The linux\/arm64 build of ffreis\/base:abc-linux-arm64 started FROM an image of another platform/,
    );
    expect((error as Error).message).toMatch(/Pin an upstream whose index holds linux\/arm64/);
  });

  it('passes a build with no such warning, or one for no platform in particular', () => {
    expect(() => checkPlatformWarning(spec('linux/arm64'), 'STEP 1/2: FROM x\nCOMMIT\n')).not.toThrow();
    expect(() => checkPlatformWarning(spec(undefined), WARNING)).not.toThrow();
  });
});
