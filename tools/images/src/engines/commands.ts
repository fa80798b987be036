/**
 * Engine commands that build nothing: queries, tags, pulls, pushes, runs and copies. They
 * live apart from the build commands (docker.ts, podman.ts), whose command lines the build
 * recipe's golden test pins (core/recipe.ts): a change here re-tags nothing.
 */
import { SCRATCH_LABEL } from '../core/naming';
import { INSPECT_FORMAT, type EngineAdapter, type EngineCommand } from './types';

/** IMAGE_ENGINE_TIMEOUT's default, in seconds (bin/build.sh spells it too). */
export const ENGINE_ANSWER_TIMEOUT_S = 300;

/**
 * Seconds a command the engine answers at once may take (IMAGE_ENGINE_TIMEOUT, default 300):
 * past it the engine is stuck, and the run stops with ENGINE_UNRESPONSIVE instead of waiting forever.
 */
export function engineAnswerTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.IMAGE_ENGINE_TIMEOUT);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : ENGINE_ANSWER_TIMEOUT_S) * 1000;
}

/** Commands every engine spells the same way. */
export function sharedCommands(client: string): Omit<EngineAdapter, 'name' | 'client' | 'build' | 'serverVersion' | 'layerCache'> {
  const timeoutMs = engineAnswerTimeoutMs();
  // Commands the engine answers at once, bounded; pull, push and run are not.
  const cmd = (...args: string[]): EngineCommand => ({ command: client, args, timeoutMs });
  const unbounded = (...args: string[]): EngineCommand => ({ command: client, args });
  return {
    clientVersion: () => cmd('version', '--format', '{{.Client.Version}}'),
    buildxVersion: () => cmd('buildx', 'version'),
    inspectImage: (...refs) => cmd('image', 'inspect', '--format', INSPECT_FORMAT, ...refs),
    tag: (source, target) => cmd('tag', source, target),
    listTags: (repository) => cmd('images', '--format', '{{.Repository}}:{{.Tag}}', repository),
    listLabelled: (label) => cmd('images', '--no-trunc', '--filter', `label=${label}`, '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'),
    labelOf: (label, ...refs) =>
      cmd('image', 'inspect', '--format', `{{.Id}} {{with .Config.Labels}}{{index . ${JSON.stringify(label)}}}{{end}}`, ...refs),
    removeImages: (refs) => cmd('rmi', ...refs),
    pull: (ref, platform) => unbounded('pull', '--quiet', ...(platform ? ['--platform', platform] : []), ref),
    push: (ref) => unbounded('push', ref),
    run: (ref, args) => unbounded('run', '--rm', ref, ...args),
    runCheck: (ref, check) =>
      unbounded(
        'run',
        '--rm',
        ...(check.user ? ['--user', check.user] : []),
        ...(check.entrypoint ? ['--entrypoint', check.entrypoint] : []),
        ref,
        ...check.args,
      ),
    inspectConfig: (ref) => cmd('image', 'inspect', '--format', '{{json .Config}}|{{.Size}}', ref),
    createContainer: (ref) => cmd('create', '--label', `${SCRATCH_LABEL}=1`, '--entrypoint', 'true', ref),
    listScratchContainers: (ref) =>
      cmd('ps', '--all', '--quiet', '--no-trunc', '--filter', `label=${SCRATCH_LABEL}`, '--filter', `ancestor=${ref}`),
    copyOut: (container, path) => cmd('cp', `${container}:${path}`, '-'),
    removeContainer: (container) => cmd('rm', '--force', container),
  };
}
