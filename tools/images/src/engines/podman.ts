import { commonBuildArgs, sharedCommands } from './docker';
import type { EngineAdapter } from './types';

/** Podman's CLI (Buildah under the hood; layers cached with --layers). */
export function podmanAdapter(client = 'podman'): EngineAdapter {
  return {
    name: 'podman',
    client,
    ...sharedCommands(client),
    serverVersion: () => ({ command: client, args: ['version', '--format', '{{.Server.Version}}'] }),
    build: (spec) => ({ command: client, args: ['build', '--layers', ...commonBuildArgs(spec), spec.context] }),
  };
}
