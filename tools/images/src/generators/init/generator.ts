import { readJson, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { DEFAULT_PREFIX, normalizePluginOptions, type ImagesPluginOptions } from '../../core/options';
import { SECRET_IGNORES, SECRET_IGNORES_HEADER } from '../../core/secret-ignores';
import { PLUGIN_PACKAGE } from '../../plugin/package-name';

/** Options of `nx g @ffreis/nx-images:init` (its contract: schema.json beside this file). */
export interface InitGeneratorOptions {
  /** Repository prefix of the workspace's images. Default: the workspace's npm scope, else its package name. */
  prefix?: string;
  /** Passed by `nx add`; nothing to keep or update here. */
  keepExistingVersions?: boolean;
  updatePackageScripts?: boolean;
}

/** One component of an image repository, from a package name (`@acme/platform` → `acme`, `My App` → `my-app`). */
export function prefixFromPackageName(name: unknown): string {
  if (typeof name !== 'string') return DEFAULT_PREFIX;
  const word = name.startsWith('@') ? name.slice(1).split('/')[0] : name;
  const component = word
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return component || DEFAULT_PREFIX;
}

/** What a new workspace's .dockerignore holds: Nx's and npm's folders, then the secret rules. */
export function defaultDockerignore(): string {
  return [
    '# The build context is the workspace root; the engine sends only what is not listed here,',
    '# and the plugin removes these paths from every image’s inputs.',
    '.git',
    '.nx',
    'node_modules',
    'dist',
    SECRET_IGNORES_HEADER,
    ...SECRET_IGNORES,
    '',
  ].join('\n');
}

/**
 * `nx g @ffreis/nx-images:init` (and `nx add @ffreis/nx-images`): registers the plugin in nx.json
 * with its defaults written out, and writes a .dockerignore carrying the secret rules when the
 * workspace has none. Changes nothing already there, so a second run is a no-op.
 */
export default function initGenerator(tree: Tree, options: InitGeneratorOptions = {}): void {
  const nxJson = readNxJson(tree) ?? {};
  const registered = (nxJson.plugins ?? []).some((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_PACKAGE);
  if (!registered) {
    const name = tree.exists('package.json') ? readJson<{ name?: unknown }>(tree, 'package.json').name : undefined;
    const defaults = normalizePluginOptions({ prefix: options.prefix ?? prefixFromPackageName(name) });
    const written: ImagesPluginOptions = {
      prefix: defaults.prefix,
      digestsFile: defaults.digestsFile,
      context: defaults.context,
      engine: defaults.engine,
      outputDir: defaults.outputDir,
      runImage: defaults.runImage,
    };
    updateNxJson(tree, { ...nxJson, plugins: [...(nxJson.plugins ?? []), { plugin: PLUGIN_PACKAGE, options: written }] });
  }
  if (!tree.exists('.dockerignore')) tree.write('.dockerignore', defaultDockerignore());
}
