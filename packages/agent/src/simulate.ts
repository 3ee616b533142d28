import fs from 'node:fs/promises';
import path from 'node:path';
import { Agent, type AgentOptions } from './agent.js';
import { enrollIdentity } from './enroll.js';
import { SessionCache } from './runtime/model-session.js';
import { IdentityStore } from './state/identity-store.js';

export interface SimulateOptions extends Omit<AgentOptions, 'stateDir' | 'sessions' | 'log' | 'port'> {
  count: number;
  server: string;
  token: string;
  /** Each agent lives in `<stateDir>/agent-<i>`; agents already enrolled there are reused. */
  stateDir: string;
  /** Enrollments and starts in flight at once. @defaultValue 20 */
  concurrency?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface Simulation {
  agents: Agent[];
  sessions: SessionCache;
  stop(): Promise<void>;
}

async function pool<T>(n: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/**
 * N real agents in one process, for demos and load tests: each has its own identity and state directory, and they
 * share one ONNX session per artifact. Without `serve` none opens an HTTP port.
 */
export async function simulate(opts: SimulateOptions): Promise<Simulation> {
  const { count, server, token, stateDir: root, concurrency, log, ...agentOpts } = opts;
  const sessions = new SessionCache({ threads: opts.threads ?? 1 });
  const width = String(count - 1).length;
  const agents = await pool(count, concurrency ?? 20, async (i) => {
    const id = String(i).padStart(width, '0');
    const stateDir = path.join(root, `agent-${id}`);
    await fs.mkdir(stateDir, { recursive: true });
    if (!(await new IdentityStore(stateDir).load())) await enrollIdentity({ server, token, stateDir, name: `sim-${id}` });
    const agent = new Agent({ ...agentOpts, stateDir, port: 0, sessions, ...(log ? { log: (msg, fields) => log(msg, { agent: i, ...fields }) } : {}) });
    await agent.start();
    return agent;
  });
  return {
    agents,
    sessions,
    stop: async () => {
      await pool(agents.length, 50, (i) => agents[i]!.stop());
    },
  };
}
