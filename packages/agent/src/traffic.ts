import type { TensorData } from './runtime/model-session.js';

/** One request a simulated client can send: the model's inputs and, when known, the true label. */
export interface TrafficSample {
  feeds: Record<string, TensorData>;
  label?: number;
}

/** What {@link driveTraffic} needs of an agent: in-process inference and feedback. */
export interface TrafficTarget {
  infer(feeds: Record<string, TensorData>): Promise<{ predictionId: string }>;
  feedback(predictionId: string, label: number): void;
}

export interface TrafficOptions {
  /** Requests per second, per agent. */
  rps: number;
  /** Share of labelled predictions whose label is fed back (clients rarely label everything). @defaultValue 1 */
  labelRate?: number;
  /** @defaultValue Math.random */
  random?: () => number;
}

export interface TrafficStats {
  sent: number;
  /** Answered with an error other than "no model installed yet". */
  failed: number;
  /** Sent before the agent had a model: expected while a fleet starts. */
  notReady: number;
  labelled: number;
  errors: string[];
}

export interface Traffic {
  stats(): TrafficStats;
  stop(): Promise<void>;
}

const MAX_ERRORS = 10;

/**
 * Sends requests drawn at random from `samples` to every agent at `rps` each, feeding labels back, until stopped:
 * a simulated fleet whose telemetry and field accuracy come from real inference on real data.
 */
export function driveTraffic(agents: readonly TrafficTarget[], samples: readonly TrafficSample[], opts: TrafficOptions): Traffic {
  if (samples.length === 0) throw new RangeError('traffic needs at least one sample');
  if (!(opts.rps > 0)) throw new RangeError(`rps must be positive, got ${opts.rps}`);
  const random = opts.random ?? Math.random;
  const labelRate = opts.labelRate ?? 1;
  const periodMs = 1000 / opts.rps;
  const stats: TrafficStats = { sent: 0, failed: 0, notReady: 0, labelled: 0, errors: [] };
  let running = true;
  let wake: (() => void)[] = [];
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = wake.filter((w) => w !== done);
        resolve();
      }
      wake.push(done);
    });

  const loop = async (agent: TrafficTarget) => {
    // Agents start out of step, so a fleet's requests spread over the period instead of arriving together.
    await pause(random() * periodMs);
    while (running) {
      const started = performance.now();
      const sample = samples[Math.floor(random() * samples.length)]!;
      stats.sent++;
      try {
        const { predictionId } = await agent.infer(sample.feeds);
        if (sample.label !== undefined && random() < labelRate) {
          agent.feedback(predictionId, sample.label);
          stats.labelled++;
        }
      } catch (err) {
        if ((err as { code?: string }).code === 'model/not_ready') stats.notReady++;
        else {
          stats.failed++;
          if (stats.errors.length < MAX_ERRORS) stats.errors.push((err as Error).message);
        }
      }
      if (running) await pause(Math.max(0, periodMs - (performance.now() - started)));
    }
  };
  const loops = agents.map(loop);
  return {
    stats: () => ({ ...stats, errors: [...stats.errors] }),
    stop: async () => {
      running = false;
      for (const w of [...wake]) w();
      await Promise.all(loops);
    },
  };
}
