import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isImageError } from '../core/errors';
import { lockTimeoutFrom, withImageLock } from './image-lock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fresh = () => join(mkdtempSync(join(tmpdir(), 'lock-')), 'img');

describe('withImageLock', () => {
  it('runs holders of one lock one after the other', async () => {
    const dir = fresh();
    const events: string[] = [];
    const holder = (id: string) =>
      withImageLock(
        dir,
        async () => {
          events.push(`${id}:in`);
          await sleep(100);
          events.push(`${id}:out`);
        },
        { notify: () => undefined },
      );
    await Promise.all([holder('a'), holder('b')]);
    expect(events).toHaveLength(4);
    expect(events[1]).toBe(`${events[0].split(':')[0]}:out`);
  });

  it('takes over a lock restored from another machine that names a live pid (it is stale by its age)', async () => {
    const dir = fresh();
    mkdirSync(join(dir, '.lock'), { recursive: true });
    writeFileSync(join(dir, '.lock-holder.json'), JSON.stringify({ pid: 1, host: 'ci-runner-7', since: '2026-01-01T00:00:00Z' }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, '.lock'), old, old);
    await expect(withImageLock(dir, async () => 'ran')).resolves.toBe('ran');
  });

  it('says who holds a live lock after a bound, then gives up with LOCK_TIMEOUT naming the holder and the path', async () => {
    const dir = fresh();
    const notices: string[] = [];
    let releaseHolder: () => void = () => undefined;
    const held = withImageLock(dir, () => new Promise<void>((resolve) => (releaseHolder = resolve)), { notify: () => undefined });
    await sleep(100);
    const error = await withImageLock(dir, async () => 'never', {
      timeoutMs: 1200,
      noticeAfterMs: 300,
      notify: (m) => notices.push(m),
      label: 'builder',
    }).catch((e: unknown) => e);
    releaseHolder();
    await held;
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(new RegExp(`^builder: waiting for the lock .*img/\\.lock, held by pid ${process.pid} on .* since \\d{4}-`));
    expect(isImageError(error, 'LOCK_TIMEOUT')).toBe(true);
    expect((error as Error).message).toMatch(/builder: gave up after 1 s waiting for the lock .*\.lock, held by pid \d+ on /);
  });

  it('releases the lock when the work fails', async () => {
    const dir = fresh();
    await expect(
      withImageLock(dir, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(withImageLock(dir, async () => 'again')).resolves.toBe('again');
  });

  it.each([
    [{}, undefined],
    [{ IMAGE_LOCK_TIMEOUT: '90' }, 90_000],
  ])('reads IMAGE_LOCK_TIMEOUT %j', (env, expected) => {
    expect(lockTimeoutFrom(env)).toBe(expected);
  });

  it('names a malformed IMAGE_LOCK_TIMEOUT', () => {
    expect(() => lockTimeoutFrom({ IMAGE_LOCK_TIMEOUT: 'soon' })).toThrow(/IMAGE_LOCK_TIMEOUT="soon" is not a number of seconds/);
  });
});
