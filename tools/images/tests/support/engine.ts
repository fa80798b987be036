import { execa } from 'execa';

/** The engine client the suite drives: the same CONTAINER_CLIENT the builds use. */
export const CLIENT = process.env.CONTAINER_CLIENT || 'docker';

/** Runs the engine's client; never throws, so tests can assert on failures. */
export async function engine(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  const result = await execa(CLIENT, args, { reject: false, all: true, input: options.input, env: options.env });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? ''), all: String(result.all ?? '') };
}

/** The image id a reference points at, or undefined when the engine lacks it. */
export async function imageId(ref: string): Promise<string | undefined> {
  const result = await engine(['image', 'inspect', '--format', '{{.Id}}', ref]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/** Every `repository:tag` of a repository. */
export async function tagsOf(repository: string): Promise<string[]> {
  const result = await engine(['images', '--format', '{{.Repository}}:{{.Tag}}', repository]);
  return result.stdout.split('\n').filter(Boolean).sort();
}

/** Removes every image of the given repositories (test clean-up). */
export async function removeRepositories(repositories: string[]): Promise<void> {
  const refs = (await Promise.all(repositories.map(tagsOf))).flat();
  if (refs.length > 0) await engine(['rmi', '--force', ...refs]);
}

/** Fails loudly (never skips) when the engine or the pinned upstream is not there. */
export async function assertEngineReady(): Promise<void> {
  const version = await engine(['version', '--format', '{{.Server.Version}}']);
  if (version.exitCode !== 0) {
    throw new Error(`The integration suite needs a running engine (${CLIENT}): ${version.all}\nStart one with: bash .ci/engine.sh`);
  }
  if (!process.env.BASE_IMAGE || !process.env.BASE_DIGEST) {
    throw new Error('BASE_IMAGE and BASE_DIGEST must pin an upstream the engine can pull here; `eval "$(bash .ci/engine.sh)"` sets them.');
  }
}
