import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Minimatch } from 'minimatch';
import type { InputsRecord } from '../core/why';
import { nxFileHashes, readCachedProjectGraph, type NxFileHash } from '../nx/runtime';

type Input = string | { env?: string; dependentTasksOutputFiles?: string };

interface NxCaches {
  inputs: Input[];
  root: string;
  files: NxFileHash[];
}

/**
 * The image's build inputs and the file hashes Nx computed for this run (read through the Nx
 * adapter), or undefined when they cannot be read: the explanation is then left out, never the build.
 */
function readNxCaches(name: string): NxCaches | undefined {
  const files = nxFileHashes();
  if (!files) return undefined;
  try {
    const project = readCachedProjectGraph().nodes[name]?.data;
    const inputs = project?.targets?.build?.inputs as Input[] | undefined;
    return project && inputs ? { inputs, root: project.root, files } : undefined;
  } catch {
    return undefined;
  }
}

const short = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16);

/**
 * This image's inputs as its build target declares them, each with what it is now: the
 * files its patterns select (Nx's own content hashes), each environment variable's value
 * hashed, the parents' exact tags and the exports.json of parents it copies from.
 */
export function currentInputs(
  root: string,
  name: string,
  hash: string,
  env: NodeJS.ProcessEnv,
  parents: { name: string; ref: string }[],
): InputsRecord | undefined {
  const caches = readNxCaches(name);
  if (!caches) return undefined;
  const { inputs } = caches;
  const expand = (pattern: string) => pattern.replace('{workspaceRoot}/', '').replace('{projectRoot}', caches.root);
  // Each pattern compiled once: the workspace's every file is matched against them.
  const compile = (patterns: string[]) => patterns.map((p) => new Minimatch(p, { dot: true }));
  const include = compile(inputs.filter((i): i is string => typeof i === 'string' && !i.startsWith('!')).map(expand));
  const exclude = compile(inputs.filter((i): i is string => typeof i === 'string' && i.startsWith('!')).map((i) => expand(i.slice(1))));
  const matches = (file: string, patterns: Minimatch[]) => patterns.some((p) => p.match(file));
  const files = Object.fromEntries(
    caches.files.filter(({ file }) => matches(file, include) && !matches(file, exclude)).map(({ file, hash: h }) => [file, h] as const),
  );
  const envs = inputs.flatMap((i) => (typeof i === 'object' && i.env ? [i.env] : []));
  const exports: Record<string, string> = {};
  for (const input of inputs) {
    if (typeof input !== 'object' || !input.dependentTasksOutputFiles) continue;
    const parent = input.dependentTasksOutputFiles.split('/').slice(-2)[0];
    try {
      exports[parent] = short(readFileSync(join(root, input.dependentTasksOutputFiles), 'utf8'));
    } catch {
      exports[parent] = 'missing';
    }
  }
  return {
    hash,
    files,
    env: Object.fromEntries(envs.map((k) => [k, short(env[k] ?? '')])),
    parents: Object.fromEntries(parents.map((p) => [p.name, p.ref])),
    exports,
  };
}
