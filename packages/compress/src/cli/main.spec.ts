import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MODELS, NPZ } from '../../test/fixtures.js';
import { useTempDir } from '../../test/temp-dir.js';
import { inspectModel } from '../inspect/inspect-model.js';
import { main } from './main.js';

/** Runs the CLI in-process and returns what it printed on stdout. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(args);
    return { code, stdout };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('edgefleet-compress', () => {
  const dir = useTempDir('cli');
  afterEach(() => vi.restoreAllMocks());

  it('inspect --json prints the inspection', async () => {
    const { code, stdout } = await cli('inspect', MODELS.lenet, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(await inspectModel(MODELS.lenet));
  });

  it('inspect prints a readable summary with the op table', async () => {
    const { stdout } = await cli('inspect', MODELS.mobilenet);
    expect(stdout).toContain('input_1:0 float32');
    expect(stdout).toMatch(/Conv\s+52/);
  });

  it('evaluate reports accuracy against the labels', async () => {
    const { stdout } = await cli('evaluate', MODELS.lenet, '--eval', NPZ.mnistCalib, '--runs', '5', '--json');
    const evaluation = JSON.parse(stdout);
    // 982 of the first 1,000 t10k images (measured by the eval tests independently).
    expect(evaluation.accuracy.top1).toBeCloseTo(0.982, 6);
  });

  it('prune --channels writes a smaller model and nothing else', async () => {
    const out = path.join(dir, 'pruned');
    const { stdout } = await cli('prune', MODELS.lenet, '--channels', '0.25', '-o', out, '--json');
    const result = JSON.parse(stdout);
    expect(readdirSync(out)).toEqual(['model.pruned-channels-0.25.onnx']);
    expect(result.bytes).toBeLessThan(result.originalBytes);
    const pruned = await inspectModel(path.join(out, 'model.pruned-channels-0.25.onnx'));
    expect(pruned.macs!).toBeLessThan(0.8 * (await inspectModel(MODELS.lenet)).macs!);
  });

  it('quantize --mode fp16 halves the file', async () => {
    const file = path.join(dir, 'lenet-fp16.onnx');
    await cli('quantize', MODELS.lenet, '--mode', 'fp16', '-o', file);
    expect(readFileSync(file).length).toBeLessThan(0.52 * readFileSync(MODELS.lenet).length);
  });

  it('auto writes one variant per profile and recipe and reports the recommendation', async () => {
    const out = path.join(dir, 'auto');
    const { stdout } = await cli('auto', MODELS.lenet, '--profile', 'mcu-int8', '--calib', NPZ.mnistCalib, '--max-samples', '500', '-o', out, '--json');
    const [result] = JSON.parse(stdout);
    expect(result.recommended).toBe('int8-static');
    expect(result.variants[0].file).toBe(path.join(out, 'mcu-int8', 'model.int8-static.onnx'));
    expect(readdirSync(path.join(out, 'mcu-int8'))).toEqual(['model.int8-static.onnx']);
    await expect(cli('auto', MODELS.lenet, '--profile', 'no-such-board')).rejects.toThrow(/unknown profile/);
  });

  it('distill prunes, distills with a held-out split and reports the table', async () => {
    const out = path.join(dir, 'distilled');
    const { code, stdout } = await cli('distill', MODELS.lenet, '-o', out, '--data', NPZ.mnistCalib, '--data', NPZ.mnistCalib, '--prune', '0.5', '--epochs', '2', '--held-out', '0.1', '--threads', '2', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(readdirSync(out)).toEqual(['model.pruned50-distilled.onnx']);
    expect(result.reports.map((r: { pass: string }) => r.pass)).toEqual(['prune-channels', 'distill']);
    expect(result.reports[1].details).toMatchObject({ trainSamples: 1800, heldOutSamples: 200 });
    expect(result.macs).toBeLessThan(0.6 * result.teacherMacs);
    expect(result.reports[1].details.heldOut.after.accuracy).toBeGreaterThan(0.9);
    const text = await cli('distill', MODELS.lenet, '-o', path.join(dir, 'd.onnx'), '--data', NPZ.mnistCalib, '--epochs', '1', '--threads', '2');
    expect(text.stdout).toMatch(/teacher\s+[\d,]+/);
    expect(text.stdout).toMatch(/distilled\s+[\d,]+/);
    await expect(cli('distill', MODELS.lenet, '-o', dir)).rejects.toThrow(/--data/);
  }, 60_000);

  it('distill --student mlp trains a built-in student; --prune with it is a usage error', async () => {
    const out = path.join(dir, 'mlp');
    const { code, stdout } = await cli('distill', MODELS.lenet, '-o', out, '--data', NPZ.mnistCalib, '--student', 'mlp', '--width', '0.5', '--epochs', '3', '--lr', '0.05', '--threads', '2', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(readdirSync(out)).toEqual(['model.mlp-distilled.onnx']);
    expect(result.reports.map((r: { pass: string }) => r.pass)).toEqual(['build-student', 'distill']);
    expect(result.reports[0].details).toMatchObject({ architecture: 'mlp', width: 0.5 });
    expect(result.reports[1].details.heldOut.after.accuracy).toBeGreaterThan(0.75);
    expect(result.reports[1].details.heldOut.before.accuracy).toBeLessThan(0.3);
    await expect(cli('distill', MODELS.lenet, '-o', dir, '--data', NPZ.mnistCalib, '--student', 'mlp', '--prune', '0.5')).rejects.toThrow(/--prune/);
    await expect(cli('distill', MODELS.lenet, '-o', dir, '--data', NPZ.mnistCalib, '--student', 'resnet')).rejects.toThrow(/--student/);
  });

  it('refuses bad usage and bad models with typed errors, leaving no output', async () => {
    await expect(cli('quantize', MODELS.lenet, '-o', dir)).rejects.toThrow(/--mode/);
    await expect(cli('prune', MODELS.lenet, '--channels', 'many', '-o', dir)).rejects.toThrow(/number/);
    const junk = path.join(dir, 'junk.onnx');
    writeFileSync(junk, 'not a model');
    const out = path.join(dir, 'junk-out');
    await expect(cli('optimize', junk, '-o', out)).rejects.toMatchObject({ code: 'model/not_onnx' });
    expect(() => readdirSync(out)).toThrow();
  });
});
