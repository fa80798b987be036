import type { ContextSource, DockerfileInfo, ImageReference } from './dockerfile';
import { ImageError } from './errors';
import { workspaceImageName } from './naming';

/** One Dockerfile found in the workspace, parsed. */
export interface DockerfileEntry {
  /** Image (and Nx project) name: the Dockerfile's folder name. */
  name: string;
  /** Workspace-relative path of the Dockerfile. */
  dockerfile: string;
  info: DockerfileInfo;
}

/** A parent image, named through a global build ARG the executor overrides with the exact hash tag. */
export interface ParentLink {
  name: string;
  arg: string;
  line: number;
}

/** An image of the workspace with its resolved edges. */
export interface ImageNode {
  name: string;
  dockerfile: string;
  parents: ParentLink[];
  /** Images from outside the workspace (the pinned upstream, for base). */
  externalReferences: ImageReference[];
  contextSources: ContextSource[];
  /** Global ARG names the Dockerfile declares. */
  args: string[];
}

export interface ImageGraph {
  nodes: Map<string, ImageNode>;
  /** Names in build order: every parent before its children. */
  order: string[];
}

function resolveParents(entry: DockerfileEntry, prefix: string, known: Set<string>): ParentLink[] {
  const parents: ParentLink[] = [];
  for (const arg of entry.info.globalArgs) {
    const name = arg.defaultValue ? workspaceImageName(arg.defaultValue, prefix) : undefined;
    if (!name) continue;
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
  for (const ref of entry.info.imageReferences) {
    const name = ref.resolved ? workspaceImageName(ref.resolved, prefix) : undefined;
    if (name && ref.args.length === 0) {
      throw new ImageError(
        'DOCKERFILE_INVALID',
        `${entry.dockerfile}:${ref.line}: ${ref.instruction} names the workspace image "${ref.raw}" directly, ` +
          'so the build could use a stale tag.\n' +
          `Declare \`ARG ${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_IMAGE=${ref.raw}\` before the first FROM and use \${${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_IMAGE} instead.`,
      );
    }
  }
  return parents;
}

/** References that name no workspace image, directly or through a parent ARG. */
function externalReferences(entry: DockerfileEntry, prefix: string): ImageReference[] {
  const parentArgs = new Set(
    entry.info.globalArgs.filter((a) => a.defaultValue && workspaceImageName(a.defaultValue, prefix)).map((a) => a.name),
  );
  return entry.info.imageReferences.filter(
    (ref) => !(ref.resolved && workspaceImageName(ref.resolved, prefix)) && !ref.args.some((a) => parentArgs.has(a)),
  );
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
 * references and its build-context sources. Throws on an unknown parent, on a
 * workspace image named without an ARG, and on a cycle (naming both ends).
 */
export function resolveImageGraph(entries: DockerfileEntry[], prefix: string): ImageGraph {
  const known = new Set(entries.map((e) => e.name));
  const nodes = new Map<string, ImageNode>();
  for (const entry of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    nodes.set(entry.name, {
      name: entry.name,
      dockerfile: entry.dockerfile,
      parents: resolveParents(entry, prefix, known),
      externalReferences: externalReferences(entry, prefix),
      contextSources: entry.info.contextSources,
      args: entry.info.globalArgs.map((a) => a.name),
    });
  }
  const cycle = findCycle(nodes);
  if (cycle) {
    const [from, to] = cycle;
    const links = cycle.slice(0, -1).map((name, i) => {
      const node = nodes.get(name) as ImageNode;
      const parent = node.parents.find((p) => p.name === cycle[i + 1]) as ParentLink;
      return `${node.dockerfile}:${parent.line} (${name} is built from ${parent.name})`;
    });
    throw new ImageError(
      'CYCLE',
      `Image cycle from "${from}" to "${to}": ${cycle.join(' → ')}.\n  ${links.join('\n  ')}\n` +
        'An image cannot be built from itself or from its own descendant; change one of these ARG defaults.',
    );
  }
  return { nodes, order: buildOrder(nodes) };
}

function buildOrder(nodes: Map<string, ImageNode>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const parent of nodes.get(name)?.parents ?? []) visit(parent.name);
    order.push(name);
  };
  [...nodes.keys()].sort().forEach(visit);
  return order;
}

/** Every ancestor of an image (parents, their parents, …), nearest first, without duplicates. */
export function ancestorsOf(graph: ImageGraph, name: string): string[] {
  const result: string[] = [];
  const queue = [...(graph.nodes.get(name)?.parents ?? []).map((p) => p.name)];
  while (queue.length > 0) {
    const next = queue.shift() as string;
    if (result.includes(next)) continue;
    result.push(next);
    queue.push(...(graph.nodes.get(next)?.parents ?? []).map((p) => p.name));
  }
  return result;
}
