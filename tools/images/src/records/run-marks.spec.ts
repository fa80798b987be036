import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markRun, runMark } from './run-marks';

describe('run marks', () => {
  const me = String(process.pid);

  it('gives back the hash this run confirmed, and nothing for another run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'marks-'));
    markRun(dir, me, '42');
    expect(runMark(dir, me)).toBe('42');
    expect(runMark(dir, '999999999')).toBeUndefined();
  });

  it('ignores a mark older than the run’s root process (an earlier run with the same pid)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'marks-'));
    markRun(dir, me, '42');
    const old = new Date(Date.now() - 365 * 24 * 3600 * 1000);
    utimesSync(join(dir, 'runs', me), old, old);
    expect(runMark(dir, me)).toBeUndefined();
  });

  it('takes the place of a file left where the marks’ folder goes, instead of failing on it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'marks-'));
    writeFileSync(join(dir, 'runs'), 'not a folder');
    markRun(dir, me, '42');
    expect(runMark(dir, me)).toBe('42');
  });

  it('drops the marks of runs that are gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'marks-'));
    markRun(dir, '999999999', '1');
    markRun(dir, me, '2');
    expect(runMark(dir, '999999999')).toBeUndefined();
    expect(runMark(dir, me)).toBe('2');
  });
});
