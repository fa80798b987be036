import { ImageError } from './errors';

/** The tag every image also carries once its hash tag is built or found. */
export const LATEST_TAG = 'latest';

/** What docker and podman accept as a tag. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Derives an image tag from an Nx task hash. Nx hashes are decimal or hex
 * strings, already valid tags; anything else is refused rather than mangled,
 * because two hashes must never map to one tag.
 */
export function tagFromHash(hash: string | undefined): string {
  if (!hash) {
    throw new ImageError(
      'NO_TASK_HASH',
      'NX_TASK_HASH is not set: the build executor derives the image tag from the Nx task hash.\n' +
        'Run it through Nx (`npx nx run <image>:build`), not by calling the executor directly.',
    );
  }
  if (!TAG_PATTERN.test(hash)) {
    throw new ImageError('NO_TASK_HASH', `NX_TASK_HASH "${hash}" is not a valid image tag.`);
  }
  return hash;
}

/** `<repository>/<name>` for a workspace image; `repository` is the prefix, e.g. `ffreis`. */
export function imageRepository(prefix: string, name: string): string {
  return prefix ? `${prefix}/${name}` : name;
}

/** `<prefix>/<name>:<tag>`. */
export function imageRef(prefix: string, name: string, tag: string): string {
  return `${imageRepository(prefix, name)}:${tag}`;
}

/**
 * Splits an image reference into its repository and its tag/digest suffix:
 * `127.0.0.1:5000/ffreis/base:abc` → `{ repository: '127.0.0.1:5000/ffreis/base', tag: 'abc' }`.
 * A colon before the last slash belongs to a registry port, not to a tag.
 */
export function splitImageRef(ref: string): { repository: string; tag?: string; digest?: string } {
  const [withoutDigest, digest] = ref.split('@', 2);
  const lastSlash = withoutDigest.lastIndexOf('/');
  const lastColon = withoutDigest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    return { repository: withoutDigest.slice(0, lastColon), tag: withoutDigest.slice(lastColon + 1), digest };
  }
  return { repository: withoutDigest, digest };
}

/**
 * The workspace image a reference names, if it names one: the repository must be
 * `<prefix>/<name>` (any tag). Returns the name, or undefined for an external image.
 */
export function workspaceImageName(ref: string, prefix: string): string | undefined {
  const { repository, digest } = splitImageRef(ref);
  if (digest) return undefined;
  const head = prefix ? `${prefix}/` : '';
  if (!repository.startsWith(head)) return undefined;
  const name = repository.slice(head.length);
  return name && !name.includes('/') ? name : undefined;
}
