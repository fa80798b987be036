import { execa } from 'execa';
import { join } from 'node:path';

/** The chain in dependency order, as the old Makefile built it. */
export const BASELINE_ORDER = ['base', 'base-builder', 'base-runner', 'builder', 'runner'];

/** Each child's parent ARG, pointed at the parent's `:latest` (what `make build-images` did). */
const PARENT_ARGS: Record<string, Record<string, string>> = {
  base: {},
  'base-builder': { BASE_IMAGE: 'base' },
  'base-runner': { BASE_IMAGE: 'base' },
  builder: { BASE_BUILDER_IMAGE: 'base-builder' },
  runner: { BUILDER_IMAGE: 'builder', BASE_RUNNER_IMAGE: 'base-runner' },
};

/**
 * Plain sequential `docker build`s of the workspace's five Dockerfiles (or of `only` those),
 * each FROM its parent's `:latest` under `prefix`, with the same client, BuildKit and network as ours.
 */
export async function runBaseline(
  workspace: string,
  prefix: string,
  client: string,
  network?: string,
  only: string[] = BASELINE_ORDER,
): Promise<void> {
  for (const name of BASELINE_ORDER.filter((n) => only.includes(n))) {
    const args = ['build', '--quiet', '-f', join(workspace, 'images', name, 'Dockerfile'), '-t', `${prefix}/${name}:latest`];
    for (const [arg, parent] of Object.entries(PARENT_ARGS[name])) args.push('--build-arg', `${arg}=${prefix}/${parent}:latest`);
    if (name === 'base')
      args.push('--build-arg', `BASE_IMAGE=${process.env.BASE_IMAGE}`, '--build-arg', `BASE_DIGEST=${process.env.BASE_DIGEST}`);
    if (network) args.push('--network', network);
    args.push(workspace);
    await execa(client, args, { env: { DOCKER_BUILDKIT: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  }
}
