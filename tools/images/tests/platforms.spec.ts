import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertEngineReady, engineEnv, engineTools } from './support/engine';
import { startRegistry, type TestRegistry } from './support/registry';
import { createTestWorkspace, type TestWorkspace } from './support/workspace';

/*
 * A two-image chain built for linux/amd64 and linux/arm64 on podman, the arm64 image's RUN
 * steps under qemu-user-static: a root FROM scratch holding a static busybox of its
 * platform (from Debian's archive, fetched by .ci/engine.sh), and a child built on it.
 */
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const IMAGES = ['mp-root', 'mp-child'] as const;

describe('multi-platform images on podman: one image per platform, an OCI index in the registry', () => {
  const PREFIX = 'itest-platforms';
  const podman = engineTools('podman');
  const docker = engineTools('docker');
  let registry: TestRegistry;
  let ws: TestWorkspace;
  let env: Record<string, string>;
  const repositories = () => IMAGES.flatMap((name) => [`${PREFIX}/${name}`, `${registry.address}/${PREFIX}/${name}`]);
  const platformRef = (name: string, platform: string) => `${ws.meta(name)?.ref}-${platform.replace('/', '-')}`;
  const inspect = async (ref: string) => {
    const result = await podman.run([
      'image',
      'inspect',
      '--format',
      '{{.Id}} {{.Os}}/{{.Architecture}} {{index .Labels "org.ffreis.nx-hash"}}',
      ref,
    ]);
    expect(result.exitCode, result.all).toBe(0);
    const [id, platform, hash] = result.stdout.trim().split(' ');
    return { id, platform, hash };
  };

  beforeAll(async () => {
    await assertEngineReady('podman');
    const busybox = process.env.BUSYBOX_DIR ?? '';
    for (const arch of ['amd64', 'arm64']) {
      // Not a skip: .ci/engine.sh provides them, and without them this suite proves nothing.
      expect(existsSync(join(busybox, `busybox-${arch}`)), `BUSYBOX_DIR=${busybox}: run .ci/engine.sh`).toBe(true);
    }
    registry = await startRegistry(5009);
    ws = createTestWorkspace(PREFIX);
    ws.write(
      'images/mp-root/Dockerfile',
      'FROM scratch\nARG TARGETARCH\nCOPY images/mp-root/busybox-${TARGETARCH} /bin/busybox\n' +
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD ["uname", "-m"]\n',
    );
    for (const arch of ['amd64', 'arm64']) copyFileSync(join(busybox, `busybox-${arch}`), join(ws.dir, `images/mp-root/busybox-${arch}`));
    ws.write(
      'images/mp-child/Dockerfile',
      `ARG MP_ROOT_IMAGE=${PREFIX}/mp-root\nFROM \${MP_ROOT_IMAGE}\nRUN uname -m > /built-on\nCMD ["uname", "-m"]\n`,
    );
    env = {
      ...engineEnv('podman'),
      IMAGE_PLATFORMS: PLATFORMS.join(','),
      IMAGE_REGISTRY: `${registry.address}/${PREFIX}`,
    };
    await podman.removeRepositories(repositories());
  });

  afterAll(async () => {
    await podman.removeRepositories(repositories()).catch(() => undefined);
    ws?.remove();
    await registry?.stop().catch(() => undefined);
  });

  it('builds each image for each platform, from its parent of the same platform, the arm64 one under qemu', async () => {
    const built = await ws.nx(['run', 'mp-child:build', '--output-style=stream'], env);
    expect(built.exitCode, built.output).toBe(0);
    for (const name of IMAGES) {
      const meta = ws.meta(name);
      expect(meta?.status, name).toBe('built');
      expect(meta?.platforms, name).toEqual(PLATFORMS);
      for (const platform of PLATFORMS) {
        const image = await inspect(platformRef(name, platform));
        expect(image.platform, `${name} ${platform}`).toBe(platform);
        expect(image.hash, `${name} ${platform}`).toBe(meta?.hash);
      }
      // The hash tag (and :latest) name the host's image; its id is the one recorded.
      expect((await inspect(meta?.ref as string)).id).toBe((await inspect(platformRef(name, 'linux/amd64'))).id);
      expect(meta?.imageId).toBe((await inspect(meta?.ref as string)).id);
      // The provenance names each platform's image.
      const provenance = JSON.parse(ws.read(`dist/images/${name}/provenance.json`)) as { platforms: { platform: string; id: string }[] };
      expect(provenance.platforms.map((p) => p.platform).sort()).toEqual(PLATFORMS);
      for (const p of provenance.platforms) expect(p.id, `${name} ${p.platform}`).toBe((await inspect(platformRef(name, p.platform))).id);
    }
    // The child's RUN step ran on its own platform: under qemu for arm64.
    const arm = await podman.run(['run', '--rm', '--platform', 'linux/arm64', platformRef('mp-child', 'linux/arm64'), 'cat', '/built-on']);
    expect(arm.stdout.trim(), arm.all).toBe('aarch64');
    const amd = await podman.run(['run', '--rm', platformRef('mp-child', 'linux/amd64'), 'cat', '/built-on']);
    expect(amd.stdout.trim(), amd.all).toBe('x86_64');
  });

  it('finds every platform present on the next run, and the platforms are part of the hash', async () => {
    const before = ws.meta('mp-child')?.hash;
    const again = await ws.nx(['run', 'mp-child:build', '--output-style=stream'], env);
    expect(again.exitCode, again.output).toBe(0);
    expect(IMAGES.map((name) => ws.meta(name)?.status)).toEqual(['present', 'present']);
    expect(ws.meta('mp-child')?.hash).toBe(before);
    // Found by the full program, which checks each platform's image: the shell fast path has no stamp to claim it by.
    for (const name of IMAGES) expect(existsSync(join(ws.dir, 'dist/images', name, 'stamp'))).toBe(false);

    // One platform's image gone: the image is not present, it is built again (or pulled).
    await podman.run(['rmi', platformRef('mp-child', 'linux/arm64')]);
    const restored = await ws.nx(['run', 'mp-child:build', '--output-style=stream'], env);
    expect(restored.exitCode, restored.output).toBe(0);
    expect(ws.meta('mp-child')?.status).toBe('restored');
    expect((await inspect(platformRef('mp-child', 'linux/arm64'))).platform).toBe('linux/arm64');

    const one = await ws.nx(['run', 'mp-child:build', '--output-style=stream'], { ...env, IMAGE_PLATFORMS: 'linux/arm64' });
    expect(one.exitCode, one.output).toBe(0);
    expect(ws.meta('mp-child')?.hash).not.toBe(before);
    expect(ws.meta('mp-child')?.platforms).toEqual(['linux/arm64']);
    const back = await ws.nx(['run', 'mp-child:build', '--output-style=stream'], env);
    expect(back.exitCode, back.output).toBe(0);
    expect(ws.meta('mp-child')?.hash).toBe(before);
  });

  it('pushes an OCI index under the hash tag that holds both platforms; the arm64 image pulled from it runs as aarch64', async () => {
    const pushed = await ws.nx(['run-many', '-t', 'push', '-p', ...IMAGES, '--output-style=stream'], env);
    expect(pushed.exitCode, pushed.output).toBe(0);
    const hash = ws.meta('mp-child')?.hash as string;
    expect(await registry.tags(`${PREFIX}/mp-child`)).toEqual(
      expect.arrayContaining([hash, `${hash}-linux-amd64`, `${hash}-linux-arm64`, `${hash}.provenance`]),
    );
    const response = await fetch(`http://${registry.address}/v2/${PREFIX}/mp-child/manifests/${hash}`, {
      headers: { Accept: 'application/vnd.oci.image.index.v1+json' },
    });
    expect(response.status).toBe(200);
    const index = (await response.json()) as { mediaType: string; manifests: { digest: string; platform: { architecture: string } }[] };
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests.map((m) => m.platform.architecture).sort()).toEqual(['amd64', 'arm64']);

    const remote = `${registry.address}/${PREFIX}/mp-child:${hash}`;
    const pull = await podman.run(['pull', '--quiet', '--platform', 'linux/arm64', remote]);
    expect(pull.exitCode, pull.all).toBe(0);
    expect((await inspect(remote)).platform).toBe('linux/arm64');
    const run = await podman.run(['run', '--rm', '--platform', 'linux/arm64', remote]);
    expect(run.stdout.trim(), run.all).toBe('aarch64');
  });

  it('on a machine without the images, pulls each platform out of the index instead of building', async () => {
    const ids = Object.fromEntries(
      await Promise.all(PLATFORMS.map(async (p) => [p, (await inspect(platformRef('mp-child', p))).id] as const)),
    );
    await podman.removeRepositories(repositories());
    ws.removePath('dist');
    const fresh = await ws.nx(['run', 'mp-child:build', '--output-style=stream'], env);
    expect(fresh.exitCode, fresh.output).toBe(0);
    expect(IMAGES.map((name) => ws.meta(name)?.status)).toEqual(['pulled', 'pulled']);
    for (const platform of PLATFORMS) {
      const image = await inspect(platformRef('mp-child', platform));
      expect(image.platform).toBe(platform);
      expect(image.id, platform).toBe(ids[platform]);
    }
  });

  it('refuses a child built for a platform its parent was not built for, naming both', async () => {
    ws.write('images/mp-child/project.json', JSON.stringify({ targets: { build: { options: { platforms: 'linux/amd64,linux/s390x' } } } }));
    try {
      const { IMAGE_PLATFORMS: _, ...single } = env;
      const refused = await ws.nx(['run', 'mp-child:build', '--output-style=stream'], single);
      expect(refused.exitCode, refused.output).not.toBe(0);
      // The parent was built for the engine's own platform only: it has neither platform's image.
      expect(refused.output).toMatch(/built for (linux\/\w+), but its parent "mp-root" has no \1 image/);
      expect(refused.output).toMatch(/Build both for the same platforms/);
    } finally {
      ws.removePath('images/mp-child/project.json');
    }
  });

  it('refuses, before building, an image FROM an upstream that holds only the host’s platform, and tags nothing', async () => {
    // The pinned upstream here is a single linux/amd64 image (debootstrap, docker import): podman
    // takes it for the arm64 build too, warning that the platforms differ.
    ws.write('images/mp-debian/Dockerfile', 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\nRUN true\n');
    try {
      const refused = await ws.nx(['run', 'mp-debian:build', '--output-style=stream'], env);
      expect(refused.exitCode, refused.output).not.toBe(0);
      expect(refused.output).toMatch(/is to be built for linux\/arm64, but its upstream \S+@sha256:[0-9a-f]{64} holds only linux\/amd64/);
      expect(refused.output).toMatch(/Pin an upstream whose index holds linux\/arm64[^]*Nothing was built\. \[PLATFORMS_UNSUPPORTED\]/);
      // Refused before the engine: no platform's build started.
      expect(refused.output).not.toMatch(/STEP 1\/\d+: FROM/);
      expect(await podman.tagsOf(`${PREFIX}/mp-debian`)).toEqual([]);
      expect(ws.meta('mp-debian')).toBeUndefined();
    } finally {
      ws.removePath('images/mp-debian');
      await podman.removeRepositories([`${PREFIX}/mp-debian`]);
    }
  });

  it('docker refuses a multi-platform build with a message that says what to do, and tags nothing', async () => {
    await assertEngineReady('docker');
    const refused = await ws.nx(['run', 'mp-root:build', '--output-style=stream'], { ...env, ...engineEnv('docker') });
    expect(refused.exitCode, refused.output).not.toBe(0);
    expect(refused.output).toMatch(/multi-platform builds need podman here/);
    expect(refused.output).toMatch(/Set CONTAINER_ENGINE=podman/);
    expect(await docker.tagsOf(`${PREFIX}/mp-root`)).toEqual([]);
  });
});
