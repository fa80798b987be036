import type { BuildkitFeature } from '../core/dockerfile';
import { ImageError } from '../core/errors';
import type { EngineName } from '../core/options';

/** The builder an engine offers, as the executor found it. */
export interface BuilderInfo {
  engine: EngineName;
  /** Docker only: BuildKit available (buildx, or a client older than 23 with it built in). */
  buildkit: boolean;
  /** Docker only: BuildKit through buildx, whose Dockerfile frontend reads heredocs, --link and the rest. */
  buildx?: boolean;
  /** The client's version, e.g. `20.10.24` or `4.3.1`. */
  version: string;
  client: string;
}

/** Podman (Buildah 1.33) reads heredocs and the newer flags from 4.8 on. */
const PODMAN_MODERN = [4, 8];

function older(version: string, [major, minor]: number[]): boolean {
  const [a = 0, b = 0] = version.split('.').map((n) => Number.parseInt(n, 10));
  return a < major || (a === major && b < minor);
}

/** Whether the builder reads syntax of a tier (see {@link BuildkitFeature}). */
function reads(builder: BuilderInfo, tier: BuildkitFeature['tier'], syntax: boolean): boolean {
  if (builder.engine === 'podman') return tier === 'buildkit' || !older(builder.version, PODMAN_MODERN);
  if (!builder.buildkit) return false;
  // A `# syntax=` frontend brings its own parser; docker 20.10's built-in one stops at 1.3.
  return tier === 'buildkit' || Boolean(builder.buildx) || syntax;
}

/**
 * Refuses, before the build starts, a Dockerfile whose syntax the engine's builder
 * cannot read (checked against the engines here: docker 20.10's built-in BuildKit and
 * podman 4.3 read RUN --mount and --chmod, but not heredocs, COPY --link, RUN --network,
 * ADD --checksum and the like; the legacy builder reads none of them).
 */
export function checkBuilderSupports(dockerfile: string, features: BuildkitFeature[], builder: BuilderInfo, syntax = false): void {
  const unsupported = features.filter((f) => !reads(builder, f.tier, syntax));
  if (unsupported.length === 0) return;
  const where = unsupported.map((f) => `${dockerfile}:${f.line} uses ${f.feature}`).join('; ');
  let fix: string;
  if (builder.engine === 'podman') {
    fix =
      `podman ${builder.version} is too old for it: this syntax needs podman ${PODMAN_MODERN.join('.')} or newer. Upgrade ` +
      `podman, rewrite the instruction (a heredoc as a COPY of a file, for example), or use CONTAINER_ENGINE=docker with buildx.`;
  } else if (!builder.buildkit) {
    fix =
      `The docker client "${builder.client}" (${builder.version}) only offers the legacy builder here. Install buildx ` +
      `(Debian: apt-get install docker-buildx) or set CONTAINER_CLIENT to a client with BuildKit (e.g. /usr/bin/docker from ` +
      `docker.io 20.10).`;
  } else {
    fix =
      `The docker client "${builder.client}" (${builder.version}) uses the BuildKit built into docker 20.10, whose ` +
      `Dockerfile frontend predates this syntax. Install buildx (Debian: apt-get install docker-buildx), or rewrite the ` +
      `instruction (a heredoc as a COPY of a file, for example).`;
  }
  throw new ImageError('ENGINE_TOO_OLD', `${where}, which the engine's builder cannot read.\n${fix}`);
}
