import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import type { Tree } from '@nx/devkit';
import { beforeEach, describe, expect, it } from 'vitest';
import imageGenerator from './generator';

let tree: Tree;

beforeEach(() => {
  tree = createTreeWithEmptyWorkspace();
  tree.write('nx.json', JSON.stringify({ plugins: [{ plugin: '@ffreis/nx-images', options: { prefix: 'team' } }] }));
  tree.write('images/base/Dockerfile', 'ARG BASE_IMAGE\nARG BASE_DIGEST\nFROM ${BASE_IMAGE}@${BASE_DIGEST}\n');
  tree.write('images/runner/Dockerfile', 'ARG BASE_IMAGE=team/base\nFROM ${BASE_IMAGE}\nUSER 10001:10001\n');
  tree.write('images/debug-base/Dockerfile', 'ARG RUNNER_IMAGE=team/runner\nFROM ${RUNNER_IMAGE}\n');
  tree.write('README.md', '# w\n\n```mermaid\ngraph LR\n  runner --> base\n```\n');
});

const written = () =>
  tree
    .listChanges()
    .map((c) => c.path)
    .sort();

describe('nx g @ffreis/nx-images:image', () => {
  it('writes the ARG/FROM form the graph reads, staying non-root under a runner, a checks skeleton and the README edge', () => {
    imageGenerator(tree, { name: 'debug', parent: 'runner' });
    expect(tree.read('images/debug/Dockerfile', 'utf8')).toContain('ARG RUNNER_IMAGE=team/runner\nFROM ${RUNNER_IMAGE}\n');
    expect(tree.read('images/debug/Dockerfile', 'utf8')).toContain('\nUSER 10001:10001\n');
    expect(JSON.parse(tree.read('images/debug/image-test.json', 'utf8') as string)).toMatchObject({
      user: '10001:10001',
      labels: { 'org.ffreis.image': 'debug' },
    });
    expect(tree.read('README.md', 'utf8')).toBe('# w\n\n```mermaid\ngraph LR\n  debug --> runner\n  runner --> base\n```\n');
  });

  it('follows a parent with no USER of its own to the user it inherits', () => {
    imageGenerator(tree, { name: 'tools', parent: 'debug-base' });
    expect(tree.read('images/tools/Dockerfile', 'utf8')).toContain('\nUSER 10001:10001\n');
  });

  it('adds no USER under a root parent', () => {
    imageGenerator(tree, { name: 'extra', parent: 'base' });
    expect(tree.read('images/extra/Dockerfile', 'utf8')).not.toContain('USER');
    expect(tree.read('images/extra/Dockerfile', 'utf8')).toContain('ARG BASE_IMAGE=team/base\nFROM ${BASE_IMAGE}\n');
  });

  it.each([
    [
      'a name docker refuses',
      { name: 'Debug', parent: 'runner' },
      /the folder "Debug" cannot be part of an image name.*Rename the folder, e.g. "debug"/s,
    ],
    ['a path', { name: 'a/b', parent: 'runner' }, /"a\/b" is not an image name/],
    [
      'an unknown parent',
      { name: 'debug', parent: 'nope' },
      /--parent=nope: the workspace has no image "nope".*Images: base, debug-base, runner\./,
    ],
    ['an existing image', { name: 'runner', parent: 'base' }, /images\/runner\/Dockerfile already exists/],
  ])('refuses %s with a clear error and writes nothing', (_case, options, message) => {
    const before = written();
    expect(() => imageGenerator(tree, options)).toThrow(message);
    expect(written()).toEqual(before);
    expect(tree.read('README.md', 'utf8')).toContain('  runner --> base\n```');
  });
});
