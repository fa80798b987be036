import { describe, expect, it } from 'vitest';
import { isImageError } from '../../core/errors';
import type { BuildTargetOptions } from '../../core/build-options';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEmulation } from './platform-images';
import { planBuild, platformImages } from './plan';

const options: BuildTargetOptions = {
  name: 'runner',
  prefix: 'ffreis',
  dockerfile: 'images/runner/Dockerfile',
  context: '.',
  outputDir: 'dist/images',
  parents: [],
  engine: 'podman',
};

describe('planBuild with platforms', () => {
  it('plans one image per platform beside the hash tag, the host’s first', () => {
    const plan = planBuild(
      { ...options, platforms: 'linux/arm64' },
      '/ws',
      { NX_TASK_HASH: '42', IMAGE_PLATFORMS: 'linux/arm64,linux/amd64' },
      0,
    );
    expect(plan.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    const host = process.arch === 'arm64' ? 'linux/arm64' : 'linux/amd64';
    expect(platformImages(plan)[0]).toEqual({ platform: host, ref: `ffreis/runner:42-${host.replace('/', '-')}` });
    expect(
      platformImages(plan)
        .map((i) => i.ref)
        .sort(),
    ).toEqual(['ffreis/runner:42-linux-amd64', 'ffreis/runner:42-linux-arm64']);
  });

  it('plans no platform images without platforms', () => {
    expect(platformImages(planBuild(options, '/ws', { NX_TASK_HASH: '42' }, 0))).toEqual([]);
  });

  it('refuses platforms on docker before any engine call, saying to use podman', () => {
    let error: unknown;
    try {
      planBuild({ ...options, engine: 'docker' }, '/ws', { NX_TASK_HASH: '42', IMAGE_PLATFORMS: 'linux/amd64,linux/arm64' }, 0);
    } catch (e) {
      error = e;
    }
    expect(isImageError(error, 'PLATFORMS_UNSUPPORTED')).toBe(true);
    expect((error as Error).message).toMatch(
      /"runner" is to be built for linux\/amd64, linux\/arm64, but multi-platform builds need podman/,
    );
    expect((error as Error).message).toMatch(/Set CONTAINER_ENGINE=podman/);
  });
});

describe('checkEmulation', () => {
  it('refuses a foreign platform binfmt_misc has no qemu for, and says what to install; trusts a remote engine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'binfmt-'));
    try {
      mkdirSync(join(dir, 'status'));
      const foreign = process.arch === 'arm64' ? 'linux/amd64' : 'linux/arm64';
      const plan = planBuild(options, '/ws', { NX_TASK_HASH: '42', IMAGE_PLATFORMS: `linux/amd64,linux/arm64` }, 0);
      const refusal = `"runner" is to be built for ${foreign.replace('/', '\\/')}, which this machine cannot run`;
      expect(() => checkEmulation(plan, {}, dir)).toThrow(new RegExp(`${refusal}[\\s\\S]*apt-get install qemu-user-static`));
      expect(() => checkEmulation(plan, { CONTAINER_HOST: 'tcp://builder:8080' }, dir)).not.toThrow();
      mkdirSync(join(dir, process.arch === 'arm64' ? 'qemu-x86_64' : 'qemu-aarch64'));
      expect(() => checkEmulation(plan, {}, dir)).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
