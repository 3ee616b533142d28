import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectAccelerators } from '../src/accelerators.js';
import { collectFacts } from '../src/facts.js';

/** A fake filesystem root holding only the files a test writes. */
async function fakeRoot(files: Record<string, string>): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'edgefleet-accel-'));
  for (const [file, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await fs.writeFile(path.join(root, file), content);
  }
  roots.push(root);
  return root;
}
const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => fs.rm(r, { recursive: true, force: true })));
});

describe('accelerator detection', () => {
  it('names NVIDIA GPUs from the driver', async () => {
    const root = await fakeRoot({
      'proc/driver/nvidia/gpus/0000:01:00.0/information': 'Model: \t NVIDIA H100 80GB HBM3\nIRQ: 35\n',
      'proc/driver/nvidia/gpus/0000:02:00.0/information': 'Model: \t NVIDIA L4\n',
      // the same GPUs also appear under drm; they must not be listed twice
      'sys/class/drm/card0/device/vendor': '0x10de\n',
    });
    expect(detectAccelerators(root)).toEqual([
      { kind: 'gpu', name: 'NVIDIA H100 80GB HBM3' },
      { kind: 'gpu', name: 'NVIDIA L4' },
    ]);
  });

  it('finds other GPUs by PCI vendor, a Jetson by its device tree, and NPUs/TPUs by their device nodes', async () => {
    expect(detectAccelerators(await fakeRoot({ 'sys/class/drm/card1/device/vendor': '0x1002\n', 'sys/class/drm/card1/device/device': '0x744c\n', 'sys/class/drm/renderD128/device/vendor': '0x1002' }))).toEqual([
      { kind: 'gpu', name: 'AMD GPU 0x744c' },
    ]);
    expect(detectAccelerators(await fakeRoot({ 'proc/device-tree/model': 'NVIDIA Jetson Orin Nano Developer Kit\0' }))).toEqual([{ kind: 'gpu', name: 'NVIDIA Jetson Orin Nano Developer Kit' }]);
    expect(detectAccelerators(await fakeRoot({ 'dev/apex_0': '', 'dev/rknpu': '' }))).toEqual([
      { kind: 'tpu', name: 'Coral Edge TPU (PCIe)' },
      { kind: 'npu', name: 'Rockchip NPU' },
    ]);
  });

  it('reports nothing (and does not throw) on a machine without any, and the facts stay valid', async () => {
    expect(detectAccelerators(await fakeRoot({ 'sys/class/drm/card0/device/vendor': '0x1a03\n' }))).toEqual([]);
    expect(detectAccelerators(path.join(os.tmpdir(), 'edgefleet-no-such-root'))).toEqual([]);
    const facts = collectFacts();
    expect(Array.isArray(facts.accelerators)).toBe(true);
    expect(facts.accelerators.every((a) => ['gpu', 'npu', 'tpu', 'dsp', 'other'].includes(a.kind) && a.name.length > 0)).toBe(true);
  });
});
