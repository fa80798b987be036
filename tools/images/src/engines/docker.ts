import { sharedCommands } from './commands';
import type { BuildSpec, EngineAdapter } from './types';

/** Flags shared by docker and podman builds. */
export function commonBuildArgs(spec: BuildSpec): string[] {
  return [
    '--file',
    spec.dockerfile,
    ...spec.tags.flatMap((tag) => ['--tag', tag]),
    ...(spec.target ? ['--target', spec.target] : []),
    ...(spec.noCache ? ['--no-cache'] : []),
    ...(spec.secrets ?? []).flatMap(({ id, src }) => ['--secret', `id=${id},src=${src}`]),
    ...Object.entries(spec.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
    ...Object.entries(spec.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    ...(spec.network ? ['--network', spec.network] : []),
    ...(spec.platform ? ['--platform', spec.platform] : []),
  ];
}

/** Docker's CLI. BuildKit is chosen through DOCKER_BUILDKIT, which both old and new clients read. */
export function dockerAdapter(client = 'docker'): EngineAdapter {
  return {
    name: 'docker',
    client,
    ...sharedCommands(client),
    serverVersion: () => ({ command: client, args: ['version', '--format', '{{.Server.Version}}'] }),
    build: (spec) => ({
      command: client,
      args: [
        'build',
        ...(spec.buildkit ? ['--progress', 'plain'] : []),
        ...commonBuildArgs(spec),
        ...(spec.cache?.from ?? []).flatMap((ref) => ['--cache-from', ref]),
        ...(spec.cache?.inline ? ['--build-arg', 'BUILDKIT_INLINE_CACHE=1'] : []),
        spec.context,
      ],
      env: { DOCKER_BUILDKIT: spec.buildkit ? '1' : '0' },
    }),
    // The legacy builder reads --cache-from only from images already pulled: no cache for it.
    layerCache: (repository, name, previousTag, buildkit) =>
      buildkit
        ? { from: [`${repository}/${name}:latest`, ...(previousTag ? [`${repository}/${name}:${previousTag}`] : [])], inline: true }
        : undefined,
  };
}
