import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Run marks: `dist/images/<name>/runs/<root pid>` holds the hash an image was built or
 * found present under in the Nx run whose root process has that pid (Nx passes it to
 * every task: nx/runtime.ts's invocationRootPid). A child builds only from a parent confirmed in
 * its own run, so `--exclude-task-dependencies` can never hand it a stale parent.
 * A preview (NX_IMAGES_PLAN) keeps its own marks in `plans/`: `<hash> <what it would do>`,
 * which never count as a build.
 */
export type MarkKind = 'runs' | 'plans';

/** When the process started, in ms since the epoch, from /proc (Linux); undefined elsewhere. */
function processStart(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    const bootTime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return (bootTime + startTicks / 100) * 1000;
  } catch {
    return undefined;
  }
}

/** How long ago the process started, in ms, from /proc (Linux: its start in clock ticks against the uptime); undefined elsewhere. */
export function processAgeMs(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const age = (uptime - startTicks / 100) * 1000;
    return Number.isFinite(age) && age >= 0 ? age : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: string): boolean {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Records that this run confirmed the image under `hash`; drops the marks of runs that are gone. */
export function markRun(recordsDir: string, rootPid: string, hash: string, kind: MarkKind = 'runs'): void {
  const dir = join(recordsDir, kind);
  // A file where the marks' folder goes (left by hand) is not ours to keep: the folder takes its place.
  if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) rmSync(dir, { force: true });
  mkdirSync(dir, { recursive: true });
  // Whatever stands at a mark's path (a folder left by hand, say) is not a mark: replaced, never a crash.
  rmSync(join(dir, rootPid), { recursive: true, force: true });
  writeFileSync(join(dir, rootPid), `${hash}\n`);
  for (const pid of readdirSync(dir)) if (pid !== rootPid && !alive(pid)) rmSync(join(dir, pid), { recursive: true, force: true });
}

/**
 * The hash this run confirmed for an image, or undefined when the image was not part
 * of this run. A mark older than the run's root process belongs to an earlier run
 * that had the same pid.
 */
export function runMark(recordsDir: string, rootPid: string, kind: MarkKind = 'runs'): string | undefined {
  const file = join(recordsDir, kind, rootPid);
  try {
    const started = processStart(rootPid);
    if (started !== undefined && statSync(file).mtimeMs + 1000 < started) return undefined;
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The root pid of the run whose tasks wrote marks since it started: of the marks written since,
 * the newest one's whose process is still there (marks of earlier runs stay until a build drops them).
 */
export function markedRunPid(recordsRoot: string, since: number, kind: MarkKind): string | undefined {
  const marks: { pid: string; at: number }[] = [];
  let images: string[];
  try {
    images = readdirSync(recordsRoot);
  } catch {
    return undefined;
  }
  for (const image of images) {
    const dir = join(recordsRoot, image, kind);
    let pids: string[];
    try {
      pids = readdirSync(dir);
    } catch {
      continue;
    }
    for (const pid of pids) {
      const at = /^\d+$/.test(pid) ? statSync(join(dir, pid), { throwIfNoEntry: false })?.mtimeMs : undefined;
      if (at !== undefined && at >= since - 1000) marks.push({ pid, at });
    }
  }
  marks.sort((a, b) => b.at - a.at);
  return marks.find(({ pid }) => alive(pid))?.pid;
}
