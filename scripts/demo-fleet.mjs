// The quick start's demo fleet: once the API answers, makes sure the demo admin's organisation has a model
// (`demo-digits`, the MNIST LeNet-5 in examples/, with 500 labelled MNIST digits as its evaluation set) compressed for
// every profile, an enrollment token for the `demo` group and that group assigned to v1. Then runs DEMO_DEVICES
// simulated agents in this process and sends each of them DEMO_RPS requests a second, real digits through real
// inference, with half the labels fed back: the dashboard's telemetry and field-accuracy charts fill with measured
// figures. DEMO_RPS=0 leaves the devices idle. Idempotent: a restart reuses the model, the token (kept in
// DATA_DIR/demo-fleet) and the devices' identities. Usage: node scripts/demo-fleet.mjs <base-url> <admin-email> <admin-password>
import fs from 'node:fs/promises';
import path from 'node:path';
import { driveTraffic, simulate } from '@edgefleet/agent';
import { openNpz } from '@edgefleet/compress';
import { root, waitFor } from './bench-harness.mjs';

const [base, email, password] = process.argv.slice(2);
const count = Number(process.env.DEMO_DEVICES ?? 6);
const rps = Number(process.env.DEMO_RPS ?? 1);
const DIGITS = path.join(root, 'examples/data/mnist-digits-500.npz');
const stateDir = path.resolve(process.env.DATA_DIR ?? path.join(root, 'data'), 'demo-fleet');
const say = (msg) => console.log(`demo: ${msg}`);
const until = (what, fn, timeoutMs) => waitFor(fn, timeoutMs, what, 500);

await until('the API', async () => (await fetch(`${base}/api/health`)).ok, 120_000);
// A session like the dashboard's: the cookie, and the Origin header the API checks on writes.
const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ email, password }) });
if (!login.ok) throw new Error(`demo admin login: ${login.status} ${await login.text()}`);
const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
async function api(method, url, body) {
  const headers = { cookie, origin: base };
  if (body !== undefined && !(body instanceof FormData)) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}/api${url}`, { method, headers, body: body === undefined || body instanceof FormData ? body : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

let model = (await api('GET', '/models?search=demo-digits&limit=10')).items.find((m) => m.name === 'demo-digits');
if (!model) model = await api('POST', '/models', { name: 'demo-digits', task: 'image-classification', description: 'MNIST LeNet-5 for the quick start demo fleet' });
// Checked apart from the model: a start interrupted between the two must not leave a model without a version.
if ((await api('GET', `/models/${model.id}/versions?limit=1`)).total === 0) {
  const form = new FormData();
  form.set('file', new Blob([await fs.readFile(path.join(root, 'examples/models/mnist-lenet5/model.onnx'))]), 'mnist-lenet5.onnx');
  await api('POST', `/models/${model.id}/versions`, form);
  say('uploaded demo-digits v1; compressing it for every hardware profile…');
}
const compressed = () => until('the demo model compressed', async () => (await api('GET', `/models/${model.id}/versions/1/pipelines`)).items[0]?.status === 'succeeded', 300_000);
await compressed();
// A dataset is checked against a version's inputs, so it comes after v1; a second run then measures every variant's
// accuracy on it, as an ML team re-runs after adding its data.
if ((await api('GET', `/models/${model.id}/datasets`)).items.length === 0) {
  const dataset = new FormData();
  dataset.set('name', 'mnist-digits-500');
  dataset.set('purpose', 'evaluation');
  dataset.set('file', new Blob([await fs.readFile(DIGITS)]), 'mnist-digits-500.npz');
  await api('POST', `/models/${model.id}/datasets`, dataset);
  await api('POST', `/models/${model.id}/versions/1/pipelines`, { requestedBy: 'demo' });
  say('added 500 labelled digits as its evaluation set; measuring every variant on them…');
  await compressed();
}

await fs.mkdir(stateDir, { recursive: true });
const tokenFile = path.join(stateDir, 'token');
let token = await fs.readFile(tokenFile, 'utf8').catch(() => '');
if (!token) {
  token = (await api('POST', '/enrollment-tokens', { name: 'demo fleet', group: 'demo', tags: ['demo'] })).token;
  await fs.writeFile(tokenFile, token, { mode: 0o600 });
}

// Telemetry every 10 s rather than the agent's default minute: a newcomer sees the charts move.
const fleet = await simulate({ count, server: base, token, stateDir, serve: false, flushMs: 10_000 });
await until('the demo devices', async () => (await api('GET', '/devices?group=demo&limit=1')).total >= count, 120_000);
// Only the first time: later, whatever the operator rolled out stays.
const assigned = (await api('GET', '/devices?group=demo&limit=1')).items[0]?.assignment;
if (!assigned) await api('POST', '/assignments', { modelId: model.id, version: 1, target: { group: 'demo' } });

let traffic = null;
if (rps > 0) {
  const npz = await openNpz(DIGITS);
  const x = (await npz.readArray('input')).data;
  const labels = (await npz.readArray('labels')).data;
  const samples = Array.from(labels, (label, i) => ({ feeds: { input: { dims: [1, 1, 28, 28], data: x.subarray(i * 784, (i + 1) * 784) } }, label: Number(label) }));
  traffic = driveTraffic(fleet.agents, samples, { rps, labelRate: 0.5 });
}
say(`${count} simulated devices in group "demo" run demo-digits${traffic ? ` and serve ${rps} request/s each` : ''} (see Devices); upload a v2 and roll it out to try a canary`);

const stop = async () => {
  await traffic?.stop();
  await fleet.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
