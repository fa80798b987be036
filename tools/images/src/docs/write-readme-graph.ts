/**
 * `npx nx run nx-images:readme-graph`: writes the README's picture of the image graph from
 * the graph Nx infers (every edge between workspace projects, as `nx graph` shows them).
 */
import { createProjectGraphAsync } from '@nx/devkit';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mermaidGraph, withGraph } from './readme-graph';

async function main(): Promise<void> {
  const root = process.cwd();
  const graph = await createProjectGraphAsync({ exitOnError: true });
  const edges = Object.entries(graph.dependencies).flatMap(([source, deps]) =>
    deps.filter((d) => graph.nodes[d.target]).map((d) => `${source} --> ${d.target}`),
  );
  const file = join(root, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const next = withGraph(readme, edges);
  if (next === readme && !readme.includes(mermaidGraph(edges))) {
    throw new Error('README.md has no ```mermaid block to write the graph into; add one under "## The image graph".');
  }
  writeFileSync(file, next);
  console.log(`README.md: ${edges.length} edges pictured${next === readme ? ' (unchanged)' : ''}`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
