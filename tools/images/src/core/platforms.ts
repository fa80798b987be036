import { ImageError } from './errors';

/** `os/architecture[/variant]`, as engines spell a platform (`linux/amd64`, `linux/arm/v7`). */
const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9.]+)?$/;

/**
 * The architectures a Linux image is built for, with the variants the OCI image spec names for
 * each (image-index.md, "platform"; an architecture without variants takes none).
 */
const VARIANTS: Record<string, RegExp | undefined> = {
  amd64: /^v[1-4]$/,
  arm64: /^v8(\.[0-9])?$|^v9(\.[0-5])?$/,
  arm: /^v[5-8]$/,
  '386': undefined,
  ppc64le: undefined,
  s390x: undefined,
  riscv64: undefined,
  mips64le: undefined,
  loong64: undefined,
};

/** Why a well-formed `os/architecture[/variant]` is not one the engines here can build, or undefined. */
function unbuildable(platform: string): string | undefined {
  const [os, arch, variant] = platform.split('/');
  if (os !== 'linux') return `the engines here build Linux images only (os "${os}")`;
  if (!(arch in VARIANTS)) return `"${arch}" is not an OCI architecture (${Object.keys(VARIANTS).join(', ')})`;
  const variants = VARIANTS[arch];
  if (variant !== undefined && !variants?.test(variant))
    return variants ? `"${variant}" is not a variant of ${arch} (${variants.source})` : `${arch} has no variants`;
  return undefined;
}

/** Node's names for the host's CPU, in the engines' terms. */
const ARCHITECTURES: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

/** The platform this machine runs natively. */
export function hostPlatform(arch: string = process.arch): string {
  return `linux/${ARCHITECTURES[arch] ?? arch}`;
}

/**
 * The platforms an image is built for, sorted and without repeats: IMAGE_PLATFORMS
 * (`linux/amd64,linux/arm64`) when set, else the project's or the plugin's option `platforms`.
 * Empty means one image for the engine's own platform, as before.
 */
export function resolvePlatforms(option: string[] | string | undefined, env: Record<string, string | undefined>): string[] {
  const fromEnv = env.IMAGE_PLATFORMS?.trim();
  const source = fromEnv ? 'IMAGE_PLATFORMS' : 'the option platforms';
  const raw = fromEnv ? fromEnv.split(',') : Array.isArray(option) ? option : (option ?? '').split(',');
  const platforms = [...new Set(raw.map((p) => p.trim().toLowerCase()).filter(Boolean))].sort();
  const bad = platforms.find((p) => !PLATFORM.test(p));
  if (bad) {
    throw new ImageError(
      'BAD_OPTION',
      `${source}: "${bad}" is not a platform like linux/amd64 or linux/arm64 (os/architecture[/variant], comma-separated).`,
    );
  }
  for (const platform of platforms) {
    const why = unbuildable(platform);
    if (why)
      throw new ImageError(
        'BAD_OPTION',
        `${source}: "${platform}" cannot be built: ${why}. Use e.g. linux/amd64, linux/arm64 or linux/arm/v7.`,
      );
  }
  return platforms;
}

/** The tag of one platform's image beside the hash tag: `<hash>-linux-arm64`. */
export function platformTag(tag: string, platform: string): string {
  return `${tag}-${platform.replaceAll('/', '-')}`;
}

/** The platform the hash tag itself names in the local store: the host's when built, else the first. */
export function primaryPlatform(platforms: string[], host: string = hostPlatform()): string {
  return platforms.includes(host) ? host : platforms[0];
}

/** Whether an image's `os/architecture` (as `image inspect` prints it) is the platform asked for (its variant aside). */
export function samePlatform(inspected: string | undefined, platform: string): boolean {
  return Boolean(inspected) && platform.split('/').slice(0, 2).join('/') === inspected;
}

/** QEMU's names for the engines' architectures (binfmt_misc registers `qemu-<name>`). */
const QEMU_NAMES: Record<string, string> = {
  amd64: 'x86_64',
  arm64: 'aarch64',
  arm: 'arm',
  '386': 'i386',
  ppc64le: 'ppc64le',
  s390x: 's390x',
};

/**
 * The foreign platforms no binfmt_misc entry would run (`registered`: the entries under
 * /proc/sys/fs/binfmt_misc): their RUN steps would fail with "exec format error".
 */
export function unemulated(platforms: string[], registered: string[], host: string = hostPlatform()): string[] {
  const hostArch = host.split('/')[1];
  return platforms.filter((platform) => {
    const arch = platform.split('/')[1];
    if (arch === hostArch) return false;
    const qemu = QEMU_NAMES[arch] ?? arch;
    return !registered.some((entry) => entry === `qemu-${qemu}` || entry.startsWith(`qemu-${qemu}-`));
  });
}
