import os from 'node:os';
import type { DeviceFacts } from '@edgefleet/contracts';
import { detectAccelerators } from './accelerators.js';
import { runtimeVersion } from './runtime/model-session.js';

export const AGENT_VERSION = '0.1.0';

/** What the device says about itself at enrollment (arch decides the hardware profile). */
export function collectFacts(): DeviceFacts {
  const cpus = os.cpus();
  return {
    v: 1,
    arch: os.arch(),
    cpuModel: (cpus[0]?.model ?? '').trim().slice(0, 200),
    cpuCores: Math.max(1, cpus.length),
    ramBytes: os.totalmem(),
    accelerators: os.platform() === 'linux' ? detectAccelerators() : [],
    os: `${os.platform()} ${os.release()}`.slice(0, 200),
    onnxruntimeVersion: runtimeVersion(),
    agentVersion: AGENT_VERSION,
  };
}
