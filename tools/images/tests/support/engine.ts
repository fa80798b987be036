import { execa, execaSync } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineName } from '../../src/core/options';

/** The engines the suite runs on; each test body that concerns the chain runs on both. */
/**
 * The engines the integration suites run on: TEST_ENGINES (`docker`, `podman` or both,
 * comma-separated), both by default. `npm test` takes docker; CI runs podman too (.ci/run).
 */
export const ENGINES: EngineName[] = (process.env.TEST_ENGINES || 'docker,podman')
  .split(',')
  .map((name) => name.trim())
  .filter((name): name is EngineName => name === 'docker' || name === 'podman');

/** The client of each engine: docker's is CONTAINER_CLIENT (the one the builds use), podman's is podman. */
export function clientOf(engineName: EngineName): string {
  return engineName === 'docker' ? process.env.CONTAINER_CLIENT || 'docker' : 'podman';
}

/** Environment for an Nx run on the given engine. */
export function engineEnv(engineName: EngineName): Record<string, string> {
  return engineName === 'docker' ? { CONTAINER_ENGINE: 'docker' } : { CONTAINER_ENGINE: 'podman', CONTAINER_CLIENT: '' };
}

/** Direct access to one engine's store, for assertions. */
export function engineTools(engineName: EngineName) {
  const client = clientOf(engineName);
  const tools = {
    name: engineName,
    /** Runs the engine's client; never throws, so tests can assert on failures. */
    async run(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
      const result = await execa(client, args, { reject: false, all: true, input: options.input, env: options.env });
      return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? ''), all: String(result.all ?? '') };
    },
    /** The image id a reference points at, or undefined when the engine lacks it. */
    async imageId(ref: string): Promise<string | undefined> {
      const result = await tools.run(['image', 'inspect', '--format', '{{.Id}}', ref]);
      return result.exitCode === 0 ? result.stdout.trim() : undefined;
    },
    /** Every `repository:tag` of a repository. */
    async tagsOf(repository: string): Promise<string[]> {
      const result = await tools.run(['images', '--format', '{{.Repository}}:{{.Tag}}', repository]);
      return result.stdout
        .split('\n')
        .filter((l) => l && !l.endsWith(':<none>'))
        .sort();
    },
    /** Removes every image of the given repositories (test set-up and clean-up). */
    async removeRepositories(repositories: string[]): Promise<void> {
      const refs = (await Promise.all(repositories.map(tools.tagsOf))).flat();
      if (refs.length > 0) await tools.run(['rmi', '--force', ...refs]);
    },
    /**
     * Removes images by id that a test built and then moved a tag away from (left untagged, out of
     * any repository removeRepositories reads): only those the engine still holds, never forced,
     * so an image someone tagged meanwhile stays.
     */
    async removeImages(ids: Iterable<string>): Promise<void> {
      const held = (await Promise.all([...new Set(ids)].map(tools.imageId))).filter((id): id is string => Boolean(id));
      if (held.length > 0) await tools.run(['rmi', ...held]);
    },
  };
  return tools;
}

export type EngineTools = ReturnType<typeof engineTools>;

const docker = engineTools('docker');
/** Docker's tools: the default engine of the suite. */
export const engine = docker.run;
export const imageId = docker.imageId;
export const tagsOf = docker.tagsOf;
export const removeRepositories = docker.removeRepositories;

/** Fails loudly (never skips) when an engine or the pinned upstream is not there. */
export async function assertEngineReady(engineName: EngineName = 'docker'): Promise<void> {
  const tools = engineTools(engineName);
  const version = await tools.run(
    engineName === 'docker' ? ['version', '--format', '{{.Server.Version}}'] : ['info', '--format', '{{.Version.Version}}'],
  );
  if (version.exitCode !== 0) {
    throw new Error(
      `The integration suite needs ${engineName} (${clientOf(engineName)}): ${version.all}\nStart the engines with: eval "$(bash ` +
        `.ci/engine.sh)"`,
    );
  }
  if (!process.env.BASE_IMAGE || !process.env.BASE_DIGEST) {
    throw new Error('BASE_IMAGE and BASE_DIGEST must pin an upstream the engine can pull here; `eval "$(bash .ci/engine.sh)"` sets them.');
  }
}

/**
 * A client that logs each call (its arguments, one line) and hands it to the real client:
 * the engine queries a run makes, counted. Named like the engine, so the engine checks
 * accept it as CONTAINER_CLIENT.
 */
export function loggingClient(engineName: EngineName) {
  const dir = mkdtempSync(join(tmpdir(), `calls-${engineName}-`));
  const log = join(dir, 'calls.log');
  const real = execaSync('sh', ['-c', `command -v "${clientOf(engineName)}"`]).stdout.trim();
  const client = join(dir, engineName);
  writeFileSync(client, `#!/bin/sh\necho "$*" >>"${log}"\nexec "${real}" "$@"\n`, { mode: 0o755 });
  return {
    client,
    /** The calls since the last reset, one string of arguments each. */
    calls: (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    reset: () => rmSync(log, { force: true }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
