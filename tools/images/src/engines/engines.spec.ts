import { describe, expect, it } from 'vitest';
import { engineAdapter } from '.';
import type { BuildSpec } from './types';

const spec: BuildSpec = {
  dockerfile: '/w/images/base/Dockerfile',
  context: '/w',
  tags: ['ffreis/base:1'],
  buildArgs: { BASE_IMAGE: 'ubuntu:24.04' },
  labels: { 'org.ffreis.image': 'base' },
  network: 'host',
  buildkit: true,
};

describe('engine adapters', () => {
  it('docker builds with BuildKit through DOCKER_BUILDKIT and plain progress', () => {
    expect(engineAdapter('docker', '/usr/bin/docker').build(spec)).toEqual({
      command: '/usr/bin/docker',
      args: [
        'build',
        '--progress',
        'plain',
        '--file',
        '/w/images/base/Dockerfile',
        '--tag',
        'ffreis/base:1',
        '--build-arg',
        'BASE_IMAGE=ubuntu:24.04',
        '--label',
        'org.ffreis.image=base',
        '--network',
        'host',
        '/w',
      ],
      env: { DOCKER_BUILDKIT: '1' },
    });
  });

  it('docker falls back to the legacy builder without --progress', () => {
    const command = engineAdapter('docker').build({ ...spec, buildkit: false, network: undefined });
    expect(command.env).toEqual({ DOCKER_BUILDKIT: '0' });
    expect(command.args).not.toContain('--progress');
    expect(command.args).not.toContain('--network');
  });

  it('podman builds docker-format images with cached layers', () => {
    const command = engineAdapter('podman').build(spec);
    expect(command.command).toBe('podman');
    expect(command.args.slice(0, 4)).toEqual(['build', '--layers', '--format', 'docker']);
    expect(command.env).toBeUndefined();
  });

  it.each(['docker', 'podman'] as const)('%s spells inspect, tag, list, remove and run the same way', (engine) => {
    const adapter = engineAdapter(engine);
    expect(adapter.inspectImage('a:1').args).toEqual([
      'image',
      'inspect',
      '--format',
      '{{.Id}}|{{.Size}}|{{json .RepoTags}}|{{json .Config.Labels}}|{{.Os}}/{{.Architecture}}',
      'a:1',
    ]);
    expect(adapter.tag('a:1', 'a:latest').args).toEqual(['tag', 'a:1', 'a:latest']);
    expect(adapter.listTags('ffreis/base').args).toEqual(['images', '--format', '{{.Repository}}:{{.Tag}}', 'ffreis/base']);
    expect(adapter.removeImages(['a:1', 'a:2']).args).toEqual(['rmi', 'a:1', 'a:2']);
    expect(adapter.run('a:1', ['x']).args).toEqual(['run', '--rm', 'a:1', 'x']);
  });

  it('docker imports the inline cache of the image’s :latest and last hash tag, and embeds its own (BuildKit only)', () => {
    const docker = engineAdapter('docker');
    const cache = docker.layerCache('127.0.0.1:5000/team', 'builder', '41', true);
    expect(cache).toEqual({ from: ['127.0.0.1:5000/team/builder:latest', '127.0.0.1:5000/team/builder:41'], inline: true });
    const args = docker.build({ ...spec, cache }).args;
    expect(args.slice(-7)).toEqual([
      '--cache-from',
      '127.0.0.1:5000/team/builder:latest',
      '--cache-from',
      '127.0.0.1:5000/team/builder:41',
      '--build-arg',
      'BUILDKIT_INLINE_CACHE=1',
      '/w',
    ]);
    expect(docker.layerCache('r/t', 'builder', undefined, false)).toBeUndefined();
  });

  it('podman reads and writes layers in the registry’s cache repository of the image', () => {
    const podman = engineAdapter('podman');
    const cache = podman.layerCache('127.0.0.1:5000/team', 'builder');
    expect(cache).toEqual({ from: ['127.0.0.1:5000/team/cache/builder'], to: '127.0.0.1:5000/team/cache/builder' });
    const args = podman.build({ ...spec, cache }).args;
    expect(args.slice(-5)).toEqual([
      '--cache-from',
      '127.0.0.1:5000/team/cache/builder',
      '--cache-to',
      '127.0.0.1:5000/team/cache/builder',
      '/w',
    ]);
  });

  it('builds without cache flags when no registry serves one', () => {
    for (const engine of ['docker', 'podman'] as const) expect(engineAdapter(engine).build(spec).args.join(' ')).not.toMatch(/cache/);
  });
});
