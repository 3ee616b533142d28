// The quick start's demo fleet: once the API answers, makes sure the demo admin's organisation has a model
// (`demo-digits`, the MNIST LeNet-5 in examples/) compressed for every profile, an enrollment token for the `demo`
// group and that group assigned to v1, then runs DEMO_DEVICES simulated agents (`edgefleet-agent simulate`) with it
// until stopped. Idempotent: a restart reuses the model, the token (kept in DATA_DIR/demo-fleet) and the devices'
// identities. Usage: node scripts/demo-fleet.mjs <base-url> <admin-email> <admin-password>
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { root, waitFor } from './bench-harness.mjs';

const [base, email, password] = process.argv.slice(2);
const count = Number(process.env.DEMO_DEVICES ?? 6);
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
if (!model) {
  model = await api('POST', '/models', { name: 'demo-digits', task: 'image-classification', description: 'MNIST LeNet-5 for the quick start demo fleet' });
  const form = new FormData();
  form.set('file', new Blob([await fs.readFile(path.join(root, 'examples/models/mnist-lenet5/model.onnx'))]), 'mnist-lenet5.onnx');
  await api('POST', `/models/${model.id}/versions`, form);
  say('uploaded demo-digits v1; compressing it for every hardware profile…');
}
await until('the demo model compressed', async () => (await api('GET', `/models/${model.id}/versions/1/pipelines`)).items[0]?.status === 'succeeded', 300_000);

await fs.mkdir(stateDir, { recursive: true });
const tokenFile = path.join(stateDir, 'token');
let token = await fs.readFile(tokenFile, 'utf8').catch(() => '');
if (!token) {
  token = (await api('POST', '/enrollment-tokens', { name: 'demo fleet', group: 'demo', tags: ['demo'] })).token;
  await fs.writeFile(tokenFile, token, { mode: 0o600 });
}

const agent = spawn(process.execPath, [path.join(root, 'packages/agent/dist/cli/main.js'), 'simulate', '--count', String(count), '--server', base, '--token', token, '--state', stateDir], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const stop = () => agent.kill('SIGTERM');
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
await until('the demo devices', async () => (await api('GET', '/devices?group=demo&limit=1')).total >= count, 120_000);
// Only the first time: later, whatever the operator rolled out stays.
const assigned = (await api('GET', '/devices?group=demo&limit=1')).items[0]?.assignment;
if (!assigned) await api('POST', '/assignments', { modelId: model.id, version: 1, target: { group: 'demo' } });
say(`${count} simulated devices in group "demo" run demo-digits (see Devices); upload a v2 and roll it out to try a canary`);
agent.once('exit', (code) => process.exit(code ?? 0));
