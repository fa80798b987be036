/** One image's line in the build summary. */
export interface SummaryEntry {
  name: string;
  /** `built`, `present`, `pulled`, `restored`, or `failed` / `skipped` when the task did not finish. */
  status: string;
  ref?: string;
  sizeBytes?: number;
  durationMs: number;
  /** Why an image failed or was skipped. */
  reason?: string;
}

function megabytes(bytes?: number): string {
  return bytes === undefined ? '-' : `${(bytes / 1_000_000).toFixed(1)} MB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The summary printed after a build: one aligned line per image (status, tag,
 * size, time) and a total line with the wall time and the count of each status.
 */
export function formatSummary(entries: SummaryEntry[], wallMs: number): string {
  const rows = entries.map((e) => [e.name, e.status, e.ref ?? '-', megabytes(e.sizeBytes), seconds(e.durationMs)]);
  const widths = rows.reduce((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), [] as number[]);
  const lines = rows.map((row, r) => {
    const line = `  ${row.map((cell, i) => (i >= 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ')}`;
    return entries[r].reason ? `${line}  (${entries[r].reason})` : line;
  });
  const counts = new Map<string, number>();
  entries.forEach((e) => counts.set(e.status, (counts.get(e.status) ?? 0) + 1));
  const tally = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
  return ['Images:', ...lines, `  total: ${entries.length} image${entries.length === 1 ? '' : 's'} (${tally}) in ${seconds(wallMs)}`].join(
    '\n',
  );
}
