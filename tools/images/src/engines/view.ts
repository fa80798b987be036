import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { normalizePluginOptions, resolveEngineSettings, type ImagesPluginOptions } from '../core/options';
import { HASH_LABEL, LATEST_TAG } from '../core/naming';
import { engineAnswerTimeoutMs } from './commands';
import { engineAdapter } from './index';
import { settingsKey } from './types';

/**
 * The variable bin/build.sh reads: what the engine held when the run started. Named
 * `BUILD_…` because the Nx daemon keeps variables of that prefix out of its own environment
 * (`daemon/client/daemon-environment.js`, its CI-platform exclusions): any other name, set
 * by this hook on every run with a new value, is an environment change to the daemon, which
 * then throws away its project graph and computes it again on the next run (0.3 s of a
 * daemon-on no-op here: 1.20 s against 0.89 s). tests/graph.spec.ts fails when that comes back.
 */
export const VIEW_ENV = 'BUILD_NX_IMAGES_VIEW';

/**
 * How long the one engine query may take before the run goes on without a view: 10 s, or less
 * when IMAGE_ENGINE_TIMEOUT allows the engine less (a stuck engine is then named sooner).
 */
const QUERY_TIMEOUT_MS = 10_000;
const queryTimeoutMs = () => Math.min(QUERY_TIMEOUT_MS, engineAnswerTimeoutMs());

/**
 * The view's first line: the settings it was taken under (settingsKey). bin/build.sh trusts a
 * view only when its own settings are the same (with the Nx daemon on, this hook runs in the
 * daemon, whose environment can differ from the run's).
 */
export function viewHeader(options: { engine?: string; client?: string }, env: Record<string, string | undefined>): string {
  return `view2|${settingsKey(options, env)}`;
}

/**
 * From `repository:tag id` lines, one line per image repository under the prefix whose
 * `:latest` exists: `<repository> <id> <tag>,<tag>… <hash label>`, the tags that image
 * carries in that repository and its `org.ffreis.nx-hash` label from `labels` (id → value;
 * `-` when unknown), which is what bin/build.sh reads: it claims an image only when the
 * label is the task's hash, as its `image inspect` fallback does. Then, when they fit, one
 * `+<repository> <tag>,<tag>…` line per repository with every tag it holds, and `+complete`
 * (what the full program reads: heldAtStart). Podman names unqualified repositories `localhost/<name>`.
 */
export function viewLines(listing: string, prefix: string, labels: Map<string, string> = new Map()): string[] {
  const byRepo = new Map<string, { id: string; tag: string }[]>();
  for (const line of listing.split('\n')) {
    const [ref, id] = line.trim().split(/\s+/);
    if (!ref || !id) continue;
    const colon = ref.lastIndexOf(':');
    const repository = ref.slice(0, colon).replace(/^localhost\//, '');
    if (!repository.startsWith(`${prefix}/`)) continue;
    byRepo.set(repository, [...(byRepo.get(repository) ?? []), { id: id.replace(/^sha256:/, ''), tag: ref.slice(colon + 1) }]);
  }
  const lines: string[] = [];
  for (const [repository, tags] of byRepo) {
    const latest = tags.find((t) => t.tag === LATEST_TAG);
    if (!latest) continue;
    const carried = tags.filter((t) => t.id === latest.id).map((t) => t.tag);
    lines.push(`${repository} ${latest.id} ${carried.join(',')} ${labels.get(latest.id) || '-'}`);
  }
  // Every tag of every repository, for the full program's "absent when the run started"
  // (heldAtStart); left out whole when it would make the variable too long for exec.
  const everyTag = [...byRepo].map(([repository, tags]) => `${ALL_TAGS}${repository} ${tags.map((t) => t.tag).join(',')}`);
  const size = [...lines, ...everyTag].reduce((total, line) => total + line.length + 1, 0);
  return size <= MAX_VIEW_BYTES ? [...lines, ...everyTag, COMPLETE] : lines;
}

/** Marks a line of every tag a repository held (bin/build.sh's `<repository> ` match never takes it). */
const ALL_TAGS = '+';
/** The last line of a view that holds every tag of every repository. */
const COMPLETE = '+complete';
/** Well under Linux's 128 KiB for one environment string. */
const MAX_VIEW_BYTES = 48 * 1024;

/**
 * Whether the engine held `repository:tag` when the run started, from the view the hook
 * handed to this task: `false` only when the view is for this engine, client and store
 * and lists every tag; `undefined` (ask the engine) otherwise. The view is never taken as
 * proof that an image is there: an image absent at the start that another process built
 * meanwhile is only built again, under the same hash.
 */
export function heldAtStart(view: string | undefined, header: string, repository: string, tag: string): boolean | undefined {
  const lines = (view ?? '').split('\n');
  if (lines[0] !== header || lines[lines.length - 1] !== COMPLETE) return undefined;
  const line = lines.find((l) => l.startsWith(`${ALL_TAGS}${repository} `));
  return line
    ? line
        .slice(line.indexOf(' ') + 1)
        .split(',')
        .includes(tag)
    : false;
}

/** A listing in flight: its answer, and `hold()`, which lets its child and timer keep the process open. */
interface Listing {
  answer: Promise<string | undefined>;
  hold(): void;
}

type Handle = { ref?(): unknown; unref?(): unknown } | null | undefined;

/**
 * Lists with the engine's client; until `hold()`, nothing of it keeps the process open. `partial`:
 * what it printed counts even when it exits non-zero (an inspect of several refs, one of them absent).
 */
function list(command: string, args: string[], partial = false): Listing {
  let handles: Handle[] = [];
  const answer = new Promise<string | undefined>((resolve) => {
    const child = execFile(command, args, { maxBuffer: 64 * 2 ** 20 }, (error, stdout) => {
      clearTimeout(timer);
      resolve(error && !(partial && stdout) ? undefined : stdout);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), queryTimeoutMs());
    handles = [child, child.stdout as Handle, child.stderr as Handle, timer];
  });
  for (const handle of handles) handle?.unref?.();
  return {
    answer,
    hold: () => {
      for (const handle of handles) handle?.ref?.();
    },
  };
}

/** What a run's listing asks: the view's header (engine, client and store), the prefix, the command, the label query. */
export interface ViewQuery {
  header: string;
  prefix: string;
  command: { command: string; args: string[] };
  labels: (...ids: string[]) => { command: string; args: string[] };
  /** `<prefix>/<image>:latest` of the workspace's images, when known: their labels are asked beside the listing, not after it. */
  latest?: string[];
}

/** The ids under `:latest` of repositories under the prefix (the images bin/build.sh may claim). */
export function latestIds(listing: string, prefix: string): string[] {
  return [...new Set(viewLines(listing, prefix).flatMap((line) => (line.startsWith('+') ? [] : [line.split(' ')[1]])))];
}

/** `<id> <label>` lines (ids with or without `sha256:`) → id → label. */
export function parseLabels(answer: string | undefined): Map<string, string> {
  const labels = new Map<string, string>();
  for (const line of (answer ?? '').split('\n')) {
    const [id, label] = line.trim().split(/\s+/);
    if (id && label) labels.set(id.replace(/^sha256:/, ''), label);
  }
  return labels;
}

export function viewQuery(rawOptions: ImagesPluginOptions | undefined, images: string[] = []): ViewQuery | undefined {
  try {
    const options = normalizePluginOptions(rawOptions);
    const settings = resolveEngineSettings(options, process.env);
    return {
      header: viewHeader(options, process.env),
      prefix: options.prefix,
      command: engineAdapter(settings.engine, settings.client).listLabelled(HASH_LABEL),
      labels: (...ids) => engineAdapter(settings.engine, settings.client).labelOf(HASH_LABEL, ...ids),
      ...(images.length > 0 ? { latest: images.map((name) => `${options.prefix}/${name}:${LATEST_TAG}`) } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The view a listing gives ('' when the engine did not answer), and its children: the listing,
 * then one `image inspect` of the images under `:latest` for their hash labels (an image whose
 * label cannot be read is never claimed from the view).
 */
function takeView(query: ViewQuery): { view: Promise<string>; hold(): void } {
  const listing = list(query.command.command, query.command.args);
  let held = false;
  // With the images' names known, their labels are asked at once, beside the listing (an absent
  // :latest only leaves its image out); else after it, by the ids it found under :latest.
  let inspect: Listing | undefined;
  if (query.latest?.length) {
    const command = query.labels(...query.latest);
    inspect = list(command.command, command.args, true);
  }
  const view = listing.answer.then(async (answer) => {
    if (answer === undefined) return '';
    if (!inspect) {
      const ids = latestIds(answer, query.prefix);
      if (ids.length > 0) {
        const command = query.labels(...ids);
        inspect = list(command.command, command.args, true);
        if (held) inspect.hold();
      }
    }
    const labels = parseLabels(inspect ? await inspect.answer : undefined);
    return [query.header, ...viewLines(answer, query.prefix, labels)].join('\n');
  });
  return {
    view,
    hold: () => {
      held = true;
      listing.hold();
      inspect?.hold();
    },
  };
}

/** A listing started while Nx built the graph, for this process's next task run. */
let prefetched: { at: number; key: string; view: Promise<string>; hold(): void } | undefined;
let prefetchTried = false;
/** How old a prefetched listing may be when the run's hook takes it. */
const PREFETCH_MAX_AGE_MS = 5_000;

/**
 * Starts the run's engine listing while Nx builds the project graph (createNodes), so it
 * runs beside that work instead of after it; preTasksExecution takes it. Only in a process
 * that serves one run (`oneRun`: the Nx daemon and plugin workers live across runs, so there
 * it would be stale), at most once, and taken only when it is recent and for the same
 * engine, client and store. The child does not hold the process open until the hook takes
 * it (a command with no tasks, `nx show projects`, exits without waiting for it).
 */
export function prefetchEngineView(rawOptions: ImagesPluginOptions | undefined, oneRun: boolean, images: string[] = []): void {
  if (!oneRun || prefetchTried) return;
  prefetchTried = true;
  const query = viewQuery(rawOptions, images);
  if (query) prefetched = { at: Date.now(), key: keyOf(query), ...takeView(query) };
}

function keyOf(query: ViewQuery): string {
  return `${query.header}\n${query.prefix}`;
}

/** The prefetched view, once, when it is recent and for the same query. */
export function takePrefetched(query: ViewQuery): Promise<string> | undefined {
  const taken = prefetched;
  prefetched = undefined;
  if (!taken || taken.key !== keyOf(query) || Date.now() - taken.at > PREFETCH_MAX_AGE_MS) return undefined;
  taken.hold();
  return taken.view;
}

/** The value of BUILD_NX_IMAGES_VIEW that names the file a run's view is written to (plugin/view-hook.ts). */
export const VIEW_FILE = 'file:';

/**
 * `file:<wait>:<path>`: the file a run's view is written to, and how long a task may wait for
 * it, in hundredths of a second (bin/build.sh counts its waits in those): the listing's own
 * bound and one second more. The hook writes the file, the view or '' when the engine did not
 * answer, within that bound, so a slow engine (podman over a large store takes seconds to
 * list) still gives every task the run's one view; only a daemon that dies mid-run leaves the
 * tasks waiting that long, and they then ask the engine themselves.
 */
export function viewFileValue(file: string): string {
  return `${VIEW_FILE}${Math.ceil((queryTimeoutMs() + 1_000) / 10)}:${file}`;
}

/** The path in a `file:<wait>:<path>` value; undefined for a view itself, or a value of another shape. */
export function viewFileOf(value: string | undefined): string | undefined {
  const match = value?.startsWith(VIEW_FILE) ? /^(\d+):(.+)$/s.exec(value.slice(VIEW_FILE.length)) : null;
  return match ? match[2] : undefined;
}

/**
 * The view a task was handed: the variable itself, or the file it names (bin/build.sh has
 * waited for it). Undefined when there is none yet, or the engine did not answer: ask the engine.
 */
export function readView(value: string | undefined): string | undefined {
  if (!value?.startsWith(VIEW_FILE)) return value;
  const file = viewFileOf(value);
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8') || undefined;
  } catch {
    return undefined;
  }
}

/** The run's listing, started now; it keeps the process open until it answers. */
export function started(query: ViewQuery): Promise<string> {
  const taken = takeView(query);
  taken.hold();
  return taken.view;
}
