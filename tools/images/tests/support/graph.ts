import { expect } from 'vitest';
import type { TestWorkspace } from './workspace';

export interface GraphJson {
  graph: { nodes: Record<string, unknown>; dependencies: Record<string, { target: string }[]> };
}

/** Every edge between workspace projects, as `nx graph --file` writes them, sorted. */
export async function graphEdges(ws: TestWorkspace): Promise<string[]> {
  const result = await ws.nx(['graph', '--file=graph.json']);
  expect(result.exitCode, result.output).toBe(0);
  const json = JSON.parse(ws.read('graph.json')) as GraphJson;
  return Object.entries(json.graph.dependencies)
    .flatMap(([source, deps]) => deps.map((d) => `${source} --> ${d.target}`))
    .sort();
}
