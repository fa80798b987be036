import { execa } from 'execa';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageError } from '../core/errors';
import { ENGINE_ANSWER_TIMEOUT_S } from './commands';
import type { EngineAdapter, EngineCommand } from './types';

/** The one place that spawns the engine's client. */
export interface EngineResult {
  /** The client's exit code; 128 + the signal's number when a signal ended it (as a shell reports it). */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the client (`SIGTERM`, `SIGINT`), when one did. */
  signal?: string;
}

export interface RunOptions {
  /** Also stream the child's output to this process's stdout/stderr. Default false. */
  stream?: boolean;
  /** Return a failed result instead of throwing. Default false. */
  allowFailure?: boolean;
  /** Each line of the child's output (stdout and stderr) as it comes, e.g. to tell a build's current step. */
  onLine?: (line: string) => void;
}

/** Runs one engine command whose stdout is binary (a tar stream); throws naming the command on failure. */
export async function runEngineBinary(adapter: EngineAdapter, command: EngineCommand): Promise<Uint8Array> {
  const result = await execa(command.command, command.args, {
    env: command.env,
    reject: false,
    stdin: 'ignore',
    encoding: 'buffer',
    timeout: command.timeoutMs,
  });
  const stderr = Buffer.from(result.stderr ?? []).toString('utf8');
  const engineError = engineErrorFor(adapter, command, { code: (result as { code?: string }).code, stderr, timedOut: result.timedOut });
  if (engineError) throw engineError;
  if (result.exitCode !== 0) {
    throw new ImageError(
      'ENGINE_FAILED',
      `\`${command.command} ${command.args.join(' ')}\` failed (exit ` +
        `${result.exitCode}):\n${stderr.trim().split('\n').slice(-5).join('\n')}`,
    );
  }
  return result.stdout as Uint8Array;
}

const UNREACHABLE = new RegExp(
  [
    'Cannot connect to the Docker daemon',
    'Is the docker daemon running',
    'error during connect',
    'dial unix .*(no such file|connection refused)',
    'unable to connect to Podman',
    'connect: no such file or directory',
  ].join('|'),
  'i',
);

function describeEndpoint(adapter: EngineAdapter): string {
  if (adapter.name === 'docker') {
    return process.env.DOCKER_HOST
      ? `DOCKER_HOST=${process.env.DOCKER_HOST}`
      : 'the default socket unix:///var/run/docker.sock (DOCKER_HOST is unset)';
  }
  return process.env.CONTAINER_HOST ? `CONTAINER_HOST=${process.env.CONTAINER_HOST}` : 'podman’s local storage';
}

/** The engine-level error a failed command means, if it means one (missing client, unreachable daemon). */
export function engineErrorFor(
  adapter: EngineAdapter,
  command: EngineCommand,
  result: { code?: string; stderr?: string; timedOut?: boolean },
): ImageError | undefined {
  if (result.timedOut) {
    return new ImageError(
      'ENGINE_UNRESPONSIVE',
      `The ${adapter.name} engine did not answer \`${command.command} ${command.args.join(' ')}\` ` +
        `within ${(command.timeoutMs ?? 0) / 1000} s (${describeEndpoint(adapter)}), so the run stopped instead of waiting.\n` +
        (adapter.name === 'docker'
          ? 'Check the daemon (systemctl status docker, its log, free disk), restart it if it is stuck, then rerun; '
          : 'Check `podman info` and any podman process left hanging, then rerun; ') +
        `IMAGE_ENGINE_TIMEOUT sets the seconds allowed (default ${ENGINE_ANSWER_TIMEOUT_S}).`,
    );
  }
  if (result.code === 'ENOENT') {
    return new ImageError(
      'ENGINE_MISSING',
      `The ${adapter.name} client "${command.command}" was not found.\n` +
        `Install ${
          adapter.name === 'docker' ? 'Docker (Debian: apt-get install docker.io)' : 'podman (Debian: apt-get install podman)'
        }, ` +
        'or point CONTAINER_CLIENT (or the plugin option "client") at its binary; CONTAINER_ENGINE=docker|podman picks the engine.',
    );
  }
  if (result.stderr && UNREACHABLE.test(result.stderr)) {
    return new ImageError(
      'ENGINE_UNREACHABLE',
      `The ${adapter.name} engine is not reachable through ${describeEndpoint(adapter)}:\n  ${result.stderr.trim().split('\n')[0]}\n` +
        (adapter.name === 'docker'
          ? 'Start the daemon (systemctl start docker, or dockerd &) or set DOCKER_HOST to a running one.'
          : 'Check `podman info`; set CONTAINER_HOST for a remote podman service.'),
    );
  }
  if (adapter.name === 'podman' && result.stderr && /error setting rlimit/i.test(result.stderr)) {
    return new ImageError(
      'ENGINE_ULIMITS',
      `podman could not start the container: ${result.stderr.trim().split('\n').slice(-1)[0]}\n` +
        'Give containers explicit ulimits in containers.conf: [containers] default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"].\n' +
        'This workspace ships one: export CONTAINERS_CONF=$PWD/config/podman/containers.conf',
    );
  }
  return undefined;
}

/**
 * Starts an engine command nobody waits for (removing a scratch container, warming a
 * child's layers): detached, its output dropped, so neither this program's exit nor Nx's
 * wait for the task's output waits for it. A failure leaves only that scratch object behind.
 */
export function startEngine(command: EngineCommand): void {
  try {
    const child = execa(command.command, command.args, {
      env: command.env,
      reject: false,
      stdio: 'ignore',
      detached: true,
      cleanup: false,
    });
    child.unref();
  } catch {
    // a client that cannot start: the removal is best effort
  }
}

/** Runs one engine command. Throws an {@link ImageError} naming the command on failure unless allowed. */
export async function runEngine(adapter: EngineAdapter, command: EngineCommand, options: RunOptions = {}): Promise<EngineResult> {
  const stdin = command.input === undefined ? 'ignore' : inputFile(command.input);
  try {
    return await runWith(adapter, command, options, stdin);
  } finally {
    if (typeof stdin === 'number') closeSync(stdin);
  }
}

/**
 * A command's input as a regular file, open for reading and already unlinked: a client
 * that opens /dev/stdin by name (podman's `--file -`) cannot open the socket Node gives a
 * child for a piped stdin ("no such device or address"), but it can open a file.
 */
function inputFile(input: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'nx-images-input-'));
  try {
    writeFileSync(join(dir, 'input'), input, { mode: 0o600 });
    return openSync(join(dir, 'input'), 'r');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runWith(adapter: EngineAdapter, command: EngineCommand, options: RunOptions, stdin: 'ignore' | number) {
  const { onLine } = options;
  // Each line seen as it passes (onLine), then kept (and streamed) unchanged; one transform per stream.
  const output = () =>
    [
      ...(onLine
        ? [
            function* (line: unknown) {
              onLine(String(line));
              yield line;
            },
          ]
        : []),
      'pipe',
      ...(options.stream ? ['inherit'] : []),
    ] as ['pipe'];
  const result = await execa(command.command, command.args, {
    env: command.env,
    reject: false,
    // A descriptor goes to the child as it is (execa's types list only 3 to 9).
    stdin: stdin as 'ignore',
    stdout: output(),
    stderr: output(),
    stripFinalNewline: true,
    timeout: command.timeoutMs,
  });
  const stderr = String(result.stderr ?? '');
  const engineError = engineErrorFor(adapter, command, { code: (result as { code?: string }).code, stderr, timedOut: result.timedOut });
  if (engineError) throw engineError;
  const signal = typeof result.signal === 'string' ? result.signal : undefined;
  const signalled = signal ? 128 + (osConstants.signals[signal as keyof typeof osConstants.signals] ?? 0) : undefined;
  const outcome: EngineResult = { exitCode: result.exitCode ?? signalled ?? 1, stdout: String(result.stdout ?? ''), stderr, signal };
  if (outcome.exitCode !== 0 && !options.allowFailure) {
    throw new ImageError(
      'ENGINE_FAILED',
      `\`${command.command} ${command.args.join(' ')}\` failed (exit ` +
        `${outcome.exitCode}):\n${stderr.trim().split('\n').slice(-5).join('\n')}`,
    );
  }
  return outcome;
}
