import { describe, expect, it } from 'vitest';
import { formatCountdown, formatDurationS, formatRelative } from './time';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

describe('formatRelative', () => {
  it('names the coarsest whole unit, past and future', () => {
    expect(formatRelative(ago(2), NOW)).toBe('just now');
    expect(formatRelative(ago(42), NOW)).toBe('42 s ago');
    expect(formatRelative(ago(5 * 60 + 59), NOW)).toBe('5 min ago');
    expect(formatRelative(ago(3 * 3600 + 10), NOW)).toBe('3 h ago');
    expect(formatRelative(ago(2 * 86_400 + 5), NOW)).toBe('2 d ago');
    expect(formatRelative(ago(-30), NOW)).toBe('in 30 s');
  });
  it('says never for a missing time and passes through what it cannot parse', () => {
    expect(formatRelative(null, NOW)).toBe('never');
    expect(formatRelative('yesterday', NOW)).toBe('yesterday');
  });
});

describe('formatCountdown', () => {
  it('formats minutes and hours and clamps at zero', () => {
    expect(formatCountdown(65_000)).toBe('1:05');
    expect(formatCountdown(3_725_000)).toBe('1:02:05');
    expect(formatCountdown(400)).toBe('0:01');
    expect(formatCountdown(-5_000)).toBe('0:00');
  });
});

describe('formatDurationS', () => {
  it('keeps the two largest units', () => {
    expect(formatDurationS(600)).toBe('10 min');
    expect(formatDurationS(90)).toBe('1 min 30 s');
    expect(formatDurationS(86_400 + 3600 + 5)).toBe('1 d 1 h');
    expect(formatDurationS(0)).toBe('0 s');
  });
});
