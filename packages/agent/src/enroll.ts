import { DeviceClient } from './client/device-client.js';
import { collectFacts } from './facts.js';
import { type Identity, IdentityStore } from './state/identity-store.js';
import { platformPublicKey } from './verify/manifest.js';

/** Enrolls with `token` and saves the identity (0600) in `stateDir`; refuses when one is already there. */
export async function enrollIdentity(opts: { server: string; token: string; stateDir: string; name?: string }): Promise<Identity> {
  const store = new IdentityStore(opts.stateDir);
  if (await store.load()) throw new Error(`already enrolled (${store.file}); remove it to enroll again`);
  const res = await new DeviceClient(opts.server, null).enroll({ token: opts.token, facts: collectFacts(), ...(opts.name ? { name: opts.name } : {}) });
  platformPublicKey(res.platformKey); // refuse a key whose fingerprint does not match before pinning it
  const identity: Identity = { v: 1, server: opts.server, deviceId: res.deviceId, secret: res.secret, platformKey: res.platformKey, enrolledAt: new Date().toISOString() };
  await store.save(identity);
  return identity;
}
