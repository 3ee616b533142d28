import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { QueueName } from '@edgefleet/contracts';
import { redisConnection } from '@edgefleet/platform';
import { FlowProducer, Queue } from 'bullmq';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { LOGGER, type Logger } from '../common/logger.js';

/**
 * The API's side of the queues: it only produces flows, removes waiting jobs on cancel and shows the
 * queues in Bull Board; the worker process consumes them. Producer connections fail fast so a request
 * never hangs on a Redis outage.
 */
@Injectable()
export class QueuesService implements OnModuleDestroy {
  readonly flowProducer: FlowProducer;
  readonly queues: Readonly<Record<QueueName, Queue>>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const connection = redisConnection(config.redisUrl, 'producer');
    const prefix = config.queue.prefix;
    this.flowProducer = new FlowProducer({ connection, prefix });
    this.queues = {
      [QueueName.Pipelines]: new Queue(QueueName.Pipelines, { connection, prefix }),
      [QueueName.Compress]: new Queue(QueueName.Compress, { connection, prefix }),
      [QueueName.Rollouts]: new Queue(QueueName.Rollouts, { connection, prefix }),
    };
    // Without listeners, connection errors would be unhandled 'error' events; the failing call reports them instead.
    const onError = (err: Error) => this.logger.debug({ err }, 'queue connection error');
    this.flowProducer.on('error', onError);
    for (const q of Object.values(this.queues)) q.on('error', onError);
  }

  get prefix(): string {
    return this.config.queue.prefix;
  }

  async onModuleDestroy() {
    await Promise.allSettled([this.flowProducer.close(), ...Object.values(this.queues).map((q) => q.close())]);
  }
}
