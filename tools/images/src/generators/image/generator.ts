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

/** `<image>@sha256:<digest>`, the only upstream form a root takes: a tag alone can move under the tag's name. */
const PINNED = /^(?<image>[^\s@]+)@(?<digest>sha256:[0-9a-f]{64})$/;
/** Docker's limit on a repository's full name. */
const MAX_REPOSITORY = 255;

function badName(message: string): never {
  throw new ImageError('BAD_IMAGE_NAME', message);
}

/** The project name of images/<folders>/Dockerfile, or an error that says what to type instead. */
function checkedName(raw: string | undefined, prefix: string): { folders: string; project: string } {
  const name = raw?.trim().replace(/^\/+|\/+$/g, '');
  const example = `\`nx g ${PLUGIN_PACKAGE}:image debug --parent=runner\``;
  if (!name) badName(`give the new image a name, e.g. ${example}.`);
  let project: string;
  try {
    project = imageNameFromPath(`${IMAGES}/${name}/Dockerfile`, IMAGES);
  } catch (error) {
    const folder = /the folder "([^"]*)"/.exec((error as Error).message)?.[1] ?? name;
    const suggestion = /e\.g\. "([^"]*)"/.exec((error as Error).message)?.[1] ?? 'image';
    badName(
      `"${name}" cannot name an image: docker takes lowercase ASCII letters and digits, separated by single ".", "_" or "-", ` +
        `and "/" for a nested folder ("${folder}" breaks the rule). Give e.g. "${name.replace(folder, suggestion)}". Nothing was written.`,
    );
  }
  if (`${prefix}/${project}`.length > MAX_REPOSITORY) {
    badName(
      `"${name}" makes the repository ${prefix}/${project}, ${prefix.length + 1 + project.length} characters; docker takes at most ` +
        `${MAX_REPOSITORY}. Give a shorter name. Nothing was written.`,
    );
  }
  return { folders: name, project };
}

/**
 * `nx g @ffreis/nx-images:image <name> --parent=<image>` adds a child: images/<name>/Dockerfile in
 * the ARG/FROM form the graph reads. `--from=<image>@sha256:<digest>` adds a root built from an
 * upstream pinned by digest: through the plugin's digests file when the workspace has none yet
 * (so `update-digest` moves it), else in the Dockerfile itself. Both get an image-test.json
 * skeleton; a child, its edge in the README's graph picture. A bad name, an unknown parent or an
 * unpinned upstream writes nothing. A name may hold folders (`team/api` → project team-api).
 */
export default function imageGenerator(tree: Tree, options: ImageGeneratorOptions): void {
  const plugin = readNxJson(tree)?.plugins?.find((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN_PACKAGE);
  const pluginOptions = normalizePluginOptions(typeof plugin === 'object' ? (plugin.options as ImagesPluginOptions) : undefined);
  const { prefix } = pluginOptions;
  if (options._?.length) {
    badName(
      `"${[options.name, ...options._].join(' ')}" is more than one word: Nx took "${options.name}" as the name and ` +
        `${options._.map((w) => `"${w}"`).join(', ')} as extra arguments. An image name has no spaces: give e.g. ` +
        `"${[options.name, ...options._].join('-').toLowerCase()}". Nothing was written.`,
    );
  }
  const { folders, project } = checkedName(options.name, prefix);
  const dockerfile = `${IMAGES}/${folders}/Dockerfile`;
  if (dockerfileOf(tree, folders)) {
    badName(`${dockerfileOf(tree, folders)} already exists: pick another name or edit that file.`);
  }
  if (options.parent && options.from) {
    throw new ImageError('BAD_OPTION', `give --parent (a child of a workspace image) or --from (a root on a pinned upstream), not both.`);
  }
  if (!options.parent && !options.from) {
    throw new ImageError(
      'BAD_OPTION',
      `say what ${project} is built FROM: --parent=<image> for a child of a workspace image, or ` +
        `--from=<image>@sha256:<digest> for a root on a pinned upstream. Nothing was written.`,
    );
  }
  const lines = options.from
    ? rootLines(tree, project, options.from, pluginOptions.digestsFile)
    : childLines(tree, project, options.parent, prefix);
  tree.write(dockerfile, [...lines.dockerfile, ''].join('\n'));
  const depth = `${IMAGES}/${folders}`.split('/').length;
  tree.write(
    `${IMAGES}/${folders}/image-test.json`,
    `${JSON.stringify(
      {
        $schema: `${'../'.repeat(depth)}node_modules/${PLUGIN_PACKAGE}/image-test.schema.json`,
        ...(lines.user ? { user: lines.user } : {}),
        labels: { 'org.ffreis.image': project },
        commands: [],
        files: [],
      },
      null,
      2,
    )}\n`,
  );
  if (lines.parent && tree.exists('README.md')) {
    const readme = tree.read('README.md', 'utf8') ?? '';
    const edges = pictured(readme);
    if (edges.length > 0) tree.write('README.md', withGraph(readme, [...edges, `${project} --> ${lines.parent}`]));
  }
}

interface ImageLines {
  dockerfile: string[];
  user?: string;
  parent?: string;
}

function childLines(tree: Tree, project: string, parentName: string | undefined, prefix: string): ImageLines {
  const parentFolders = parentName?.trim().replace(/^\/+|\/+$/g, '') ?? '';
  const parentFile = parentFolders ? (dockerfileOf(tree, parentFolders) ?? dockerfileByProject(tree, parentFolders)) : undefined;
  if (!parentFile) {
    throw new ImageError(
      'UNKNOWN_PARENT',
      `--parent=${parentName ?? ''}: the workspace has no image "${parentName ?? ''}" (${IMAGES}/<parent>/Dockerfile). ` +
        `Images: ${imageProjects(tree).sort().join(', ') || 'none'}. Nothing was written.`,
    );
  }
  const parent = imageNameFromPath(parentFile, IMAGES);
  const arg = `${parent.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_IMAGE`;
  const user = finalUser(tree, parentFile.split('/').slice(1, -1).join('/'), prefix);
  const runsAs = isRoot(user) ? undefined : user;
  return {
    parent,
    user: runsAs,
    dockerfile: [
      // The first line is the image's org.opencontainers.image.description label.
      `# ${project}: ${parent} and what this image adds to it.`,
      `# The ARG's default names the parent, which is how the graph (and the build order) sees it;`,
      `# the build passes the parent's exact hash tag.`,
      `ARG ${arg}=${prefix}/${parent}`,
      `FROM \${${arg}}`,
      ...(runsAs ? ['', `# Built from a non-root image: stay non-root.`, `USER ${runsAs}`] : []),
    ],
  };
}

function rootLines(tree: Tree, project: string, from: string, digestsFile: string): ImageLines {
  const pinned = PINNED.exec(from.trim())?.groups;
  if (!pinned) {
    throw new ImageError(
      'BAD_OPTION',
      `--from=${from}: a root is built from an upstream pinned by digest, <image>@sha256:<64 hex digits> (e.g. ` +
        `debian:bookworm@sha256:…); \`docker buildx imagetools inspect <image>\` or \`skopeo inspect docker://<image>\` prints it. ` +
        `Nothing was written.`,
    );
  }
  const header = `# ${project}: ${pinned.image}, pinned by digest, and what this image adds to it.`;
  if (tree.exists(digestsFile)) {
    // The digests file pins another root already: this one carries its own pin.
    return { dockerfile: [header, `FROM ${pinned.image}@${pinned.digest}`] };
  }
  tree.write(
    digestsFile,
    [
      `# The upstream ${project} is built from, pinned by digest (\`nx run ${project}:update-digest\` moves it).`,
      `# BASE_IMAGE / BASE_DIGEST in the environment override these lines (private mirrors).`,
      `BASE_IMAGE=${pinned.image}`,
      `BASE_DIGEST=${pinned.digest}`,
      '',
    ].join('\n'),
  );
  return {
    dockerfile: [
      header,
      `# The build passes BASE_IMAGE and BASE_DIGEST from ${digestsFile}.`,
      'ARG BASE_IMAGE',
      'ARG BASE_DIGEST',
      'FROM ${BASE_IMAGE}@${BASE_DIGEST}',
    ],
  };
}

/** images/<folders>/Dockerfile of every image, by folder path. */
function imageFolders(tree: Tree, dir = IMAGES): string[] {
  if (!tree.exists(dir) || tree.isFile(dir)) return [];
  return tree.children(dir).flatMap((child) => {
    const path = `${dir}/${child}`;
    if (tree.isFile(path)) return [];
    const own = ['Dockerfile', 'Containerfile'].some((f) => tree.exists(`${path}/${f}`)) ? [path.slice(IMAGES.length + 1)] : [];
    return [...own, ...imageFolders(tree, path)];
  });
}

function imageProjects(tree: Tree): string[] {
  return imageFolders(tree).map((folders) => imageNameFromPath(`${IMAGES}/${folders}/Dockerfile`, IMAGES));
}

/** A parent given by its project name (`team-api` for images/team/api). */
function dockerfileByProject(tree: Tree, project: string): string | undefined {
  const folders = imageFolders(tree).find((f) => imageNameFromPath(`${IMAGES}/${f}/Dockerfile`, IMAGES) === project);
  return folders ? dockerfileOf(tree, folders) : undefined;
}
