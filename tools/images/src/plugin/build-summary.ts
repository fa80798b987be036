import type { PostTasksExecution } from '@nx/devkit';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizePluginOptions, type ImagesPluginOptions } from '../core/options';
import { formatSummary, type SummaryEntry } from '../core/summary';
import { metadataPath, readMetadata } from '../executors/shared/metadata';

/**
 * After every Nx run that built images: one line per image (status, tag, size,
 * time) and the total, printed and written to `dist/images/summary.json`.
 * With the Nx daemon on, Nx runs this hook inside the daemon, so only the file is written.
 */
export const postTasksExecution: PostTasksExecution<ImagesPluginOptions> = async (rawOptions, context) => {
  const options = normalizePluginOptions(rawOptions);
  const entries: SummaryEntry[] = [];
  for (const result of Object.values(context.taskResults)) {
    const { task } = result;
    if (task.target.target !== 'build' || !task.projectRoot?.startsWith('images/')) continue;
    const name = task.target.project;
    const meta = readMetadata(metadataPath(context.workspaceRoot, options.outputDir, name));
    const durationMs = (task.endTime ?? 0) - (task.startTime ?? 0);
    const fresh = meta && meta.hash === task.hash;
    entries.push(
      result.status === 'success' && fresh
        ? { name, status: meta.status, ref: meta.ref, sizeBytes: meta.sizeBytes, durationMs: meta.durationMs }
        : { name, status: result.status === 'success' ? 'unknown' : result.status === 'skipped' ? 'skipped' : 'failed', durationMs: Math.max(durationMs, 0) },
    );
  }
  if (entries.length === 0) return;
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const wallMs = context.endTime - context.startTime;
  const dir = join(context.workspaceRoot, options.outputDir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({ images: entries, wallMs, finishedAt: new Date(context.endTime).toISOString() }, null, 2)}\n`);
  console.log(`\n${formatSummary(entries, wallMs)}\n`);
};
