import { ImageError } from './errors';

/** The label that carries the Nx hash an image was built for: its identity. */
export const HASH_LABEL = 'org.ffreis.nx-hash';

/** Marks the containers created (never started) to copy files out of an image: `clean` removes them. */
export const SCRATCH_LABEL = 'org.ffreis.nx-images.scratch';

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

/** What docker accepts as one component of a repository path (lowercase, single separators). */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * The image (and Nx project) name of a Dockerfile: its folder's path under `images/`,
 * joined by `-` (`images/team/service/Dockerfile` → `team-service`). Throws, naming the
 * folder and the rule, when a folder cannot be part of an image name.
 */
export function imageNameFromPath(dockerfile: string, imagesRoot = 'images'): string {
  const folders = dockerfile.split('/').slice(imagesRoot.split('/').length, -1);
  if (folders.length === 0) {
    throw new ImageError(
      'BAD_IMAGE_NAME',
      `${dockerfile}: a Dockerfile directly in ${imagesRoot}/ names no image; put it in ${imagesRoot}/<name>/.`,
    );
  }
  for (const folder of folders) {
    if (!COMPONENT.test(folder)) {
      throw new ImageError(
        'BAD_IMAGE_NAME',
        `${dockerfile}: the folder "${folder}" cannot be part of an image name: docker takes lowercase ASCII letters and digits, ` +
          'separated by single ".", "_" or "-" (no spaces, no uppercase, no other characters).\n' +
          `Rename the folder, e.g. "${
            folder
              .normalize('NFKD')
              .replace(/[^\p{ASCII}]/gu, '')
              .toLowerCase()
              .replace(/[^a-z0-9]+/g, '-')
              .replace(/^-+|-+$/g, '') || 'image'
          }".`,
      );
    }
  }
  return folders.join('-');
}
