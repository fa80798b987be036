import { describe, expect, it } from 'vitest';
import { entriesOf } from '../testing/chain-fixture';
import { resolveImageGraph } from './image-graph';
import { createImageInputs, dockerignoreExclusions, type InputSettings } from './inputs';

const settings: InputSettings = {
  context: '.',
  digestsFile: 'images/base/digests.env',
  pluginRoot: 'tools/images',
  dockerignore: ['# comment', 'node_modules', 'tools', '**/__pycache__', 'app/project.json', '!keep.txt', ''],
  isDirectory: (path) => ['app', 'images/base-runner'].includes(path),
};
const graph = resolveImageGraph(entriesOf(), 'ffreis');
const files = (name: string) => createImageInputs(graph, name, settings).filter((i): i is string => typeof i === 'string');

describe('createImageInputs', () => {
  it('gives base only its Dockerfile, the digests file and their overrides', () => {
    const inputs = createImageInputs(graph, 'base', settings);
    expect(files('base').filter((f) => !f.includes('tools/images'))).toEqual([
      '{workspaceRoot}/.dockerignore',
      '{workspaceRoot}/images/base/Dockerfile',
      '{workspaceRoot}/images/base/digests.env',
    ]);
    expect(inputs).toContainEqual({ env: 'BASE_DIGEST' });
    expect(inputs).toContainEqual({ env: 'CONTAINER_ENGINE' });
    expect(inputs).toContainEqual({ externalDependencies: ['dockerfile-ast', 'dotenv', 'execa'] });
  });

  it('gives builder the app, its own and its ancestors’ Dockerfiles, minus ignored files', () => {
    expect(files('builder')).toEqual(
      expect.arrayContaining([
        '{workspaceRoot}/app/**/*',
        '{workspaceRoot}/images/builder/Dockerfile',
        '{workspaceRoot}/images/base-builder/Dockerfile',
        '{workspaceRoot}/images/base/Dockerfile',
        '{workspaceRoot}/images/base/digests.env',
        '!{workspaceRoot}/app/project.json',
      ]),
    );
    expect(files('builder').some((f) => f.includes('base-runner'))).toBe(false);
  });

  it('gives runner both branches of the chain', () => {
    expect(files('runner')).toEqual(
      expect.arrayContaining(['{workspaceRoot}/images/base-runner/entrypoint.sh', '{workspaceRoot}/app/**/*', '{workspaceRoot}/images/runner/Dockerfile']),
    );
  });

  it('hashes the plugin sources but not its tests', () => {
    expect(files('base')).toEqual(expect.arrayContaining(['{workspaceRoot}/tools/images/src/**/*.ts', '!{workspaceRoot}/tools/images/src/**/*.spec.ts']));
  });

  it('never negates the plugin sources, even when .dockerignore lists tools/', () => {
    expect(files('runner')).not.toContain('!{workspaceRoot}/tools');
  });
});

describe('dockerignoreExclusions', () => {
  it.each([
    [['app/project.json'], ['app'], ['!{workspaceRoot}/app/project.json', '!{workspaceRoot}/app/project.json/**']],
    [['docs'], ['app'], []],
    [['**/*.pyc'], ['app'], ['!{workspaceRoot}/**/*.pyc', '!{workspaceRoot}/**/*.pyc/**']],
    [['!app/keep'], ['app'], []],
    [['node_modules'], ['.'], ['!{workspaceRoot}/node_modules', '!{workspaceRoot}/node_modules/**']],
  ])('%j with sources %j', (lines, sources, expected) => {
    expect(dockerignoreExclusions(lines, '.', sources)).toEqual(expected);
  });
});
