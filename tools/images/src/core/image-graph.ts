import { DIGEST_KEYS } from './digests';
import { copyOnlyPaths, type DockerfileInfo, type ImageReference, type Reads } from './dockerfile';
import { ImageError } from './errors';
import { splitImageRef, workspaceImageName } from './naming';

/** One Dockerfile found in the workspace, parsed. */
export interface DockerfileEntry {
  /** Image (and Nx project) name: its folder's path under the images folder, joined by `-`. */
  name: string;
  /** Workspace-relative path of the Dockerfile (or Containerfile). */
  dockerfile: string;
  info: DockerfileInfo;
}

/** A parent image, named through a global build ARG the executor overrides with the exact hash tag. */
export interface ParentLink {
  name: string;
  arg: string;
  line: number;
  /**
   * Set when the child only copies these paths out of the parent (empty stages FROM it,
   * `COPY --from`), and the parent installs no ONBUILD trigger: the child then depends on
   * the parent only through the content of these paths.
   */
  copies?: string[];
}

/** An image of the workspace with its resolved edges. */
export interface ImageNode {
  name: string;
  dockerfile: string;
  parents: ParentLink[];
  /** Images from outside the workspace (the pinned upstream, for base); `scratch` is none. */
  externalReferences: ImageReference[];
  /** True when the image builds FROM the pin of the digests file (`${BASE_IMAGE}@${BASE_DIGEST}`). */
  usesPin: boolean;
  /** What its own build reads. */
  reads: Reads;
  /** What the ONBUILD triggers it installs read in a child's build. */
  onbuild: Reads;
  /** Global ARG names the Dockerfile declares. */
  args: string[];
  /** Paths children only copy out of this image (see {@link ParentLink.copies}), sorted. */
  exports: string[];
}

export interface ImageGraph {
  nodes: Map<string, ImageNode>;
  /**
   * Images whose Dockerfile the graph cannot take (an unknown parent, a workspace image
   * named in a form the build cannot pin, a cycle): each fails its own targets with the
   * error, and every other image keeps working.
   */
  broken: Map<string, { dockerfile: string; error: ImageError }>;
}

/**
 * True when an image builds FROM the pin: a reference uses BASE_DIGEST, or uses a
 * BASE_IMAGE ARG declared with no default of its own. A Dockerfile whose
 * `ARG BASE_IMAGE=debian:bookworm-slim` names its own upstream keeps it.
 */
export function usesDigestPin(info: DockerfileInfo): boolean {
  const ownDefault = new Set(info.globalArgs.filter((a) => a.defaultValue !== undefined).map((a) => a.name));
  return info.imageReferences.some((ref) =>
    ref.args.some((arg) => (DIGEST_KEYS as readonly string[]).includes(arg) && (arg === 'BASE_DIGEST' || !ownDefault.has(arg))),
  );
}

/** The global ARGs that name a workspace image (`ARG BASE_IMAGE=<prefix>/base`): the executor passes their values. */
export function parentArgNames(info: DockerfileInfo, prefix: string): string[] {
  return info.globalArgs.filter((a) => a.defaultValue && workspaceImageName(a.defaultValue, prefix)).map((a) => a.name);
}

/**
 * The workspace image a reference mentions, in any form: `<prefix>/<name>` with a tag,
 * a digest or a registry (known or a variable) in front. `text` has unknown variables
 * replaced by a placeholder.
 */
function mentionedImage(text: string, prefix: string, known: Set<string>): string | undefined {
  const { repository } = splitImageRef(text);
  for (const name of known) {
    const path = `${prefix}/${name}`;
    if (repository === path || repository.endsWith(`/${path}`)) return name;
  }
  return undefined;
}

const PLACEHOLDER = '\u0000';

function shapeOf(text: string, defaults: ReadonlyMap<string, string | undefined>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a: string | undefined, b: string | undefined) => defaults.get((a ?? b) as string) ?? PLACEHOLDER,
  );
}

function argName(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_IMAGE`;
}

function unsupportedForm(entry: DockerfileEntry, line: number, what: string, name: string, prefix: string): ImageError {
  return new ImageError(
    'DOCKERFILE_INVALID',
    `${entry.dockerfile}:${line}: ${what} names the workspace image "${prefix}/${name}" in a form the build cannot pin to its hash, ` +
      'so it could use a stale tag or pull an old copy.\n' +
      `Declare \`ARG ${argName(name)}=${prefix}/${name}\` before the first FROM and use \${${argName(name)}} instead: ` +
      'the build then passes the exact tag of this run.',
  );
}

/** ARGs the build passes itself: the digests file's pin, and BuildKit's and Buildah's platform ARGs. */
const PROVIDED_ARGS = new Set([
  ...DIGEST_KEYS,
  ...['TARGET', 'BUILD'].flatMap((side) => ['PLATFORM', 'OS', 'ARCH', 'VARIANT'].map((part) => `${side}${part}`)),
]);

/**
 * A workspace image copied from (or mounted) by name: docker 20.10's frontend cannot parse
 * `--from=${ARG}`, and a literal name could be a stale tag. A stage works on every engine.
 */
function stageFormNeeded(entry: DockerfileEntry, ref: ImageReference, name: string, prefix: string): ImageError {
  const arg = argName(name);
  const copy = ref.instruction === 'COPY --from';
  const flag = copy ? 'COPY --from' : 'RUN --mount from';
  const use = copy ? `COPY --from=${name}` : `RUN --mount=type=bind,from=${name},…`;
  return new ImageError(
    'DOCKERFILE_INVALID',
    `${entry.dockerfile}:${ref.line}: ${flag}=${ref.raw} names the workspace image "${name}" in a form the engines cannot all ` +
      'read (docker 20.10 cannot parse an ARG there) or pin to its hash.\n' +
      `Declare \`ARG ${arg}=${prefix}/${name}\` before the first FROM, add a stage \`FROM \${${arg}} AS ${name}\`, and use ` +
      `\`${use}\` (as images/runner/Dockerfile does).`,
  );
}

function resolveParents(entry: DockerfileEntry, prefix: string, known: Set<string>): ParentLink[] {
  const parents: ParentLink[] = [];
  const defaults = new Map(entry.info.globalArgs.map((a) => [a.name, a.defaultValue]));
  for (const arg of entry.info.globalArgs) {
    if (!arg.defaultValue) continue;
    const name = workspaceImageName(arg.defaultValue, prefix);
    if (!name) {
      const mentioned = mentionedImage(shapeOf(arg.defaultValue, defaults), prefix, known);
      if (mentioned) throw unsupportedForm(entry, arg.line, `ARG ${arg.name}=${arg.defaultValue}`, mentioned, prefix);
      continue;
    }
    if (!known.has(name)) {
      throw new ImageError(
        'UNKNOWN_PARENT',
        `${entry.dockerfile}:${arg.line}: image "${entry.name}" names parent "${arg.defaultValue}" (ARG ${arg.name}), ` +
          `but the workspace has no image "${name}" (known: ${[...known].sort().join(', ')}).\n` +
          `Create images/${name}/Dockerfile, or fix the ARG default to name one of the known images.`,
      );
    }
    parents.push({ name, arg: arg.name, line: arg.line });
  }
  const parentArgs = new Set(parents.map((p) => p.arg));
  for (const ref of entry.info.imageReferences) {
    const single = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(ref.raw)?.[1];
    if (single && parentArgs.has(single)) {
      if (ref.instruction !== 'FROM') throw stageFormNeeded(entry, ref, (parents.find((p) => p.arg === single) as ParentLink).name, prefix);
      continue;
    }
    const mentioned = mentionedImage(shapeOf(ref.raw, defaults), prefix, known);
    if (!mentioned) {
      const blank = ref.resolved === undefined ? ref.args.find((a) => !defaults.get(a) && !PROVIDED_ARGS.has(a)) : undefined;
      if (blank && !ref.args.some((a) => parentArgs.has(a))) {
        throw new ImageError(
          'DOCKERFILE_INVALID',
          `${entry.dockerfile}:${ref.line}: ${ref.instruction} ${ref.raw} uses ARG ${blank}, which has no default and which the build ` +
            'does not pass, so the engine would get a blank image name.\n' +
            `Give it a default pinned by digest (\`ARG ${blank}=debian:bookworm-slim@sha256:…\`), or build from the digests file's ` +
            'pin (`ARG BASE_IMAGE` and `ARG BASE_DIGEST`, then `FROM ${BASE_IMAGE}@${BASE_DIGEST}`).',
        );
      }
      continue;
    }
    if (ref.args.length === 0 && workspaceImageName(ref.raw, prefix) && ref.instruction !== 'FROM')
      throw stageFormNeeded(entry, ref, mentioned, prefix);
    if (ref.args.length === 0 && workspaceImageName(ref.raw, prefix)) {
      throw new ImageError(
        'DOCKERFILE_INVALID',
        `${entry.dockerfile}:${ref.line}: ${ref.instruction} names the workspace image "${ref.raw}" directly, ` +
          'so the build could use a stale tag.\n' +
          `Declare \`ARG ${argName(mentioned)}=${ref.raw}\` before the first FROM and use \${${argName(mentioned)}} instead.`,
      );
    }
    throw unsupportedForm(entry, ref.line, `${ref.instruction} ${ref.raw}`, mentioned, prefix);
  }
  return parents;
}

/** References that name no workspace image (directly or through a parent ARG), `scratch` aside. */
function externalReferences(entry: DockerfileEntry, parentArgs: Set<string>): ImageReference[] {
  return entry.info.imageReferences.filter((ref) => !ref.args.some((a) => parentArgs.has(a)) && ref.resolved?.toLowerCase() !== 'scratch');
}

function findCycle(nodes: Map<string, ImageNode>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const parent of nodes.get(name)?.parents ?? []) {
      const cycle = visit(parent.name);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of [...nodes.keys()].sort()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * Resolves the image graph from parsed Dockerfiles: each image's parents (global
 * ARGs whose default names a workspace image `<prefix>/<name>`), its external
 * references, whether it builds from the pin, and what it reads. An unknown parent,
 * a workspace image named in a form the build cannot pin (no ARG, a digest, a registry
 * in front) and a cycle (naming both ends) put the images concerned in `broken`.
 */
export function resolveImageGraph(entries: DockerfileEntry[], prefix: string): ImageGraph {
  const known = new Set(entries.map((e) => e.name));
  const nodes = new Map<string, ImageNode>();
  const broken: ImageGraph['broken'] = new Map();
  for (const entry of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    let parents: ParentLink[];
    try {
      parents = resolveParents(entry, prefix, known);
    } catch (error) {
      broken.set(entry.name, { dockerfile: entry.dockerfile, error: error as ImageError });
      continue;
    }
    nodes.set(entry.name, {
      name: entry.name,
      dockerfile: entry.dockerfile,
      parents,
      externalReferences: externalReferences(entry, new Set(parents.map((p) => p.arg))),
      usesPin: usesDigestPin(entry.info),
      reads: entry.info.reads,
      onbuild: entry.info.onbuild,
      args: entry.info.globalArgs.map((a) => a.name),
      exports: [],
    });
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  for (const node of nodes.values()) {
    const entry = byName.get(node.name) as DockerfileEntry;
    for (const link of node.parents) {
      const paths = copyOnlyPaths(entry.info, link.arg);
      const parent = byName.get(link.name);
      if (!paths || !parent || parent.info.onbuildCount > 0) continue;
      link.copies = paths;
      const target = nodes.get(link.name);
      if (target) target.exports = [...new Set([...target.exports, ...paths])].sort();
    }
  }
  for (let cycle = findCycle(nodes); cycle; cycle = findCycle(nodes)) {
    const [from, to] = cycle;
    const links = cycle.slice(0, -1).map((name, i) => {
      const node = nodes.get(name) as ImageNode;
      const parent = node.parents.find((p) => p.name === cycle[i + 1]) as ParentLink;
      return `${node.dockerfile}:${parent.line} (${name} is built from ${parent.name})`;
    });
    const error = new ImageError(
      'CYCLE',
      `Image cycle from "${from}" to "${to}": ${cycle.join(' → ')}.\n  ${links.join('\n  ')}\n` +
        'An image cannot be built from itself or from its own descendant; change one of these ARG defaults.',
    );
    for (const name of new Set(cycle)) {
      broken.set(name, { dockerfile: (nodes.get(name) as ImageNode).dockerfile, error });
      nodes.delete(name);
    }
  }
  return { nodes, broken };
}

/**
 * Every ancestor of an image (parents, their parents, …), nearest first, without
 * duplicates. With `fullOnly`, only through parents the image builds on, not those it
 * only copies from.
 */
export function ancestorsOf(graph: ImageGraph, name: string, fullOnly = false): string[] {
  const result: string[] = [];
  const parentsOf = (n: string) => (graph.nodes.get(n)?.parents ?? []).filter((p) => !fullOnly || !p.copies).map((p) => p.name);
  const queue = parentsOf(name);
  while (queue.length > 0) {
    const next = queue.shift() as string;
    if (result.includes(next)) continue;
    result.push(next);
    queue.push(...parentsOf(next));
  }
  return result;
}
