import { describe, expect, it } from 'vitest';
import { pairedRatio, statsOf } from './stats';

describe('pairedRatio', () => {
  it('takes the median of the per-round ratios, not the ratio of the medians', () => {
    // A machine that slows down through the rounds: ours is faster in two rounds of three.
    const ours = statsOf([900, 2100, 2700]);
    const baseline = statsOf([1000, 2000, 3000]);
    expect(baseline.median / ours.median).toBeCloseTo(2000 / 2100, 6);
    expect(pairedRatio(ours, baseline)).toBeCloseTo(1000 / 900, 6);
  });
  it('pairs run i with run i', () => {
    // Per-round ratios 2000/900, 1000/2100, 3000/2700.
    expect(pairedRatio(statsOf([900, 2100, 2700]), statsOf([2000, 1000, 3000]))).toBeCloseTo(3000 / 2700, 6);
  });
  it('refuses series of different lengths', () => {
    expect(() => pairedRatio(statsOf([1, 2]), statsOf([1]))).toThrow(/2 runs of ours against 1/);
  });
});
