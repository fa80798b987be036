import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withImageLock } from './image-lock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withImageLock', () => {
  it('runs holders of one lock one after the other', async () => {
    const lock = join(mkdtempSync(join(tmpdir(), 'lock-')), 'img', '.lock');
    const events: string[] = [];
    const holder = (id: string) => withImageLock(lock, async () => {
      events.push(`${id}:in`);
      await sleep(50);
      events.push(`${id}:out`);
    });
    await Promise.all([holder('a'), holder('b')]);
    expect(events).toHaveLength(4);
    expect(events[1]).toBe(`${events[0].split(':')[0]}:out`);
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const lock = join(mkdtempSync(join(tmpdir(), 'lock-')), '.lock');
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), '999999999');
    let waited = false;
    await expect(withImageLock(lock, async () => 'ran', () => { waited = true; })).resolves.toBe('ran');
    expect(waited).toBe(true);
  });

  it('releases the lock when the work fails', async () => {
    const lock = join(mkdtempSync(join(tmpdir(), 'lock-')), '.lock');
    await expect(withImageLock(lock, async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(withImageLock(lock, async () => 'again')).resolves.toBe('again');
  });
});
