import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createImageInputs, shapeEnv } from '../core/inputs';
import { normalizePluginOptions, type ImagesPluginOptions } from '../core/options';
import { loadImageGraph, readInputSettings } from './load-graph';
import { servesOneRun } from '../nx/runtime';

/**
 * The shapes createNodes computed in this process (each image's modes and folders, see
 * core/inputs.ts). In a process that serves one run they are this run's: the hook takes them
 * and walks nothing again.
 */
let remembered: { workspaceRoot: string; shapes: Map<string, string> } | undefined;

/** Called by createNodes with the map it fills as it creates each image's targets. */
export function rememberShapes(workspaceRoot: string, shapes: Map<string, string>): void {
  remembered = { workspaceRoot, shapes };
}

/** Every Dockerfile (or Containerfile) under images/, as createNodes' glob finds them. */
function findDockerfiles(workspaceRoot: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(join(workspaceRoot, 'images'), { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return entries
    .filter((path) => /(^|\/)(Dockerfile|Containerfile)$/.test(path))
    .map((path) => `images/${path.split('\\').join('/')}`)
    .sort();
}

/**
 * Each image's shape as the workspace stands now. A process that serves one run (Nx without
 * its daemon) reuses what createNodes computed moments ago; the daemon keeps its graph across
 * runs and never recomputes it for a mode change (no file's content changed), so there the
 * context is walked again: a few milliseconds.
 */
export function currentShapes(workspaceRoot: string, rawOptions: ImagesPluginOptions | undefined): Map<string, string> {
  if (servesOneRun() && remembered?.workspaceRoot === workspaceRoot && remembered.shapes.size > 0) return remembered.shapes;
  const options = normalizePluginOptions(rawOptions);
  const graph = loadImageGraph(workspaceRoot, findDockerfiles(workspaceRoot), options.prefix);
  const settingsFor = readInputSettings(workspaceRoot, options);
  const shapes = new Map<string, string>();
  for (const node of graph.nodes.values()) shapes.set(node.name, createImageInputs(graph, node.name, settingsFor(node.dockerfile)).shape);
  return shapes;
}

/**
 * Sets each image's shape variable for this run (the pre-tasks hook calls it): Nx hashes the
 * run's value into the image's build, with or without its daemon. When the workspace cannot be
 * read, it sets nothing: createNodes has already failed the images it could not take.
 * Returns the images' names.
 */
export function exportShapes(workspaceRoot: string, rawOptions: ImagesPluginOptions | undefined, env: NodeJS.ProcessEnv): string[] {
  let shapes: Map<string, string>;
  try {
    shapes = currentShapes(workspaceRoot, rawOptions);
  } catch {
    return [];
  }
  for (const [name, shape] of shapes) env[shapeEnv(name)] = shape;
  return [...shapes.keys()];
}
