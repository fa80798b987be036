import type { PostTasksExecution, ProjectGraph } from '@nx/devkit';
import { invocationRootPid, onNxDaemon, readCachedProjectGraph } from '../nx/runtime';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { normalizePluginOptions, type ImagesPluginOptions, type NormalizedPluginOptions } from '../core/options';
import { imageRef } from '../core/naming';
import { markedRunPid, processAgeMs, runMark, type MarkKind } from '../records/run-marks';
import { formatSummary, type SummaryEntry } from '../core/summary';
import { metadataPath, readMetadata, removeStamp } from '../records/metadata';
import { imageDockerfileOf } from './load-graph';

function imageParents(graph: ProjectGraph): Map<string, string[]> {
  const images = Object.values(graph.nodes)
    .filter((n) => imageDockerfileOf(n.data))
    .map((n) => n.name);
  return new Map(images.map((name) => [name, (graph.dependencies[name] ?? []).map((d) => d.target).filter((t) => images.includes(t))]));
}

/**
 * Every image of the run is in the summary: one whose parent failed never ran (Nx
 * leaves it out of the results, or marks it skipped), so it is listed as skipped with
 * the failed ancestor as the reason.
 */
function addSkipped(entries: SummaryEntry[], wholeRun: boolean): void {
  // Nothing failed, nothing skipped: no need to read the graph (a no-op run stays cheap).
  if (!entries.some((e) => e.status === 'failed' || e.status === 'skipped')) return;
  let parents: Map<string, string[]>;
  try {
    parents = imageParents(readCachedProjectGraph());
  } catch {
    return;
  }
  const failed = new Set(entries.filter((e) => e.status === 'failed').map((e) => e.name));
  const failedAncestor = (name: string, seen = new Set<string>()): string | undefined => {
    for (const parent of parents.get(name) ?? []) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      if (failed.has(parent)) return parent;
      const further = failedAncestor(parent, seen);
      if (further) return further;
    }
    return undefined;
  };
  for (const entry of entries) {
    if (entry.status === 'failed') entry.reason = 'its output is above';
    if (entry.status === 'skipped') {
      const cause = failedAncestor(entry.name);
      entry.reason = cause ? `parent ${cause} failed` : 'a dependency failed';
    }
  }
  if (failed.size === 0 || !wholeRun) return;
  for (const name of parents.keys()) {
    if (entries.some((e) => e.name === name)) continue;
    const cause = failedAncestor(name);
    if (cause) entries.push({ name, status: 'skipped', durationMs: 0, reason: `parent ${cause} failed` });
  }
}

/**
 * An image the run found present whose image.json is missing, unreadable or of another shape
 * (records/schemas.ts): its stamp goes, so the next run takes the full path, which finds the
 * image and writes the record again.
 */
function unrecorded(root: string, outputDir: string, name: string): string {
  removeStamp(join(root, outputDir, name));
  return `${posix.join(outputDir, name, 'image.json')} is missing or unreadable: the next run checks the image and writes it again`;
}

/**
 * The table that ends a preview: what each image would do (present, would pull, would build,
 * would follow <parent>) and under which tag, from the preview marks its tasks wrote.
 */
function previewTable(options: NormalizedPluginOptions, context: Parameters<PostTasksExecution>[1]): void {
  // In the Nx daemon, the run's pid is the one its tasks wrote their preview marks under.
  const rootPid = onNxDaemon()
    ? markedRunPid(join(context.workspaceRoot, options.outputDir), context.startTime, 'plans')
    : (invocationRootPid(process.env) ?? String(process.pid));
  if (!rootPid) return;
  const entries: SummaryEntry[] = [];
  for (const result of Object.values(context.taskResults)) {
    const { task } = result;
    if (task.target.target !== 'build' || !task.projectRoot?.startsWith('images/')) continue;
    const name = task.target.project;
    const [hash, ...action] = (runMark(join(context.workspaceRoot, options.outputDir, name), rootPid, 'plans') ?? '').split(' ');
    const durationMs = Math.max((task.endTime ?? 0) - (task.startTime ?? 0), 0);
    entries.push(
      result.status === 'success' && hash
        ? { name, status: action.join(' '), ref: imageRef(options.prefix, name, hash), durationMs }
        : { name, status: result.status === 'skipped' ? 'skipped' : 'failed', durationMs },
    );
  }
  if (entries.length === 0) return;
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const table = formatSummary(entries, context.endTime - context.startTime).replace(
    /^Images:/,
    'Preview (nothing was built, tagged or recorded):',
  );
  tell(`\n${table}\n`, context, options, 'plans');
  // A preview that failed on an image (a bad input) exits 1, as a failed build does, not Nx's 130.
  exitOneOnFailure(entries, context.taskResults);
}

/**
 * After every Nx run that built images: one line per image (status, tag, size,
 * time) and the total, printed and written to `dist/images/summary.json`.
 * With the Nx daemon on, Nx runs this hook inside the daemon: the summary still reaches the
 * command's terminal (see tell).
 */
export const postTasksExecution: PostTasksExecution<ImagesPluginOptions> = async (rawOptions, context) => {
  const options = normalizePluginOptions(rawOptions);
  // A preview (NX_IMAGES_PLAN) built nothing: its table says what each image would do; the last build's summary.json stays.
  // The daemon does not see the command's environment: there, a run whose tasks left preview marks and no run marks is one.
  const records = join(context.workspaceRoot, options.outputDir);
  const preview = onNxDaemon()
    ? !markedRunPid(records, context.startTime, 'runs') && Boolean(markedRunPid(records, context.startTime, 'plans'))
    : Boolean(process.env.NX_IMAGES_PLAN);
  if (preview) return previewTable(options, context);
  const entries: SummaryEntry[] = [];
  for (const result of Object.values(context.taskResults)) {
    const { task } = result;
    if (task.target.target !== 'build' || !task.projectRoot?.startsWith('images/')) continue;
    const name = task.target.project;
    const meta = readMetadata(metadataPath(context.workspaceRoot, options.outputDir, name));
    const durationMs = (task.endTime ?? 0) - (task.startTime ?? 0);
    const fresh = meta && meta.hash === task.hash;
    // A record written before this run means the fast path found the image present.
    const thisRun = meta && Date.parse(meta.finishedAt) >= context.startTime;
    entries.push(
      result.status === 'success' && fresh
        ? {
            name,
            status: thisRun ? meta.status : 'present',
            ref: meta.ref,
            sizeBytes: meta.sizeBytes,
            durationMs: thisRun ? meta.durationMs : Math.max(durationMs, 0),
            ...(thisRun && meta.reason ? { reason: meta.reason } : {}),
          }
        : {
            name,
            status: result.status === 'success' ? 'unknown' : result.status === 'skipped' ? 'skipped' : 'failed',
            durationMs: Math.max(durationMs, 0),
            ...(result.status === 'success' && !meta ? { reason: unrecorded(context.workspaceRoot, options.outputDir, name) } : {}),
          },
    );
  }
  if (entries.length === 0) return;
  // `run-many` and `affected` run every dependent of a failed image; `nx run x:build` runs none.
  addSkipped(
    entries,
    (context.argv ?? []).some((a) => a === 'run-many' || a === 'affected'),
  );
  entries.sort((a, b) => a.name.localeCompare(b.name));
  // The run's wall time: from the nx command's start (its graph, hashing and hooks too), not only the tasks'. In the
  // daemon, the command is the process its tasks marked their run with.
  const commandPid = onNxDaemon() ? markedRunPid(records, context.startTime, 'runs') : undefined;
  const age = commandPid ? processAgeMs(commandPid) : undefined;
  const startedAt = onNxDaemon() ? (age === undefined ? context.startTime : Date.now() - age) : Date.now() - process.uptime() * 1000;
  const wallMs = Math.max(context.endTime - context.startTime, context.endTime - startedAt);
  const dir = join(context.workspaceRoot, options.outputDir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'summary.json'),
    `${JSON.stringify({ images: entries, wallMs, finishedAt: new Date(context.endTime).toISOString() }, null, 2)}\n`,
  );
  tell(`\n${formatSummary(entries, wallMs)}\n`, context, options, 'runs');
  exitOneOnFailure(entries, context.taskResults);
};

/**
 * Prints to the terminal of the `nx` command that ran the tasks. Without the daemon this hook
 * runs in that process. With it, in the daemon, whose output goes to its log: the text goes to
 * the command's own standard output (`/proc/<pid>/fd/1`, Linux), the pid being the one its
 * tasks wrote their run marks under (invocationRootPid) during this run.
 */
function tell(text: string, context: Parameters<PostTasksExecution>[1], options: NormalizedPluginOptions, kind: MarkKind): void {
  if (!onNxDaemon()) {
    console.log(text);
    return;
  }
  const pid = markedRunPid(join(context.workspaceRoot, options.outputDir), context.startTime, kind);
  if (!pid) return;
  try {
    appendFileSync(`/proc/${pid}/fd/1`, `${text}\n`);
  } catch {
    // Not Linux, or the command is gone: summary.json still holds it.
  }
}

/**
 * Nx 23.3 ends a run whose failed task left dependents skipped with 130 (the code of an
 * interrupted run), because skipped tasks have no result (`didCommandComplete` in
 * tasks-runner/run-command.js). A failed build is a failure: when this hook runs in Nx's
 * own process (daemon off) and nothing was interrupted, that 130 becomes 1.
 */
function exitOneOnFailure(entries: SummaryEntry[], results: Record<string, { status: string }>): void {
  const failed = entries.some((e) => e.status === 'failed');
  const interrupted = Object.values(results).some((r) => r.status === 'stopped');
  if (!failed || interrupted || onNxDaemon()) return;
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => exit(code === 130 ? 1 : (code ?? undefined))) as typeof process.exit;
}
