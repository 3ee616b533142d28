import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DESIRED_CHANNEL } from '@edgefleet/contracts';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { LOGGER, type Logger } from '../common/logger.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { RedisService } from '../redis/redis.service.js';

const Message = z.object({ origin: z.string(), deviceIds: z.array(z.string()) });

export interface DeviceWatch {
  /** A change was announced since the watch started. */
  readonly fired: boolean;
  /** Resolves true at once if fired, else when a change is announced within `ms`; false on timeout or abort. */
  wait(ms: number, signal?: AbortSignal): Promise<boolean>;
  close(): void;
}

/**
 * Tells whoever waits on a device's desired state (long polls, `/devices` sockets) that it may have changed.
 * Changes are emitted in-process at once and published on Redis (DESIRED_CHANNEL) so that the other API
 * instances wake their own waiters; an instance ignores its own publishes. Listeners re-read the state, so
 * a spurious wake-up is harmless and a lost one only costs a device its poll interval.
 */
@Injectable()
export class DesiredNotifier implements OnModuleInit, OnModuleDestroy {
  private readonly local = new EventEmitter();
  private readonly origin = randomUUID();
  private readonly subscriber: Redis;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly redis: RedisService,
  ) {
    this.local.setMaxListeners(0);
    this.subscriber = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null });
    this.subscriber.on('error', (err) => this.logger.debug({ err }, 'desired-state subscriber connection error'));
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message));
  }

  onModuleInit() {
    // Not awaited: the API must start while Redis is down; waiters then only see this instance's changes.
    this.subscriber.subscribe(DESIRED_CHANNEL).catch((err: unknown) => this.logger.error({ err }, 'could not subscribe to desired-state changes'));
  }

  onModuleDestroy() {
    this.subscriber.disconnect();
    this.local.removeAllListeners();
  }

  get draining(): boolean {
    return this.stopping;
  }

  /** The API is stopping: every waiting long poll answers now, and new ones do not wait. */
  drain(): void {
    this.stopping = true;
    this.local.emit('drain');
  }

  /** Announces that these devices' desired state may have changed. Never throws. */
  async changed(deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    this.emitLocal(deviceIds);
    try {
      await this.redis.client.publish(DESIRED_CHANNEL, JSON.stringify({ origin: this.origin, deviceIds }));
    } catch (err) {
      this.logger.warn({ err }, 'could not publish a desired-state change; other instances learn of it at their next poll');
    }
  }

  /**
   * Calls `listener` for every changed device id before any {@link onChange} listener or waiter hears of it, so a
   * cache dropped here is never read by whoever the change wakes. Returns the unsubscribe function.
   */
  onInvalidate(listener: (deviceId: string) => void): () => void {
    this.local.on('invalidate', listener);
    return () => this.local.off('invalidate', listener);
  }

  /** Calls `listener` for every changed device id; returns the unsubscribe function. */
  onChange(listener: (deviceId: string) => void): () => void {
    this.local.on('changed', listener);
    return () => this.local.off('changed', listener);
  }

  /** Resolves true when the device's state is announced as changed within `ms`, false otherwise or on abort. */
  async waitFor(deviceId: string, ms: number, signal?: AbortSignal): Promise<boolean> {
    const watch = this.watch(deviceId);
    try {
      return await watch.wait(ms, signal);
    } finally {
      watch.close();
    }
  }

  /**
   * Starts listening for changes of one device at once, before its state is read: a change announced while the
   * caller reads it is not lost (it makes `wait` return at once). Close it when done.
   */
  watch(deviceId: string): DeviceWatch {
    let fired = false;
    let wake: (() => void) | null = null;
    const onChange = () => {
      fired = true;
      wake?.();
    };
    this.local.on(`device:${deviceId}`, onChange);
    return {
      get fired() {
        return fired;
      },
      wait: (ms, signal) =>
        new Promise<boolean>((resolve) => {
          if (fired) return resolve(true);
          if (signal?.aborted || this.stopping) return resolve(false);
          const done = (changed: boolean) => {
            clearTimeout(timer);
            wake = null;
            signal?.removeEventListener('abort', onAbort);
            this.local.off('drain', onAbort);
            resolve(changed);
          };
          const onAbort = () => done(false);
          const timer = setTimeout(() => done(false), ms);
          wake = () => done(true);
          signal?.addEventListener('abort', onAbort);
          this.local.on('drain', onAbort);
        }),
      close: () => {
        wake = null;
        this.local.off(`device:${deviceId}`, onChange);
      },
    };
  }

  private emitLocal(deviceIds: readonly string[]) {
    for (const id of deviceIds) {
      this.local.emit('invalidate', id);
      this.local.emit(`device:${id}`);
      this.local.emit('changed', id);
    }
  }

  private receive(raw: string) {
    try {
      const msg = Message.parse(JSON.parse(raw));
      if (msg.origin !== this.origin) this.emitLocal(msg.deviceIds);
    } catch (err) {
      this.logger.warn({ err }, 'dropped a malformed desired-state message');
    }
  }
}
