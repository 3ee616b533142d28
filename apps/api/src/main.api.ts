import 'reflect-metadata';
import type { Server } from 'node:http';
import { createApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config/env.js';
import { DesiredNotifier } from './devices/desired-notifier.service.js';

/** What requests in flight get to finish once the API is told to stop (uploads included); the rest is cut. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main() {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const { app, logger, drain } = await createApp(config);
  await app.listen(config.http.port, config.http.host);
  logger.info({ url: `http://${config.http.host}:${config.http.port}`, docs: '/api/docs' }, 'edgefleet api listening');

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    logger.info({ signal, inFlight: drain.inFlight }, 'stopping: draining requests');
    // Long polls answer now (304) instead of holding their connection for up to a minute.
    app.get(DesiredNotifier).drain();
    const { cut } = await drain.drain(app.getHttpServer() as Server, SHUTDOWN_GRACE_MS);
    await app.close();
    logger.info({ ms: Date.now() - started, cut }, 'stopped');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, (s) => void stop(s));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
