import type { CreateDependencies, RawProjectGraphDependency } from '@nx/devkit';
import { staticDependency } from '../nx/runtime';
import { workspacePath } from '../core/inputs';
import { normalizePluginOptions, type ImagesPluginOptions } from '../core/options';
import { imageDockerfileOf, loadImageGraph } from './load-graph';

function projectOwning(path: string, roots: [string, string][], self: string): string | undefined {
  const match = roots
    .filter(([name, root]) => name !== self && root !== '.' && (path === root || path.startsWith(`${root}/`)))
    .sort((a, b) => b[1].length - a[1].length)[0];
  return match?.[0];
}

/**
 * Edges from each image to its parents (named by ARG defaults in its Dockerfile)
 * and to every workspace project whose files its COPY/ADD instructions send.
 */
export const createDependencies: CreateDependencies<ImagesPluginOptions> = (rawOptions, context) => {
  const options = normalizePluginOptions(rawOptions);
  const dockerfiles = Object.values(context.projects)
    .map((p) => imageDockerfileOf(p))
    .filter((d): d is string => Boolean(d));
  if (dockerfiles.length === 0) return [];
  const graph = loadImageGraph(context.workspaceRoot, dockerfiles, options.prefix);
  const roots = Object.entries(context.projects).map(([key, p]) => [p.name ?? key, p.root] as [string, string]);
  const edges: RawProjectGraphDependency[] = [];
  for (const node of graph.nodes.values()) {
    const add = (target: string) => {
      if (!edges.some((e) => e.source === node.name && e.target === target)) {
        edges.push({ source: node.name, target, sourceFile: node.dockerfile, type: staticDependency() });
      }
    };
    node.parents.forEach((parent) => add(parent.name));
    for (const read of node.reads.context) {
      const owner = projectOwning(workspacePath(options.context, read.path), roots, node.name);
      if (owner) add(owner);
    }
  }
  return edges;
};
