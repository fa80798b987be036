/** The README's picture of the image graph: a mermaid block, one "child --> parent" line per edge. */
const BLOCK = /```mermaid\n[\s\S]*?```/;

export function mermaidGraph(edges: string[]): string {
  return ['```mermaid', 'graph LR', ...[...new Set(edges)].sort().map((e) => `  ${e}`), '```'].join('\n');
}

/** The edges the README pictures now. */
export function pictured(readme: string): string[] {
  const block = BLOCK.exec(readme)?.[0] ?? '';
  return block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.includes('-->'));
}

/** The README with its picture replaced; unchanged when it has none. */
export function withGraph(readme: string, edges: string[]): string {
  return BLOCK.test(readme) ? readme.replace(BLOCK, mermaidGraph(edges)) : readme;
}
