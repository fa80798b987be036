import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentDigest, firstFileOf } from './tar-digest';

function tarOf(files: Record<string, string>, mtime: number, format = 'pax'): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tar-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, 'app', name, '..'), { recursive: true });
    writeFileSync(join(dir, 'app', name), content);
    utimesSync(join(dir, 'app', name), mtime, mtime);
  }
  utimesSync(join(dir, 'app'), mtime, mtime);
  return execFileSync('tar', ['--sort=name', `--format=${format}`, '--owner=0', '--group=0', '-C', dir, '-cf', '-', 'app']);
}

describe('contentDigest', () => {
  it.each(['pax', 'gnu'])('ignores times (%s headers)', (format) => {
    expect(contentDigest(tarOf({ 'a.py': 'x' }, 1000, format))).toBe(contentDigest(tarOf({ 'a.py': 'x' }, 2000, format)));
  });
  it.each([
    ['a content change', { 'a.py': 'y' }],
    ['a new file', { 'a.py': 'x', 'b.py': '' }],
    ['a rename', { 'b.py': 'x' }],
  ])('changes with %s', (_case, files) => {
    expect(contentDigest(tarOf(files, 1000))).not.toBe(contentDigest(tarOf({ 'a.py': 'x' }, 1000)));
  });
});

describe('firstFileOf', () => {
  it.each(['pax', 'gnu'])('gives the first regular file’s bytes, past directory and pax entries (%s)', (format) => {
    const status = 'Package: adduser\n'.repeat(100);
    expect(firstFileOf(tarOf({ status }, 1000, format))?.toString('utf8')).toBe(status);
  });
  it('gives nothing for a tar without a regular file', () => {
    expect(firstFileOf(Buffer.alloc(1024))).toBeUndefined();
  });
});
