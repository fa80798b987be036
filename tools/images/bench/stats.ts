/** Median, min and max of a series of wall times, in ms. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function statsOf(runs: number[]): Stats {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs };
}

/** `4.21 s (3.90–4.80)`. */
export function formatStats(stats: Stats): string {
  const s = (ms: number) => (ms / 1000).toFixed(2);
  return `${s(stats.median)} s (${s(stats.min)}–${s(stats.max)})`;
}

/**
 * For two series run in turn (run i of each side in the same round): the median of the
 * per-round ratios, baseline ÷ ours. Each round's pair shares the machine's state at that
 * moment, so this is steadier than the ratio of two medians when the machine drifts.
 */
export function pairedRatio(ours: Stats, baseline: Stats): number {
  if (ours.runs.length !== baseline.runs.length || ours.runs.length === 0) {
    throw new Error(`pairedRatio: ${ours.runs.length} runs of ours against ${baseline.runs.length} of the baseline`);
  }
  return statsOf(ours.runs.map((t, i) => baseline.runs[i] / t)).median;
}
