import { sharedCommands } from './commands';
import { commonBuildArgs } from './docker';
import type { EngineAdapter } from './types';

/** Podman's CLI (Buildah under the hood; layers cached with --layers). */
export function podmanAdapter(client = 'podman'): EngineAdapter {
  return {
    name: 'podman',
    client,
    ...sharedCommands(client),
    // Podman 4 prints one flat version (no Client/Server split without a remote service).
    clientVersion: () => ({ command: client, args: ['version', '--format', '{{.Version}}'] }),
    serverVersion: () => ({ command: client, args: ['info', '--format', '{{.Version.Version}}'] }),
    // Docker's image format, so SHELL, HEALTHCHECK and ONBUILD mean what they mean on docker.
    build: (spec) => ({
      command: client,
      args: [
        'build',
        '--layers',
        '--format',
        'docker',
        ...commonBuildArgs(spec),
        ...(spec.cache?.from ?? []).flatMap((repo) => ['--cache-from', repo]),
        ...(spec.cache?.to ? ['--cache-to', spec.cache.to] : []),
        spec.context,
      ],
    }),
    layerCache: (repository, name) => ({ from: [`${repository}/cache/${name}`], to: `${repository}/cache/${name}` }),
  };
}
