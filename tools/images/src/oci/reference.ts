import { ImageError } from '../core/errors';
import { splitImageRef } from '../core/naming';

/** Where a tag lives on the OCI distribution API. */
export interface RegistryLocation {
  /** `host[:port]` the API is served on. */
  host: string;
  /** Repository path, e.g. `library/ubuntu`. */
  repository: string;
  tag: string;
  /** `http` for loopback registries, `https` otherwise. */
  scheme: 'http' | 'https';
}

const DOCKER_HUB = 'registry-1.docker.io';

function isRegistryHost(part: string): boolean {
  return part.includes('.') || part.includes(':') || part === 'localhost';
}

function isLoopback(host: string): boolean {
  return /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
}

/**
 * Locates an image name (`[registry/]repo[:tag]`) on the distribution API, the way
 * docker does: no registry part means Docker Hub, a single-part name there means
 * `library/<name>`. `mirror` replaces the host (a private mirror of the same paths).
 */
export function locateImage(image: string, mirror?: string): RegistryLocation {
  const { repository: name, tag } = splitImageRef(image);
  if (!tag) throw new ImageError('DIGESTS_MALFORMED', `BASE_IMAGE "${image}" has no tag: the update follows a tag (e.g. ubuntu:24.04).`);
  const [first, ...rest] = name.split('/');
  let host = DOCKER_HUB;
  let repository = name;
  if (rest.length > 0 && isRegistryHost(first)) {
    host = first === 'docker.io' ? DOCKER_HUB : first;
    repository = rest.join('/');
  }
  if (host === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (mirror) host = mirror.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const scheme = mirror?.startsWith('http://') || isLoopback(host) ? 'http' : 'https';
  return { host, repository, tag, scheme };
}
