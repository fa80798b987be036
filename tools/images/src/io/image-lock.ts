import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { lock } from 'proper-lockfile';
import { ImageError } from '../core/errors';

/** How long a lock may go without its holder refreshing it before it counts as abandoned. */
const STALE_MS = 10_000;
const POLL_MS = 250;

/** Options of {@link withImageLock}. */
export interface LockOptions {
  /** Give up waiting after this long (IMAGE_LOCK_TIMEOUT, in seconds). Default 20 minutes. */
  timeoutMs?: number;
  /** Say who holds the lock once the wait is this long. Default 5 s. */
  noticeAfterMs?: number;
  /** Where notices go. Default console.log. */
  notify?: (message: string) => void;
  /** Shown in messages (the image). */
  label?: string;
  /** Workspace root, to show the lock path relative to it. */
  root?: string;
}

interface Holder {
  pid: number;
  host: string;
  since: string;
}

function readHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/** IMAGE_LOCK_TIMEOUT (seconds) as milliseconds, or the default. */
export function lockTimeoutFrom(env: Record<string, string | undefined>): number | undefined {
  const raw = env.IMAGE_LOCK_TIMEOUT;
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new ImageError('BAD_OPTION', `IMAGE_LOCK_TIMEOUT="${raw}" is not a number of seconds; unset it or give e.g. 600.`);
  }
  return seconds * 1000;
}

/**
 * Runs `work` while holding the per-image lock in `dir` (proper-lockfile: a lock the
 * holder keeps fresh, so one left by a dead process, or restored from a cache on another
 * machine, goes stale within seconds whatever pid it names). Two Nx runs in one
 * workspace never build or record the same image at once. A wait longer than
 * `noticeAfterMs` says who holds the lock (pid, host, since) and where it is; a wait
 * longer than `timeoutMs` ends with LOCK_TIMEOUT.
 */
export async function withImageLock<T>(dir: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
  const noticeAfterMs = options.noticeAfterMs ?? 5_000;
  const notify = options.notify ?? ((message: string) => console.log(message));
  const label = options.label ?? 'image';
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, '.lock');
  const holderPath = join(dir, '.lock-holder.json');
  const shown = options.root ? relative(options.root, lockPath) : lockPath;
  const started = Date.now();
  let noticed = false;
  let release: (() => Promise<void>) | undefined;
  while (!release) {
    try {
      release = await lock(dir, {
        lockfilePath: lockPath,
        stale: STALE_MS,
        update: STALE_MS / 5,
        realpath: false,
        retries: 0,
        onCompromised: (error) => notify(`${label}: warning: the lock ${shown} was taken over while held (${error.message})`),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      const waited = Date.now() - started;
      const holder = readHolder(holderPath);
      const who = holder ? `pid ${holder.pid} on ${holder.host} since ${holder.since}` : 'a process that has not said who it is';
      if (waited >= timeoutMs) {
        throw new ImageError(
          'LOCK_TIMEOUT',
          `${label}: gave up after ${Math.round(waited / 1000)} s waiting for the lock ${shown}, held by ${who}.\n` +
            'If that run is gone, the lock goes stale within 10 s by itself; if it is alive, let it finish. ' +
            'IMAGE_LOCK_TIMEOUT (seconds) sets how long to wait.',
        );
      }
      if (!noticed && waited >= noticeAfterMs) {
        noticed = true;
        notify(
          `${label}: waiting for the lock ${shown}, held by ${who} (another run building this image); giving up after ` +
            `${Math.round(timeoutMs / 1000)} s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
  writeFileSync(holderPath, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies Holder));
  try {
    return await work();
  } finally {
    rmSync(holderPath, { force: true });
    await release().catch(() => undefined);
  }
}
