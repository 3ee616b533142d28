import { describe, expect, it } from 'vitest';
import { formatBytes, renderTable } from './table.js';

describe(renderTable.name, () => {
  it('aligns text left and numbers right', () => {
    const out = renderTable(['recipe', 'bytes'], [['fp32', 1000], ['int8-static', 25]]).split('\n');
    expect(out[0]).toBe('recipe       bytes');
    expect(out[2]).toBe('fp32          1000');
    expect(out[3]).toBe('int8-static     25');
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(248756)).toBe('242.9 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.00 MiB');
  });
});
