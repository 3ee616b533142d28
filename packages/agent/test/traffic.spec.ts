import { afterEach, describe, expect, it } from 'vitest';
import { ModelSession } from '../src/runtime/model-session.js';
import { type FeedbackItem, InferenceServer } from '../src/server/inference-server.js';
import { driveTraffic, type Traffic, type TrafficSample } from '../src/traffic.js';
import { LENET, mnistImages, mnistLabels, prng } from './onnx-models.js';

const MODEL = { sha256: 'a'.repeat(64), versionId: '7f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e', variantId: '8f1d1c1e-0f6a-4b8e-9a52-3f3c2b1a0d9e' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const digits = (n: number): TrafficSample[] => {
  const labels = mnistLabels(n);
  return mnistImages(n).map((data, i) => ({ feeds: { input: { dims: [1, 1, 28, 28], data } }, label: labels[i]! }));
};

describe('driveTraffic (LeNet-5 on MNIST digits, in process)', () => {
  const servers: InferenceServer[] = [];
  let traffic: Traffic | null = null;
  afterEach(async () => {
    await traffic?.stop();
    traffic = null;
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  const serve = (feedback: FeedbackItem[], inferences: boolean[]) => {
    const s = new InferenceServer({ onFeedback: (f) => void feedback.push(f), onInference: (_v, _ms, ok) => void inferences.push(ok) });
    servers.push(s);
    return s;
  };

  it('serves every agent at its rate and feeds back the share of labels asked for; a model not yet installed is not a failure', async () => {
    const feedback: FeedbackItem[] = [];
    const inferences: boolean[] = [];
    const agents = [serve(feedback, inferences), serve(feedback, inferences)];
    traffic = driveTraffic(agents, digits(200), { rps: 40, labelRate: 0.5, random: prng(7) });
    await sleep(300);
    const early = traffic.stats();
    expect(early.notReady).toBeGreaterThan(0);
    expect(early.failed).toBe(0);

    for (const a of agents) await a.swap(await ModelSession.create(LENET), MODEL);
    const served = inferences.length;
    await sleep(1500);
    await traffic.stop();
    const s = traffic.stats();
    const answered = inferences.length - served;
    // Two agents at 40/s for 1.5 s: 120 at most; a loaded machine gets fewer, never none.
    expect(answered).toBeGreaterThan(10);
    expect(answered).toBeLessThanOrEqual(130);
    expect(inferences.every((ok) => ok)).toBe(true);
    expect(s.failed, s.errors.join('\n')).toBe(0);
    expect(s.sent).toBe(s.notReady + inferences.length);
    // About half the answers were labelled, every label reached the agent, and LeNet is right on nearly all of them.
    expect(feedback).toHaveLength(s.labelled);
    expect(s.labelled / answered).toBeGreaterThan(0.25);
    expect(s.labelled / answered).toBeLessThan(0.75);
    const correct = feedback.filter((f) => f.predicted === f.label).length;
    expect(correct / feedback.length).toBeGreaterThan(0.9);
  });

  it('counts inference errors as failures with their message', async () => {
    const agent = serve([], []);
    await agent.swap(await ModelSession.create(LENET), MODEL);
    traffic = driveTraffic([agent], [{ feeds: { input: { dims: [1, 1, 2, 2], data: new Float32Array(4) } } }], { rps: 50 });
    await sleep(300);
    await traffic.stop();
    const s = traffic.stats();
    expect(s.failed).toBeGreaterThan(0);
    expect(s.failed).toBe(s.sent);
    expect(s.labelled).toBe(0);
    expect(s.errors[0]).toMatch(/dimension|shape|got/i);
  });

  it('stops at once even between two slow requests', async () => {
    const agent = serve([], []);
    await agent.swap(await ModelSession.create(LENET), MODEL);
    traffic = driveTraffic([agent], digits(5), { rps: 0.05, random: () => 0 });
    await sleep(100);
    const started = performance.now();
    await traffic.stop();
    expect(performance.now() - started).toBeLessThan(500);
    expect(traffic.stats().sent).toBe(1);
  });

  it('refuses no samples or a rate that is not positive', () => {
    expect(() => driveTraffic([], [], { rps: 1 })).toThrow(RangeError);
    expect(() => driveTraffic([], digits(1), { rps: 0 })).toThrow(/rps must be positive/);
  });
});
