import { appendFileSync, constants, readFileSync, readlinkSync } from 'node:fs';
import { invocationRootPid } from '../../nx/runtime';

const { O_APPEND } = constants;

/**
 * A build's current step, from a line of the engine's output: podman's `STEP 3/7: RUN …`, or
 * BuildKit's plain progress `#7 [builder 3/7] RUN …`. Undefined for any other line.
 */
export function stepOf(line: string): string | undefined {
  const match = /^(?:\[\d+\/\d+\] )?STEP (\d+\/\d+): (.*)$/.exec(line) ?? /^#\d+ \[[^\]]*?(\d+\/\d+)\] (.*)$/.exec(line);
  if (!match) return undefined;
  const what = match[2].trim();
  return `step ${match[1]}: ${what.length > 80 ? `${what.slice(0, 79)}…` : what}`;
}

/** How often progress is printed (IMAGE_PROGRESS_SECONDS, default 10; 0: never). */
export function progressEveryMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.IMAGE_PROGRESS_SECONDS ?? 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 10_000;
}

/**
 * Where progress lines go: the `nx` command's own standard output (Nx shows a task's output only
 * when the task ends, unless it streams it), and only when that is a pipe or a file it appends to, as in CI.
 * A terminal is left to Nx, which draws there; a streamed run shows the build's own lines.
 */
export function progressTarget(env: NodeJS.ProcessEnv): string | undefined {
  const pid = invocationRootPid(env);
  if (!pid || env.NX_STREAM_OUTPUT === 'true' || progressEveryMs(env) === 0) return undefined;
  const target = `/proc/${pid}/fd/1`;
  try {
    const link = readlinkSync(target);
    if (link.startsWith('pipe:')) return target;
    // A file only when the command appends to it (`>>`): else its own writes, at its own offset, would overwrite ours.
    const flags = Number.parseInt(/^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/1`, 'utf8'))?.[1] ?? '0', 8);
    return link.startsWith('/') && !link.startsWith('/dev/') && (flags & O_APPEND) !== 0 ? target : undefined;
  } catch {
    return undefined;
  }
}

/** Every few seconds while an image builds: `<name>: building for 36 s, step 5/12: RUN pip install …`. */
export function startProgress(name: string, env: NodeJS.ProcessEnv, now: () => number = Date.now): { line(l: string): void; stop(): void } {
  const target = progressTarget(env);
  if (!target) return { line: () => undefined, stop: () => undefined };
  const started = now();
  let step = 'starting';
  const timer = setInterval(() => {
    try {
      appendFileSync(target, `${name}: building for ${Math.round((now() - started) / 1000)} s, ${step}\n`);
    } catch {
      clearInterval(timer);
    }
  }, progressEveryMs(env));
  timer.unref();
  return {
    line: (l) => {
      step = stepOf(l) ?? step;
    },
    stop: () => clearInterval(timer),
  };
}
