import { describe, expect, it } from 'vitest';
import { mermaidGraph, pictured, withGraph } from './readme-graph';

const README = '# x\n\n```mermaid\ngraph LR\n  b --> a\n```\n\ntext\n';

describe('the README graph picture', () => {
  it('reads the edges pictured', () => {
    expect(pictured(README)).toEqual(['b --> a']);
  });

  it('writes edges sorted and once each, leaving the rest of the file alone', () => {
    expect(withGraph(README, ['c --> b', 'b --> a', 'c --> b'])).toBe('# x\n\n```mermaid\ngraph LR\n  b --> a\n  c --> b\n```\n\ntext\n');
  });

  it('leaves a README without a picture unchanged', () => {
    expect(withGraph('# x\n', ['b --> a'])).toBe('# x\n');
    expect(mermaidGraph([])).toBe('```mermaid\ngraph LR\n```');
  });
});
