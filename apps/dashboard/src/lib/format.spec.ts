import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatMs, formatPageRange, formatPercent, formatRatio, formatShape } from './format';

describe('format', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
    expect(formatBytes(3 * 1024 ** 3, 2)).toBe('3.00 GiB');
    expect(formatBytes(null)).toBe('–');
    expect(formatBytes(Number.NaN)).toBe('–');
  });

  it('formats fractions as percentages', () => {
    expect(formatPercent(0.9876)).toBe('98.8%');
    expect(formatPercent(1, 0)).toBe('100%');
    expect(formatPercent(undefined)).toBe('–');
  });

  it('formats milliseconds by magnitude', () => {
    expect(formatMs(0.423)).toBe('0.42 ms');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(1250)).toBe('1.25 s');
    expect(formatMs(null)).toBe('–');
  });

  it('formats counts, ratios and shapes', () => {
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1234)).toBe('1.23k');
    expect(formatCount(4_500_000)).toBe('4.50M');
    expect(formatCount(2e9)).toBe('2.00G');
    expect(formatRatio(0.2512)).toBe('0.25×');
    expect(formatShape([null, 3, 'h', 224])).toBe('[?, 3, h, 224]');
  });

  it('describes a page as "n–m of total"', () => {
    expect(formatPageRange(0, 20, 53)).toBe('1–20 of 53');
    expect(formatPageRange(40, 13, 53)).toBe('41–53 of 53');
    expect(formatPageRange(0, 0, 0)).toBe('0 of 0');
  });
});
