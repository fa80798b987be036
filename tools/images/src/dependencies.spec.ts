import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..');
const PACKAGE = join(__dirname, '..');
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const plugin = json(join(PACKAGE, 'package.json'));
const workspace = json(join(ROOT, 'package.json'));

/** The package a module specifier names (`@scope/name/sub` → `@scope/name`), or undefined for a relative or built-in one. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function importsOf(files: string[]): Set<string> {
  const found = new Set<string>();
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const [, specifier] of text.matchAll(
      /(?:^\s*(?:import|export)\b[^'"\n]*?from\s+|import\(|require\(|require\.resolve\()['"]([^'"$\s]+)['"]/gm,
    )) {
      const name = packageOf(specifier);
      if (name) found.add(name);
    }
  }
  return found;
}

const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
const code = tracked.filter((f) => /\.(ts|mts|cjs|mjs|js)$/.test(f));
// The plugin's modules, without its tests and the maintainers' writers (src/docs/write-*.ts, left out of the package).
const pluginRuntime = code.filter(
  (f) => f.startsWith('tools/images/src/') && !f.endsWith('.spec.ts') && !f.includes('/testing/') && !/\/docs\/write-/.test(f),
);

/** The commands a package puts on PATH (`tsc` for typescript). */
function binsOf(name: string): string[] {
  try {
    const bin = json(join(ROOT, 'node_modules', name, 'package.json')).bin;
    return typeof bin === 'string' ? [name.split('/').pop() as string] : Object.keys(bin ?? {});
  } catch {
    return [];
  }
}

/**
 * Workspace dependencies no file imports, and why each is there. Every other one must be
 * imported by some file or named by an npm script.
 */
const INDIRECT: Record<string, string> = {
  '@nx/js': 'the Nx JavaScript support of the workspace’s stack (nx, @nx/js, execa, vitest)',
  '@swc/core': 'the compiler @swc-node/register loads (npm run bench, view-prefetch.spec)',
  '@types/node': 'Node’s types for tsc',
  '@types/proper-lockfile': 'proper-lockfile’s types for tsc',
  'ajv-formats': 'the format checks the CycloneDX library’s JSON validator loads (core/sbom.spec.ts)',
  'ajv-formats-draft2019': 'the same validator’s draft-2019 formats',
};

describe('the plugin package declares what it loads, and loads what it declares', () => {
  const loaded = importsOf(pluginRuntime);
  const declared = new Set([...Object.keys(plugin.dependencies ?? {}), ...Object.keys(plugin.peerDependencies ?? {})]);

  it('every package a plugin module loads is a dependency or a peer', () => {
    expect([...loaded].filter((p) => !declared.has(p)).sort()).toEqual([]);
  });

  it('every dependency and peer is loaded by a plugin module', () => {
    expect([...declared].filter((p) => !loaded.has(p)).sort()).toEqual([]);
  });

  it('takes nx and @nx/devkit as peers covering 23.3 up to 24', () => {
    expect(plugin.peerDependencies).toEqual({ '@nx/devkit': '>=23.3.0 <25', nx: '>=23.3.0 <25' });
  });
});

describe('the workspace declares nothing it never uses', () => {
  it('each devDependency is imported, run by a script, or listed with its reason', () => {
    const used = importsOf(code);
    const scripts = Object.values(workspace.scripts as Record<string, string>).join('\n');
    const named = (word: string) => new RegExp(`(^|[\\s/])${word.replace(/[/.]/g, '\\$&')}([\\s/]|$)`, 'm').test(scripts);
    const unused = Object.keys(workspace.devDependencies).filter(
      (p) => !used.has(p) && !named(p) && !binsOf(p).some(named) && !(p in INDIRECT),
    );
    expect(unused).toEqual([]);
  });

  it('lists no reason for a package that is not declared', () => {
    for (const name of Object.keys(INDIRECT)) expect(Object.keys(workspace.devDependencies)).toContain(name);
  });
});
