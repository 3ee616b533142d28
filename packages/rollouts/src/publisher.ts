import { randomUUID } from 'node:crypto';
import { DESIRED_CHANNEL, EVENTS_CHANNEL, type PlatformEvent, type RolloutChangedEvent } from '@edgefleet/contracts';

/** What a rollout operation changed, to announce once its transaction has committed. */
export interface RolloutEffects {
  /** Devices whose desired state (assignment or shadow) changed. */
  deviceIds: Set<string>;
  /** Rollout transitions, for the `/events` rooms `rollouts` and `rollout:<id>`. */
  changes: RolloutChangedEvent[];
}

export const noEffects = (): RolloutEffects => ({ deviceIds: new Set(), changes: [] });

export function mergeEffects(into: RolloutEffects, from: RolloutEffects): RolloutEffects {
  for (const id of from.deviceIds) into.deviceIds.add(id);
  into.changes.push(...from.changes);
  return into;
}

/** The part of an ioredis client a publisher needs. */
export interface RedisPublish {
  publish(channel: string, message: string): Promise<unknown>;
}

/**
 * Announces rollout effects on Redis: device ids on DESIRED_CHANNEL (`{ origin, deviceIds }`, which every API
 * instance relays to its long polls and `/devices` sockets) and RolloutChangedEvents on EVENTS_CHANNEL (relayed
 * to `/events`). Each publisher has an origin of its own, so no API instance mistakes these for its own echoes.
 */
export class RolloutPublisher {
  readonly origin = `rollouts-${randomUUID()}`;

  constructor(
    private readonly redis: RedisPublish,
    private readonly onError: (err: unknown, what: string) => void = () => {},
  ) {}

  /** Never throws: the database is the source of truth; a lost message costs a device its poll interval. */
  async publish(effects: RolloutEffects): Promise<void> {
    await Promise.all([this.desiredChanged([...effects.deviceIds]), ...effects.changes.map((c) => this.rolloutChanged(c))]);
  }

  async desiredChanged(deviceIds: readonly string[]): Promise<void> {
    // Chunked so one message stays small even when a rollback touches the whole fleet.
    for (let i = 0; i < deviceIds.length; i += 1000) {
      try {
        await this.redis.publish(DESIRED_CHANNEL, JSON.stringify({ origin: this.origin, deviceIds: deviceIds.slice(i, i + 1000) }));
      } catch (err) {
        this.onError(err, 'desired-state change');
      }
    }
  }

  async rolloutChanged(event: RolloutChangedEvent): Promise<void> {
    for (const room of ['rollouts', `rollout:${event.rolloutId}`]) {
      const message: PlatformEvent = { channel: 'rollout.changed', room, event };
      try {
        await this.redis.publish(EVENTS_CHANNEL, JSON.stringify(message));
      } catch (err) {
        this.onError(err, 'rollout event');
      }
    }
  }
}
