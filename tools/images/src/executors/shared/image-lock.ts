import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const POLL_MS = 200;
/** A lock directory without a pid file this old was left by a process killed while taking it. */
const UNCLAIMED_MS = 5_000;

/** True when the lock's holder is gone: its pid no longer runs, or it never wrote one. */
function isStale(lockDir: string): boolean {
  try {
    const pid = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM') return false;
    if (code === 'ENOENT') {
      const age = Date.now() - (statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      return age > UNCLAIMED_MS;
    }
    return true;
  }
}

/**
 * Runs `work` while holding a per-image lock (a directory, created atomically),
 * so two Nx runs in one workspace never build or record the same image at once:
 * the second waits, then finds the image present. A lock left by a killed process
 * is taken over.
 */
export async function withImageLock<T>(lockDir: string, work: () => Promise<T>, onWait?: () => void): Promise<T> {
  mkdirSync(dirname(lockDir), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!announced) onWait?.();
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (isStale(lockDir)) rmSync(lockDir, { recursive: true, force: true });
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
