import { readNxJson, type Tree } from '@nx/devkit';
import { DockerfileParser } from 'dockerfile-ast';
import { ImageError } from '../../core/errors';
import { imageNameFromPath } from '../../core/naming';
import { normalizePluginOptions, type ImagesPluginOptions } from '../../core/options';
import { pictured, withGraph } from '../../docs/readme-graph';
import { PLUGIN_PACKAGE } from '../../plugin/package-name';
import type { ImageGeneratorOptions } from './options';

const IMAGES = 'images';

function dockerfileOf(tree: Tree, name: string): string | undefined {
  return ['Dockerfile', 'Containerfile'].map((f) => `${IMAGES}/${name}/${f}`).find((f) => tree.exists(f));
}

/** The user an image ends as: its last stage's last USER, else its parent's (followed through the ARG default). */
function finalUser(tree: Tree, name: string, prefix: string, seen = new Set<string>()): string | undefined {
  const file = dockerfileOf(tree, name);
  if (!file || seen.has(name)) return undefined;
  seen.add(name);
  const dockerfile = DockerfileParser.parse(tree.read(file, 'utf8') ?? '');
  const froms = dockerfile.getFROMs();
  const last = froms[froms.length - 1];
  const start = last ? last.getRange().start.line : 0;
  const users = dockerfile.getInstructions().filter((i) => i.getKeyword() === 'USER' && i.getRange().start.line > start);
  if (users.length > 0) return users[users.length - 1].getArgumentsContent() ?? undefined;
  const parentArg = /^\$\{?(\w+)\}?$/.exec(last?.getImageName() ?? '')?.[1];
  const parentDefault = dockerfile
    .getARGs()
    .find((a) => a.getProperty()?.getName() === parentArg)
    ?.getProperty()
    ?.getValue();
  const parent = parentDefault?.startsWith(`${prefix}/`) ? parentDefault.slice(prefix.length + 1) : undefined;
  return parent ? finalUser(tree, parent, prefix, seen) : undefined;
}

const isRoot = (user: string | undefined) => !user || /^(0|root)(:|$)/.test(user);

/**
 * `nx g @ffreis/nx-images:image <name> --parent=<image>`: images/<name>/Dockerfile in the
 * ARG/FROM form the graph reads, an image-test.json skeleton, and the README's graph
 * picture with the new edge. A bad name or an unknown parent writes nothing.
 */
export default function imageGenerator(tree: Tree, options: ImageGeneratorOptions): void {
  const plugin = readNxJson(tree)?.plugins?.find((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_PACKAGE);
  const pluginOptions = normalizePluginOptions(typeof plugin === 'object' ? (plugin.options as ImagesPluginOptions) : undefined);
  const { prefix } = pluginOptions;
  const name = options.name?.trim();
  const dockerfile = `${IMAGES}/${name}/Dockerfile`;
  if (!name || name.includes('/')) {
    throw new ImageError(
      'BAD_IMAGE_NAME',
      `"${options.name}" is not an image name: give one folder name, e.g. \`nx g ${PLUGIN_PACKAGE}:image debug --parent=runner\`.`,
    );
  }
  imageNameFromPath(dockerfile, IMAGES); // throws with docker's naming rule and a suggestion
  if (dockerfileOf(tree, name)) {
    throw new ImageError('BAD_IMAGE_NAME', `${dockerfileOf(tree, name)} already exists: pick another name or edit that file.`);
  }
  const parentFile = options.parent ? dockerfileOf(tree, options.parent) : undefined;
  if (!parentFile) {
    const known = tree
      .children(IMAGES)
      .filter((child) => dockerfileOf(tree, child))
      .sort();
    throw new ImageError(
      'UNKNOWN_PARENT',
      `--parent=${options.parent ?? ''}: the workspace has no image "${options.parent ?? ''}" (${IMAGES}/<parent>/Dockerfile). ` +
        `Images: ${known.join(', ') || 'none'}.`,
    );
  }
  const arg = `${options.parent.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_IMAGE`;
  const user = finalUser(tree, options.parent, prefix);
  const runsAs = isRoot(user) ? undefined : user;
  tree.write(
    dockerfile,
    [
      // The first line is the image's org.opencontainers.image.description label.
      `# ${name}: ${options.parent} and what this image adds to it.`,
      `# The ARG's default names the parent, which is how the graph (and the build order) sees it;`,
      `# the build passes the parent's exact hash tag.`,
      `ARG ${arg}=${prefix}/${options.parent}`,
      `FROM \${${arg}}`,
      ...(runsAs ? ['', `# Built from a non-root image: stay non-root.`, `USER ${runsAs}`] : []),
      '',
    ].join('\n'),
  );
  tree.write(
    `${IMAGES}/${name}/image-test.json`,
    `${JSON.stringify(
      {
        $schema: '../../tools/images/image-test.schema.json',
        ...(runsAs ? { user: runsAs } : {}),
        labels: { 'org.ffreis.image': name },
        commands: [],
        files: [],
      },
      null,
      2,
    )}\n`,
  );
  if (tree.exists('README.md')) {
    const readme = tree.read('README.md', 'utf8') ?? '';
    const edges = pictured(readme);
    if (edges.length > 0) tree.write('README.md', withGraph(readme, [...edges, `${name} --> ${options.parent}`]));
  }
}
