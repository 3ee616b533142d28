import fs from 'node:fs';
import path from 'node:path';
import type { DeviceFacts } from '@edgefleet/contracts';

export type Accelerator = DeviceFacts['accelerators'][number];

/** PCI vendor ids of display/compute devices under /sys/class/drm. */
const GPU_VENDORS: Record<string, string> = { '0x10de': 'NVIDIA', '0x1002': 'AMD', '0x8086': 'Intel' };

/** Character devices that edge NPUs/TPUs expose, with what to call them. */
const DEVICE_NODES: { node: string; kind: Accelerator['kind']; name: string }[] = [
  { node: 'dev/apex_0', kind: 'tpu', name: 'Coral Edge TPU (PCIe)' },
  { node: 'dev/rknpu', kind: 'npu', name: 'Rockchip NPU' },
  { node: 'dev/hailo0', kind: 'npu', name: 'Hailo NPU' },
  { node: 'dev/vsi_npu', kind: 'npu', name: 'VeriSilicon NPU' },
];

const read = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};
const list = (dir: string) => {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
};

/**
 * What accelerators a Linux device has, from the kernel's own files (no vendor tools, nothing spawned): NVIDIA GPUs
 * from the driver's /proc entries (model names), other GPUs from /sys/class/drm's PCI vendors, a Jetson from the
 * device tree, and NPUs/TPUs from their device nodes. `root` is the filesystem root (a test passes a fake tree).
 * Anything unreadable is simply not reported: facts must never stop an enrollment.
 */
export function detectAccelerators(root = '/'): Accelerator[] {
  const found: Accelerator[] = [];
  const nvidia = path.join(root, 'proc/driver/nvidia/gpus');
  for (const bus of list(nvidia).sort()) {
    const model = /^Model:\s*(.+)$/m.exec(read(path.join(nvidia, bus, 'information')) ?? '')?.[1]?.trim();
    found.push({ kind: 'gpu', name: (model ?? `NVIDIA GPU ${bus}`).slice(0, 200) });
  }
  if (found.length === 0) {
    const drm = path.join(root, 'sys/class/drm');
    const seen = new Set<string>();
    for (const card of list(drm).filter((c) => /^card\d+$/.test(c)).sort()) {
      const vendor = read(path.join(drm, card, 'device/vendor'))?.trim().toLowerCase();
      const device = read(path.join(drm, card, 'device/device'))?.trim().toLowerCase();
      const name = vendor ? GPU_VENDORS[vendor] : undefined;
      if (!name || seen.has(`${vendor}:${device}`)) continue;
      seen.add(`${vendor}:${device}`);
      found.push({ kind: 'gpu', name: `${name} GPU${device ? ` ${device}` : ''}` });
    }
  }
  const model = read(path.join(root, 'proc/device-tree/model'))?.replace(/\0/g, '').trim();
  if (model && /jetson/i.test(model) && !found.some((a) => a.kind === 'gpu')) found.push({ kind: 'gpu', name: model.slice(0, 200) });
  for (const d of DEVICE_NODES) if (fs.existsSync(path.join(root, d.node))) found.push({ kind: d.kind, name: d.name });
  return found.slice(0, 16);
}
