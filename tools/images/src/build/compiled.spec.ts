import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const PACKAGE = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('the compiled plugin (what Nx loads from node_modules/@ffreis/nx-images)', () => {
  it('is no older than any of its sources: rebuild it with `npm run build:plugin` (npm ci does it through prepare)', () => {
    const stale = sources(join(PACKAGE, 'src')).filter((source) => {
      const compiled = join(PACKAGE, 'dist', relative(join(PACKAGE, 'src'), source)).replace(/\.ts$/, '.js');
      return !existsSync(compiled) || statSync(compiled).mtimeMs < statSync(source).mtimeMs;
    });
    expect(stale.map((s) => relative(PACKAGE, s))).toEqual([]);
  });

  it('bundles the build program (what bin/build.sh runs on a miss) from sources no newer than the bundle', () => {
    const bundle = join(PACKAGE, 'dist/build/main.bundle.js');
    expect(existsSync(bundle)).toBe(true);
    const newer = sources(join(PACKAGE, 'src')).filter((source) => statSync(source).mtimeMs > statSync(bundle).mtimeMs);
    expect(newer.map((s) => relative(PACKAGE, s))).toEqual([]);
    expect(readFileSync(join(PACKAGE, 'bin/build.sh'), 'utf8')).toContain('dist/build/main.bundle.js');
  });

  it('is what the package, its executors and the build target point at', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { main: string };
    expect(existsSync(join(PACKAGE, pkg.main))).toBe(true);
    const executors = JSON.parse(readFileSync(join(PACKAGE, 'executors.json'), 'utf8')) as {
      executors: Record<string, { implementation: string }>;
    };
    for (const { implementation } of Object.values(executors.executors)) {
      expect(implementation).toMatch(/^\.\/dist\/.*\.js$/);
      expect(existsSync(join(PACKAGE, implementation))).toBe(true);
    }
    expect(existsSync(join(PACKAGE, 'dist/build/main.bundle.js'))).toBe(true);
    expect(statSync(join(PACKAGE, 'bin/build.sh')).mode & 0o111).not.toBe(0);
  });
});
