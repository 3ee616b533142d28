import { EVENTS_CHANNEL, type PipelineJobEvent, type PipelineRunEvent, type PlatformEvent } from '@edgefleet/contracts';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Publishes pipeline events on EVENTS_CHANNEL; the API relays them to `model:<id>` socket rooms. Best effort. */
export class EventPublisher {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  job(event: Omit<PipelineJobEvent, 'v' | 'at'>): Promise<void> {
    return this.publish({ channel: 'pipeline.job', room: `model:${event.modelId}`, event: { v: 1, ...event, at: new Date().toISOString() } });
  }

  run(event: Omit<PipelineRunEvent, 'v' | 'at'>): Promise<void> {
    return this.publish({ channel: 'pipeline.run', room: `model:${event.modelId}`, event: { v: 1, ...event, at: new Date().toISOString() } });
  }

  private async publish(message: PlatformEvent): Promise<void> {
    try {
      await this.redis.publish(EVENTS_CHANNEL, JSON.stringify(message));
    } catch (err) {
      // Events are a live view; the PipelineJob row stays the source of truth.
      this.logger.warn({ err, channel: message.channel }, 'event publish failed');
    }
  }
}
