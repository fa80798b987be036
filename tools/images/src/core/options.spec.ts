import { describe, expect, it } from 'vitest';
import { normalizePluginOptions, resolveEngineSettings, resolveRegistrySettings } from './options';

describe('normalizePluginOptions', () => {
  it('fills the defaults', () => {
    expect(normalizePluginOptions(undefined)).toEqual({
      prefix: 'local',
      digestsFile: 'images/base/digests.env',
      context: '.',
      engine: 'docker',
      client: undefined,
      network: undefined,
      registry: undefined,
      registryBestEffort: false,
      runImage: 'runner',
      outputDir: 'dist/images',
    });
  });
  it.each([
    [{ prefix: 'Bad Prefix' }, /prefix "Bad Prefix" is not a valid image repository/],
    [{ engine: 'containerd' as never }, /engine "containerd" is not one of docker, podman/],
  ])('rejects %j', (options, message) => {
    expect(() => normalizePluginOptions(options)).toThrow(message);
  });
});

describe('resolveEngineSettings', () => {
  it.each([
    [{}, {}, { engine: 'docker', client: 'docker', network: undefined }],
    [{ client: '/usr/bin/docker' }, {}, { engine: 'docker', client: '/usr/bin/docker', network: undefined }],
    [{}, { CONTAINER_ENGINE: 'podman' }, { engine: 'podman', client: 'podman', network: undefined }],
    [{ client: '/usr/bin/docker' }, { CONTAINER_ENGINE: 'podman' }, { engine: 'podman', client: 'podman', network: undefined }],
    [{}, { CONTAINER_CLIENT: '/opt/docker', BUILD_NETWORK: 'host' }, { engine: 'docker', client: '/opt/docker', network: 'host' }],
  ])('options %j with env %j', (options, env, expected) => {
    expect(resolveEngineSettings(options, env)).toEqual(expected);
  });
  it.each([
    [
      {},
      { CONTAINER_ENGINE: 'podman', CONTAINER_CLIENT: '/usr/bin/docker' },
      /The engine is podman but its client is "\/usr\/bin\/docker", a docker client \(CONTAINER_CLIENT\)/,
    ],
    [
      { engine: 'docker' as const, client: '/usr/bin/podman' },
      {},
      /The engine is docker but its client is "\/usr\/bin\/podman", a podman client \(plugin option client\)/,
    ],
  ])('refuses a client of the other engine: %j %j', (options, env, message) => {
    expect(() => resolveEngineSettings(options, env)).toThrow(message);
  });

  it('names a bad CONTAINER_ENGINE', () => {
    expect(() => resolveEngineSettings({}, { CONTAINER_ENGINE: 'lxc' })).toThrow(/CONTAINER_ENGINE="lxc" is not one of docker, podman/);
  });
});

describe('resolveRegistrySettings', () => {
  it.each([
    [{}, {}, { registry: undefined, bestEffort: false, layerCache: 'on' }],
    [{ registry: 'reg:5000/team/' }, {}, { registry: 'reg:5000/team', bestEffort: false, layerCache: 'on' }],
    [
      { registry: 'reg:5000/team' },
      { IMAGE_REGISTRY: '127.0.0.1:5000/ffreis' },
      { registry: '127.0.0.1:5000/ffreis', bestEffort: false, layerCache: 'on' },
    ],
    [{ registry: 'reg:5000/team' }, { IMAGE_REGISTRY: '' }, { registry: undefined, bestEffort: false, layerCache: 'on' }],
    [{ registryBestEffort: true }, {}, { registry: undefined, bestEffort: true, layerCache: 'on' }],
    [{ registryBestEffort: true }, { IMAGE_REGISTRY_BEST_EFFORT: '0' }, { registry: undefined, bestEffort: false, layerCache: 'on' }],
    [{}, { IMAGE_REGISTRY_BEST_EFFORT: '1' }, { registry: undefined, bestEffort: true, layerCache: 'on' }],
    [{}, { IMAGE_LAYER_CACHE: 'off' }, { registry: undefined, bestEffort: false, layerCache: 'off' }],
    [{}, { IMAGE_LAYER_CACHE: '0' }, { registry: undefined, bestEffort: false, layerCache: 'off' }],
    [{}, { IMAGE_LAYER_CACHE: 'on' }, { registry: undefined, bestEffort: false, layerCache: 'on' }],
    [{}, { IMAGE_LAYER_CACHE: 'read' }, { registry: undefined, bestEffort: false, layerCache: 'read' }],
  ])('options %j with env %j', (options, env, expected) => {
    expect(resolveRegistrySettings(options, env)).toEqual(expected);
  });
  it('refuses an IMAGE_LAYER_CACHE it does not know', () => {
    expect(() => resolveRegistrySettings({}, { IMAGE_LAYER_CACHE: 'sometimes' })).toThrow(
      /IMAGE_LAYER_CACHE="sometimes" is not on, read or off/,
    );
  });
  it('names a malformed registry', () => {
    expect(() => resolveRegistrySettings({}, { IMAGE_REGISTRY: 'http://reg' })).toThrow(
      /Registry "http:\/\/reg" .* is not a repository like "127.0.0.1:5000\/ffreis"/,
    );
  });
});
