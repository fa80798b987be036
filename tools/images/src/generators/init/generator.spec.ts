import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { readNxJson, type Tree } from '@nx/devkit';
import ignore from '@balena/dockerignore';
import { beforeEach, describe, expect, it } from 'vitest';
import initGenerator, { prefixFromPackageName } from './generator';

let tree: Tree;
beforeEach(() => {
  tree = createTreeWithEmptyWorkspace();
  tree.write('package.json', JSON.stringify({ name: '@acme/platform', private: true }));
});

const snapshot = () => Object.fromEntries(tree.listChanges().map((c) => [c.path, c.content?.toString('utf8')]));

describe('nx g @ffreis/nx-images:init', () => {
  it('registers the plugin with its defaults written out, the prefix from the npm scope', () => {
    initGenerator(tree, {});
    const entry = readNxJson(tree)?.plugins?.find((p) => typeof p === 'object' && p.plugin === '@ffreis/nx-images');
    expect(entry).toEqual({
      plugin: '@ffreis/nx-images',
      options: {
        prefix: 'acme',
        digestsFile: 'images/base/digests.env',
        context: '.',
        engine: 'docker',
        outputDir: 'dist/images',
        runImage: 'runner',
      },
    });
  });

  it('writes a .dockerignore that keeps secrets and Nx’s folders out of the context', () => {
    initGenerator(tree, {});
    const rules = ignore().add(tree.read('.dockerignore', 'utf8') as string);
    for (const file of ['.env', 'node_modules/x', '.nx/cache/y', 'home/.aws/credentials', 'deploy/.git-credentials']) {
      expect(rules.ignores(file), file).toBe(true);
    }
    expect(rules.ignores('app/main.py')).toBe(false);
  });

  it('changes nothing already there, and a second run is a no-op', () => {
    tree.write('.dockerignore', 'mine\n');
    const ours = { plugin: '@ffreis/nx-images', options: { prefix: 'ours' } };
    tree.write('nx.json', JSON.stringify({ plugins: [ours], defaultBase: 'trunk' }));
    const before = snapshot();
    initGenerator(tree, {});
    expect(snapshot()).toEqual(before);

    const fresh = createTreeWithEmptyWorkspace();
    initGenerator(fresh, {});
    const once = Object.fromEntries(fresh.listChanges().map((c) => [c.path, c.content?.toString('utf8')]));
    initGenerator(fresh, {});
    expect(Object.fromEntries(fresh.listChanges().map((c) => [c.path, c.content?.toString('utf8')]))).toEqual(once);
  });

  it('takes --prefix, and refuses one docker cannot name', () => {
    initGenerator(tree, { prefix: '127.0.0.1:5000/team' });
    expect(JSON.stringify(readNxJson(tree))).toContain('"prefix":"127.0.0.1:5000/team"');
    expect(() => initGenerator(createTreeWithEmptyWorkspace(), { prefix: 'Team' })).toThrow(
      /prefix "Team" is not a valid image repository/,
    );
  });

  it.each([
    ['@acme/platform', 'acme'],
    ['My App', 'my-app'],
    ['ws', 'ws'],
    ['@@', 'local'],
    [undefined, 'local'],
  ])('takes %j as the prefix %s', (name, prefix) => {
    expect(prefixFromPackageName(name)).toBe(prefix);
  });
});
