import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { ContextScan } from './context';
import type { ContextRead, Reads } from './dockerfile';
import { ancestorsOf, type ImageGraph, type ImageNode } from './image-graph';
import { DIGEST_KEYS } from './digests';

/** An Nx target input: a file set or one of the special forms. */
export type TargetInput =
  string | { env: string } | { externalDependencies: string[] } | { dependentTasksOutputFiles: string; transitive?: boolean };

/** Packages the lint and test targets run on: their versions are inputs of those cached targets, the rest of the lockfile is not. */
export const EXECUTOR_PACKAGES = ['dockerfile-ast', 'dotenv', 'execa'];

/**
 * The engine that builds (docker's BuildKit or podman's Buildah: each writes its own layers and
 * config, so the same inputs give another image). How the engine is reached (DOCKER_HOST,
 * DOCKER_CONTEXT, CONTAINER_HOST, a storage config) is not: it changes where an image is,
 * never what it is, and presence is asked of the engine itself, with its hash label checked.
 */
export const ENGINE_ENV = ['CONTAINER_ENGINE'];

/**
 * The environment variable that carries an image's shape digest into its hash: set by the
 * plugin's pre-tasks hook on every run (plugin/shapes.ts), because a mode change or an empty
 * folder changes no file Nx hashes, so the Nx daemon would keep its graph (and any option
 * computed with it). `BUILD_`: the daemon keeps that prefix out of its own environment, so a new
 * value never makes it recompute the graph; it still hashes the run's value into the task.
 */
export function shapeEnv(name: string): string {
  return `BUILD_NX_IMAGES_SHAPE_${name.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}

/** What the input computation needs to know beyond the graph. */
export interface InputSettings {
  /** Workspace-relative build context (`.` for the workspace root). */
  context: string;
  /** Workspace-relative digests file. */
  digestsFile: string;
  /** Workspace-relative folder of the build records (`dist/images`): a parent's `exports.json` lives there. */
  outputDir: string;
  /** Walks a context-relative root (see {@link ContextScan}); the caller caches. */
  scan: (root: string) => ContextScan;
  /** Entries of a context-relative directory, to split an excluded folder around a file that must stay hashed. */
  list: (dir: string) => { name: string; dir: boolean }[];
}

/** An image's inputs, and how exact they are. */
export interface ImageInputs {
  inputs: TargetInput[];
  /** Set when the inputs are the whole context, with why (`file:line …`). */
  wholeContext?: string;
  /**
   * Set when the hash cannot cover what the build reads (remote content, files git
   * ignores but the engine sends), with why: the image is then always handed to the engine.
   */
  alwaysBuild?: string;
  /** Parents (of this image or its ancestors) it only copies from: hashed through their exports.json. */
  copied: string[];
  /**
   * Set when the image's own Dockerfile copies a path the engine never receives (its ignore
   * file drops it), with `file:line` and the fix: the build would fail with "not found".
   */
  droppedRead?: string;
  /**
   * A digest of what the engine receives beyond file content (modes, folders, empty ones
   * too; see {@link ContextScan.shape}): Nx never hashes it, so {@link shapeEnv} carries it.
   */
  shape: string;
}

/** Characters a path segment may hold and still be a literal Nx glob segment. */
const LITERAL = /^[\w.@+=,~ -]+$/;
/** Same, allowing the wildcards Nx and the engine read alike. */
const WILDCARD = /^[\w.@+=,~ *?-]+$/;

/** A context-relative path as a workspace-relative one (no leading `./`, no trailing `/`). */
export function workspacePath(context: string, path: string): string {
  const joined = posix.normalize(posix.join(context, path.replace(/^\/+/, ''))).replace(/\/+$/, '');
  return joined === '.' ? '' : joined;
}

/** The context-relative root a read falls under for a walk: its path up to the first wildcard. */
function readRoot(path: string): string {
  const clean = posix.normalize(path.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (clean === '.' || clean.startsWith('..')) return '';
  const segments = clean.split('/');
  const literal = segments.findIndex((s) => !LITERAL.test(s));
  return (literal === -1 ? segments : segments.slice(0, literal)).join('/');
}

/**
 * File-set inputs for one read: the path and everything under it (a source may be a
 * file or a folder). A segment Nx could read differently from the engine (brackets,
 * escapes, braces) widens the input to its folder, so the hash only ever covers more.
 */
export function readInputs(context: string, path: string): string[] {
  const clean = posix.normalize(path.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (clean === '.' || clean === '' || clean.startsWith('..'))
    return [`{workspaceRoot}/${workspacePath(context, '')}/**/*`.replace('{workspaceRoot}//', '{workspaceRoot}/')];
  const segments = clean.split('/');
  const bad = segments.findIndex((s) => !WILDCARD.test(s) || s === '**');
  if (bad !== -1) {
    const head = workspacePath(context, segments.slice(0, bad).join('/'));
    return [`{workspaceRoot}/${head ? `${head}/` : ''}**/*`];
  }
  const target = workspacePath(context, clean);
  return [`{workspaceRoot}/${target}`, `{workspaceRoot}/${target}/**/*`];
}

function describeRead(node: ImageNode, read: { line: number }, what: string): string {
  return `${node.dockerfile}:${read.line} ${what}`;
}

/** Digest-pinned, or the pin of the digests file (`${BASE_IMAGE}@${BASE_DIGEST}`, or BASE_IMAGE with no default of its own). */
function isPinned(node: ImageNode, ref: ImageNode['externalReferences'][number]): boolean {
  if (ref.resolved && /@sha256:[0-9a-f]{64}$/.test(ref.resolved)) return true;
  return node.usesPin && ref.args.some((arg) => (DIGEST_KEYS as readonly string[]).includes(arg));
}

/**
 * The first upstream of the chain named by a tag alone: the engine resolves such a tag in its own
 * store when it builds, so the image can change while every input Nx hashes stays the same.
 */
function unpinnedUpstream(chain: ImageNode[]): string | undefined {
  for (const node of chain) {
    const ref = node.externalReferences.find((r) => r.resolved && !isPinned(node, r));
    if (ref)
      return (
        `${node.dockerfile}:${ref.line} ${ref.instruction} ${ref.resolved} is not pinned by digest (the engine resolves the tag ` +
        'when it builds); pin it as name:tag@sha256:…'
      );
  }
  return undefined;
}

/** The reads of one image's chain: each node's own, plus the ONBUILD triggers of its ancestors. */
function chainReads(graph: ImageGraph, chain: ImageNode[]): { node: ImageNode; reads: Reads }[] {
  return chain.map((node) => {
    const inherited = ancestorsOf(graph, node.name, true).map((a) => (graph.nodes.get(a) as ImageNode).onbuild);
    return {
      node,
      reads: {
        context: [...node.reads.context, ...inherited.flatMap((r) => r.context)],
        unknown: [...node.reads.unknown, ...inherited.flatMap((r) => r.unknown)],
        remote: [...node.reads.remote, ...inherited.flatMap((r) => r.remote)],
      },
    };
  });
}

/**
 * Negations for what the engine never sends, skipping any that would drop a file the
 * hash must keep (a Dockerfile, the digests file, the plugin): Nx applies a negation to
 * every input of the target. An excluded folder holding such a file is split into its entries.
 */
function negations(settings: InputSettings, scans: ContextScan[], kept: string[]): string[] {
  const result = new Set<string>();
  const keeps = (path: string) => kept.some((k) => k === path || k.startsWith(`${path}/`));
  const add = (path: string, dir: boolean) => {
    const target = workspacePath(settings.context, path);
    if (!target.split('/').every((s) => LITERAL.test(s))) return;
    if (kept.includes(target)) return;
    if (dir && keeps(target)) {
      for (const entry of settings.list(path)) add(`${path}/${entry.name}`, entry.dir);
      return;
    }
    result.add(`!{workspaceRoot}/${target}`);
    if (dir) result.add(`!{workspaceRoot}/${target}/**/*`);
  };
  for (const scan of scans) for (const entry of scan.excluded) add(entry.name, entry.dir);
  return [...result].sort();
}

/**
 * The inputs of one image's build, sound first and exact where provable: its own
 * Dockerfile and every ancestor's; the context files their COPY/ADD sources, bind
 * mounts and inherited ONBUILD triggers read (after ARG/ENV substitution), or the
 * whole context when one read is not known before the build; minus what `.dockerignore`
 * keeps from the engine (its own rules, re-includes honoured); the digests file and its
 * overrides for a chain built from the pin; the engine (not how it is reached). The modes and
 * folders the engine receives are in `shape`, hashed through {@link shapeEnv}. Remote content, an
 * upstream named by a tag alone and files git ignores but the engine sends cannot be hashed:
 * such an image is marked `alwaysBuild`.
 */
export function createImageInputs(graph: ImageGraph, name: string, settings: InputSettings): ImageInputs {
  // The images this one builds on (FROM); parents it only copies from count through the
  // content it copies (their exports.json), not through their inputs.
  const chain = [name, ...ancestorsOf(graph, name, true)].map((n) => graph.nodes.get(n)).filter((n): n is ImageNode => Boolean(n));
  const copied = [...new Set(chain.flatMap((node) => node.parents.filter((p) => p.copies).map((p) => p.name)))].sort();
  const reads = chainReads(graph, chain);
  const unknown = reads.flatMap(({ node, reads: r }) => r.unknown.map((u) => describeRead(node, u, u.reason)));
  const remote = reads.flatMap(({ node, reads: r }) => r.remote.map((u) => describeRead(node, u, `ADD ${u.source}: remote content`)));
  const wholeContext = unknown.length > 0 ? unknown[0] : undefined;
  const contextReads: ContextRead[] = wholeContext ? [{ path: '.', line: 0, via: 'COPY' }] : reads.flatMap((r) => r.reads.context);

  const usesPin = chain.some((node) => node.usesPin);
  const kept = [...chain.map((node) => node.dockerfile), ...(usesPin ? [settings.digestsFile] : [])];

  const files = new Set<string>(kept.map((file) => `{workspaceRoot}/${file}`));
  for (const read of contextReads) readInputs(settings.context, read.path).forEach((input) => files.add(input));

  const roots = [...new Set(contextReads.map((read) => readRoot(read.path)))];
  const scans = roots.map((root) => settings.scan(root));
  const untracked = [...new Set(scans.flatMap((scan) => scan.untracked))].sort();
  const dropped = reads[0].reads.context.find((read) => {
    const root = readRoot(read.path);
    return root !== '' && root === workspacePath('.', read.path) && settings.scan(root).excluded.some((e) => e.name === root);
  });
  const shape = createHash('sha256');
  for (const line of [...new Set(scans.flatMap((scan) => scan.shape))].sort()) shape.update(`${line}\n`);
  const alwaysBuild =
    remote[0] ??
    unpinnedUpstream(chain) ??
    (untracked.length > 0
      ? `${workspacePath(settings.context, untracked[0])} is ignored by git (so Nx cannot hash it) but sent to the engine; add ` +
        `it to .dockerignore`
      : undefined);
  return {
    inputs: [
      ...[...files].sort(),
      ...negations(settings, scans, kept),
      ...copied.map((parent) => ({ dependentTasksOutputFiles: posix.join(settings.outputDir, parent, 'exports.json'), transitive: true })),
      ...(usesPin ? DIGEST_KEYS.map((env) => ({ env })) : []), // the environment overrides the digests file
      ...ENGINE_ENV.map((env) => ({ env })),
      { env: shapeEnv(name) }, // the modes and folders the engine receives (plugin/shapes.ts sets it each run)
      { env: 'IMAGE_PLATFORMS' }, // the platforms it is built for (the option's are in the target's options)
      // No npm package shapes an image except through the command lines the build recipe pins (core/recipe.ts);
      // an empty list keeps Nx from hashing the whole lockfile.
      { externalDependencies: [] },
    ],
    shape: shape.digest('hex').slice(0, 16),
    ...(dropped && {
      droppedRead:
        `${chain[0].dockerfile}:${dropped.line} ${dropped.via} ${dropped.path}: the build context's ignore file (.dockerignore) ` +
        `keeps ${dropped.path} from the engine, so the build would fail with "not found" (the default rules drop secrets such as ` +
        `.env and keys). Copy another file, or, if it holds no secret, re-include it in .dockerignore with !${dropped.path}.`,
    }),
    wholeContext,
    alwaysBuild,
    copied,
  };
}
