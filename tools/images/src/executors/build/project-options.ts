import { ImageError } from '../../core/errors';
import type { BuildTargetOptions } from '../../core/build-options';

/**
 * The build target's options as a project sets them (`targets.build.options` in its
 * project.json, nx.json's targetDefaults, or `nx run <image>:build --<option>=…`). Nx merges
 * them into the inferred target, so they are part of the task hash, hence of the tag. The
 * one place that says which option a project may set and how it combines with the inferred one.
 */
export const PER_PROJECT = {
  target: 'replaces',
  platforms: 'replaces',
  network: 'replaces',
  registry: 'replaces',
  registryBestEffort: 'replaces',
  labels: 'adds to (a key it names wins)',
  secrets: 'adds to (an id it names wins)',
} as const satisfies Partial<Record<keyof BuildTargetOptions, string>>;

/** Options that hold for every image of the chain at once (a child names its parent's repository, records, engine and store). */
export const PLUGIN_WIDE = ['prefix', 'outputDir', 'engine', 'client', 'context'] as const;

/** Options the plugin reads from the Dockerfile and the workspace. */
export const INFERRED = ['name', 'dockerfile', 'parents', 'digestsFile', 'alwaysBuild', 'exports', 'copies'] as const;

/** nx:run-commands' own options, which the inferred target itself uses to start bin/build.sh. */
const RUNNER_KEYS = new Set(['command', 'commands', 'env', 'cwd', 'forwardAllArgs', '__unparsed__', 'args']);

type Own = Partial<Record<keyof typeof PER_PROJECT, unknown>>;

function refuse(where: string, message: string): never {
  throw new ImageError('BAD_OPTION', `${where}: ${message}`);
}

function stringMap(value: unknown, key: string, where: string): Record<string, string> {
  const ok =
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
  if (!ok) refuse(where, `"${key}" must be an object of strings, e.g. { "org.example.team": "payments" }.`);
  return value as Record<string, string>;
}

/**
 * The inferred options with a project's own applied. An option that cannot be set per image
 * is refused with where to set it instead; an unknown one with the list of those that work.
 * `where` names the place to fix, for the message.
 */
export function withProjectOptions(inferred: BuildTargetOptions, own: Record<string, unknown>, where: string): BuildTargetOptions {
  const merged: BuildTargetOptions = { ...inferred };
  for (const [key, value] of Object.entries(own)) {
    if (value === undefined || RUNNER_KEYS.has(key)) continue;
    if ((PLUGIN_WIDE as readonly string[]).includes(key)) {
      refuse(
        where,
        `"${key}" holds for the whole chain and cannot be set for one image. Set it in the options of the ` +
          `@ffreis/nx-images plugin in nx.json, and remove it here.`,
      );
    }
    if ((INFERRED as readonly string[]).includes(key)) {
      refuse(where, `"${key}" is read from the image's Dockerfile and the workspace, not set. Remove it here.`);
    }
    if (!(key in PER_PROJECT)) {
      refuse(where, `"${key}" is not an option of the build target. An image may set: ${Object.keys(PER_PROJECT).join(', ')}.`);
    }
    const option = key as keyof Own;
    if (option === 'labels') merged.labels = { ...inferred.labels, ...stringMap(value, key, where) };
    else if (option === 'secrets') merged.secrets = { ...inferred.secrets, ...stringMap(value, key, where) };
    else if (option === 'registryBestEffort') {
      if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') refuse(where, `"${key}" must be true or false.`);
      merged.registryBestEffort = value === true || value === 'true';
    } else if (option === 'platforms') {
      const ok = typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
      if (!ok) refuse(where, `"${key}" must be a list of platforms, e.g. ["linux/amd64", "linux/arm64"].`);
      merged.platforms = value as string | string[];
    } else {
      if (typeof value !== 'string') refuse(where, `"${key}" must be a string.`);
      merged[option] = value;
    }
  }
  return merged;
}

/**
 * Options given as arguments (`nx run runner:build --network=host`, or a project.json option
 * nx:run-commands forwards): `--key=value` or `--key value`; a key given twice joins with a comma.
 */
export function argumentOverrides(argv: string[]): Record<string, unknown> {
  const overrides: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const match = /^--([A-Za-z][\w-]*)(?:=(.*))?$/s.exec(argv[i]);
    if (!match) continue;
    const value = match[2] ?? (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : 'true');
    const key = match[1].replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    overrides[key] = key in overrides ? `${overrides[key]},${value}` : value;
  }
  return overrides;
}
