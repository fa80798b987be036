import type { Digests } from './digests';

/**
 * The build args one image gets: each parent ARG set to the parent's exact hash
 * tag, and, for an image built from the pinned upstream, BASE_IMAGE/BASE_DIGEST.
 * A parent ARG wins over a digests key of the same name (a child's BASE_IMAGE
 * names its parent, never the upstream).
 */
export function composeBuildArgs(parents: { arg: string; ref: string }[], digests?: Digests): Record<string, string> {
  const args: Record<string, string> = { ...(digests ?? {}) };
  for (const parent of parents) args[parent.arg] = parent.ref;
  return args;
}
