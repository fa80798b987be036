import { ImageError } from '../core/errors';
import type { EngineAdapter } from './types';
import { contentDigest, firstFileOf } from '../core/tar-digest';
import { runEngine, runEngineBinary, startEngine } from './run-engine';

/** What `image inspect` tells of one image. */
export interface ImageFacts {
  id: string;
  sizeBytes: number;
  tags: string[];
  labels: Record<string, string>;
  /** `os/architecture`, e.g. `linux/arm64`. */
  platform?: string;
}

export { HASH_LABEL } from '../core/naming';

const MISSING = /no such (image|object)|image not known|failed to find image/i;

/** Inspects an image: its facts, or undefined when the engine does not hold that reference. */
export async function inspectImage(adapter: EngineAdapter, ref: string): Promise<ImageFacts | undefined> {
  const result = await runEngine(adapter, adapter.inspectImage(ref), { allowFailure: true });
  if (result.exitCode !== 0) {
    if (MISSING.test(result.stderr)) return undefined;
    throw new ImageError('ENGINE_FAILED', `${adapter.client} could not inspect ${ref}: ${result.stderr.trim()}`);
  }
  return parseFacts(adapter, ref, result.stdout.trim().split('\n')[0]);
}

/**
 * Inspects several images with one engine call: on the critical path every client process
 * counts (about 80 ms of CPU each on a 2-core machine). The engine answers one line per
 * image in the order asked, and fails the whole call when any is missing or it cannot
 * answer: each is then asked alone, so a missing image reads as undefined, as with inspectImage.
 */
export async function inspectImages(adapter: EngineAdapter, refs: string[]): Promise<(ImageFacts | undefined)[]> {
  if (refs.length > 1) {
    const result = await runEngine(adapter, adapter.inspectImage(...refs), { allowFailure: true });
    const lines = result.stdout.trim().split('\n');
    if (result.exitCode === 0 && lines.length === refs.length) return refs.map((ref, i) => parseFacts(adapter, ref, lines[i]));
  }
  return Promise.all(refs.map((ref) => inspectImage(adapter, ref)));
}

/** One line of INSPECT_FORMAT: `<id>|<size>|<tags json>|<labels json>|<os>/<arch>`. */
function parseFacts(adapter: EngineAdapter, ref: string, line: string): ImageFacts {
  const fields = line.split('|');
  const platform = fields.length > 4 ? fields.pop() : undefined;
  const [id, size, tags] = fields;
  // A label's value may hold "|": the labels are whatever lies between the tags and the platform.
  const labels = fields.slice(3).join('|');
  if (!id || !/^(sha256:)?[0-9a-f]{12,}$/.test(id.trim())) {
    throw new ImageError(
      'ENGINE_FAILED',
      `${adapter.client} answered \`image inspect ${ref}\` with success but no image id ` +
        `(${JSON.stringify(line.slice(0, 80))}): it is not a working ${adapter.name} client.\n` +
        `Point CONTAINER_CLIENT at ${adapter.name}'s binary, or unset it.`,
    );
  }
  const parse = <T>(text: string | undefined, fallback: T): T => {
    try {
      return (JSON.parse(text || 'null') as T | null) ?? fallback;
    } catch {
      return fallback;
    }
  };
  return {
    id: id.trim(),
    sizeBytes: Number(size),
    tags: parse<string[]>(tags, []),
    labels: parse<Record<string, string>>(labels, {}),
    ...(platform ? { platform: platform.trim() } : {}),
  };
}

/** Removes one tag (the image stays while other tags or children hold it). */
export async function untagImage(adapter: EngineAdapter, ref: string): Promise<void> {
  await runEngine(adapter, adapter.removeImages([ref]), { allowFailure: true });
}

/** What docker and podman answer when a container still uses the image a tag names. */
const IN_USE = /is using its referenced image|being used by|in use by a container|must be forced|\(must force\)/i;

/** Waits before taking a tag's removal again, while a scratch container's removal ends. */
const REMOVAL_WAITS_MS = [100, 300, 1000];

/**
 * Removes one tag, and the image with its last tag. A container copying files out of the
 * image (copyEach) is removed without waiting: when its removal has not ended, or a killed
 * program left it behind, the engine refuses the image. Those scratch containers of that
 * image, and only they (SCRATCH_LABEL), are removed and the tag's removal is taken again.
 * A tag the engine no longer holds is not an error; any other failure is, naming the command.
 */
export async function removeTag(adapter: EngineAdapter, tag: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const result = await runEngine(adapter, adapter.removeImages([tag]), { allowFailure: true });
    if (result.exitCode === 0 || MISSING.test(result.stderr)) return;
    if (attempt >= REMOVAL_WAITS_MS.length || !IN_USE.test(result.stderr)) {
      throw new ImageError('ENGINE_FAILED', `${adapter.client} rmi ${tag} failed: ${result.stderr.trim()}`);
    }
    // By the image's id: podman matches `ancestor=<name>` only against the name a container was
    // created with, which may be another tag of the image (`:latest`), removed already.
    const held = await inspectImage(adapter, tag).catch(() => undefined);
    const ancestor = held ? held.id.replace(/^sha256:/, '') : tag;
    const scratch = await runEngine(adapter, adapter.listScratchContainers(ancestor), { allowFailure: true });
    for (const container of scratch.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)) {
      await runEngine(adapter, adapter.removeContainer(container), { allowFailure: true });
    }
    await new Promise((resolve) => setTimeout(resolve, REMOVAL_WAITS_MS[attempt]));
  }
}

/** Points `target` at `source`. */
export async function tagImage(adapter: EngineAdapter, source: string, target: string): Promise<void> {
  await runEngine(adapter, adapter.tag(source, target));
}

/** Waits between listings that podman failed with "image not known": about seven seconds in all. */
const LISTING_WAITS_MS = [100, 200, 300, 400, 1000, 2000, 3000];

/**
 * Every `repository:tag` the engine holds for a repository. Podman's listing fails
 * with "image not known" when another process removes an image meanwhile: the other
 * images' `clean` tasks of the same run, for several seconds. That listing is taken
 * again, waiting longer each time.
 */
export async function listTags(adapter: EngineAdapter, repository: string): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    const result = await runEngine(adapter, adapter.listTags(repository), { allowFailure: true });
    if (result.exitCode === 0)
      return result.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.endsWith(':<none>'));
    if (attempt >= LISTING_WAITS_MS.length || !/image not known/i.test(result.stderr)) {
      throw new ImageError('ENGINE_FAILED', `${adapter.client} could not list the tags of ${repository}: ${result.stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, LISTING_WAITS_MS[attempt]));
  }
}

/**
 * Tags in other repositories of the images one repository holds, named after the same image
 * (`127.0.0.1:5000/ffreis/runner:latest` beside `ffreis/runner`): what `push` and a pull from a
 * registry leave in the engine. Only labelled images (this plugin's builds) are looked at.
 */
export async function registryCopies(adapter: EngineAdapter, repository: string, label: string): Promise<string[]> {
  const result = await runEngine(adapter, adapter.listLabelled(label), { allowFailure: true });
  if (result.exitCode !== 0) return [];
  const name = repository.slice(repository.lastIndexOf('/') + 1);
  const entries = result.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([ref, id]) => ref && id && !ref.endsWith(':<none>'))
    .map(([ref, id]) => ({ ref, id, repo: ref.slice(0, ref.lastIndexOf(':')).replace(/^localhost\//, '') }));
  const ids = new Set(entries.filter((e) => e.repo === repository).map((e) => e.id));
  return entries.filter((e) => e.repo !== repository && e.repo.endsWith(`/${name}`) && ids.has(e.id)).map((e) => e.ref);
}

/**
 * Each path's tar (`cp <container>:<path> -`, or the failure) out of a container created from
 * the image, never started, and removed afterwards without waiting: the removal is off the
 * critical path (the child's hash waits for these digests).
 */
async function copyEach<T>(adapter: EngineAdapter, ref: string, paths: string[], each: (tar: Promise<Uint8Array>) => Promise<T>) {
  const created = await runEngine(adapter, adapter.createContainer(ref));
  const container = created.stdout.trim().split('\n').pop() as string;
  try {
    const results = await Promise.all(paths.map((path) => each(runEngineBinary(adapter, adapter.copyOut(container, path)))));
    return Object.fromEntries(paths.map((path, i) => [path, results[i]]));
  } finally {
    startEngine(adapter.removeContainer(container));
  }
}

/**
 * Digests of what children copy out of an image (`COPY --from` paths), times left out:
 * a child that only copies from this image is hashed on these, not on this image's inputs.
 */
export async function exportDigests(adapter: EngineAdapter, ref: string, paths: string[]): Promise<Record<string, string>> {
  return copyEach(adapter, ref, paths, async (tar) => contentDigest(await tar));
}

/**
 * The text of files inside an image; a path the image lacks reads as undefined. For the
 * SBOM: dpkg's status, os-release, the app's lock.
 */
export async function readImageFiles(adapter: EngineAdapter, ref: string, paths: string[]): Promise<Record<string, string | undefined>> {
  return copyEach(adapter, ref, paths, async (tar) => {
    try {
      return firstFileOf(await tar)?.toString('utf8');
    } catch (error) {
      if (error instanceof ImageError && error.code === 'ENGINE_FAILED') return undefined;
      throw error;
    }
  });
}
