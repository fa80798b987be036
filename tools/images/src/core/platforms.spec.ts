import { describe, expect, it } from 'vitest';
import { hostPlatform, platformTag, primaryPlatform, resolvePlatforms, samePlatform, unemulated } from './platforms';

describe('resolvePlatforms', () => {
  it('reads IMAGE_PLATFORMS over the option, sorted, lowercased and without repeats', () => {
    expect(resolvePlatforms(['linux/amd64'], { IMAGE_PLATFORMS: 'linux/arm64, Linux/AMD64,linux/arm64' })).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
    expect(resolvePlatforms(['linux/arm64', 'linux/amd64'], {})).toEqual(['linux/amd64', 'linux/arm64']);
    expect(resolvePlatforms('linux/arm/v7,linux/amd64', { IMAGE_PLATFORMS: '  ' })).toEqual(['linux/amd64', 'linux/arm/v7']);
  });

  it('is empty (the engine’s own platform) when nothing asks for platforms', () => {
    expect(resolvePlatforms(undefined, {})).toEqual([]);
    expect(resolvePlatforms([], { IMAGE_PLATFORMS: '' })).toEqual([]);
  });

  it('refuses what is not os/architecture[/variant], naming where it came from', () => {
    expect(() => resolvePlatforms(undefined, { IMAGE_PLATFORMS: 'arm64' })).toThrow(/IMAGE_PLATFORMS: "arm64" is not a platform like/);
    expect(() => resolvePlatforms(['linux/amd64', 'linux amd64'], {})).toThrow(/the option platforms: "linux amd64"/);
  });

  it.each([
    ['windows/amd64', /"windows\/amd64" cannot be built: the engines here build Linux images only/],
    ['linux/arm64/v99', /"linux\/arm64\/v99" cannot be built: "v99" is not a variant of arm64/],
    ['linux/amd64/v7', /"v7" is not a variant of amd64/],
    ['linux/x86_64', /"x86_64" is not an OCI architecture/],
    ['linux/386/v1', /386 has no variants/],
  ])('refuses %s, which no engine here builds, before any build', (platform, message) => {
    expect(() => resolvePlatforms(undefined, { IMAGE_PLATFORMS: platform })).toThrow(message);
  });

  it.each(['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/arm64/v8', 'linux/amd64/v3', 'linux/ppc64le'])('takes %s', (platform) => {
    expect(resolvePlatforms(undefined, { IMAGE_PLATFORMS: platform })).toEqual([platform]);
  });
});

describe('platform naming', () => {
  it('tags each platform’s image beside the hash tag', () => {
    expect(platformTag('123', 'linux/arm64')).toBe('123-linux-arm64');
    expect(platformTag('123', 'linux/arm/v7')).toBe('123-linux-arm-v7');
  });

  it('picks the host’s platform as the primary when it is built, else the first', () => {
    expect(primaryPlatform(['linux/amd64', 'linux/arm64'], 'linux/arm64')).toBe('linux/arm64');
    expect(primaryPlatform(['linux/arm64', 'linux/s390x'], 'linux/amd64')).toBe('linux/arm64');
  });

  it('names Node’s architectures as the engines do', () => {
    expect(hostPlatform('x64')).toBe('linux/amd64');
    expect(hostPlatform('arm64')).toBe('linux/arm64');
  });

  it('matches an inspected os/architecture, the variant aside', () => {
    expect(samePlatform('linux/arm64', 'linux/arm64')).toBe(true);
    expect(samePlatform('linux/arm', 'linux/arm/v7')).toBe(true);
    expect(samePlatform('linux/amd64', 'linux/arm64')).toBe(false);
    expect(samePlatform(undefined, 'linux/arm64')).toBe(false);
  });
});

describe('unemulated', () => {
  it('names the foreign platforms no qemu entry of binfmt_misc would run', () => {
    const both = ['linux/amd64', 'linux/arm64'];
    expect(unemulated(both, ['register', 'status', 'qemu-aarch64'], 'linux/amd64')).toEqual([]);
    expect(unemulated(both, ['register', 'status', 'qemu-aarch64-static'], 'linux/amd64')).toEqual([]);
    expect(unemulated(both, ['register', 'status', 'qemu-arm'], 'linux/amd64')).toEqual(['linux/arm64']);
    expect(unemulated([...both, 'linux/s390x'], ['qemu-aarch64'], 'linux/amd64')).toEqual(['linux/s390x']);
    expect(unemulated(both, [], 'linux/arm64')).toEqual(['linux/amd64']);
  });
});
