import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentDigest, firstFileOf } from './tar-digest';

function tarOf(files: Record<string, string>, mtime: number, format = 'pax', ...extra: string[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tar-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, 'app', name, '..'), { recursive: true });
    writeFileSync(join(dir, 'app', name), content);
    utimesSync(join(dir, 'app', name), mtime, mtime);
  }
  utimesSync(join(dir, 'app'), mtime, mtime);
  return execFileSync('tar', ['--sort=name', `--format=${format}`, '--owner=0', '--group=0', ...extra, '-C', dir, '-cf', '-', 'app']);
}

describe('contentDigest', () => {
  it.each(['pax', 'gnu'])('ignores times (%s headers)', (format) => {
    expect(contentDigest(tarOf({ 'a.py': 'x' }, 1000, format))).toBe(contentDigest(tarOf({ 'a.py': 'x' }, 2000, format)));
  });
  it('ignores pax time records of any length', () => {
    // GNU tar trims trailing zeros, so a time's record (and the entry's size) changes length.
    const withCtime = (ctime: string) => tarOf({ 'a.py': 'x' }, 1000, 'pax', `--pax-option=ctime:=${ctime},atime:=${ctime}`);
    expect(contentDigest(withCtime('1000.5'))).toBe(contentDigest(withCtime('1000.123456789')));
  });
  it('changes with a pax record that is not a time', () => {
    const withComment = (comment: string) => tarOf({ 'a.py': 'x' }, 1000, 'pax', `--pax-option=comment:=${comment}`);
    expect(contentDigest(withComment('a'))).not.toBe(contentDigest(withComment('bb')));
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
