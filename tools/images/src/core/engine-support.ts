import type { BuildkitFeature } from './dockerfile';
import { ImageError } from './errors';
import type { EngineName } from './options';

/** The builder an engine offers, as the executor found it. */
export interface BuilderInfo {
  engine: EngineName;
  /** Docker only: BuildKit available. */
  buildkit: boolean;
  /** The client's version, e.g. `20.10.24` or `4.3.1`. */
  version: string;
  client: string;
}

/** Podman (Buildah 1.33) reads heredocs from 4.8 on. */
const PODMAN_HEREDOC = [4, 8];

function older(version: string, [major, minor]: number[]): boolean {
  const [a = 0, b = 0] = version.split('.').map((n) => Number.parseInt(n, 10));
  return a < major || (a === major && b < minor);
}

/**
 * Refuses, before the build starts, a Dockerfile whose syntax the engine's builder
 * cannot read: BuildKit-only flags on docker's legacy builder, heredocs on an old podman.
 */
export function checkBuilderSupports(dockerfile: string, features: BuildkitFeature[], builder: BuilderInfo): void {
  const unsupported = features.filter(({ feature }) =>
    builder.engine === 'docker' ? !builder.buildkit : feature.endsWith('heredoc') && older(builder.version, PODMAN_HEREDOC),
  );
  if (unsupported.length === 0) return;
  const where = unsupported.map((f) => `${dockerfile}:${f.line} uses ${f.feature}`).join('; ');
  const fix =
    builder.engine === 'docker'
      ? `The docker client "${builder.client}" (${builder.version}) only offers the legacy builder here. Install buildx (Debian: apt-get install docker-buildx) or set CONTAINER_CLIENT to a client with BuildKit (e.g. /usr/bin/docker from docker.io 20.10).`
      : `podman ${builder.version} is too old for it: heredocs need podman ${PODMAN_HEREDOC.join('.')} or newer. Upgrade podman, or use CONTAINER_ENGINE=docker.`;
  throw new ImageError('ENGINE_TOO_OLD', `${where}, which the engine's builder cannot read.\n${fix}`);
}
