import { Inject, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ClientToServerEvents, PlatformEvent, ServerToClientEvents } from '@edgefleet/contracts';
import { EVENTS_CHANNEL } from '@edgefleet/contracts';
import { ConnectedSocket, MessageBody, type OnGatewayConnection, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { Redis } from 'ioredis';
import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import { LOGGER, type Logger } from '../common/logger.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';

type EventsSocket = Socket<ClientToServerEvents, ServerToClientEvents>;
type Ack = Parameters<NonNullable<Parameters<ClientToServerEvents['subscribe']>[1]>>[0];

const RoomRequest = z.union([
  z.object({ modelId: z.uuid() }).strict(),
  z.object({ rolloutId: z.uuid() }).strict(),
  z.object({ rollouts: z.literal(true) }).strict(),
]);

/** What arrives on EVENTS_CHANNEL is checked before relaying: a malformed publish must not reach clients. */
const PlatformEventEnvelope = z.discriminatedUnion('channel', [
  z.object({
    channel: z.enum(['pipeline.job', 'pipeline.run']),
    room: z.string().regex(/^model:[0-9a-f-]{36}$/),
    event: z.object({ v: z.literal(1), type: z.string() }).loose(),
  }),
  z.object({
    channel: z.literal('rollout.changed'),
    room: z.string().regex(/^(rollouts|rollout:[0-9a-f-]{36})$/),
    event: z.object({ v: z.literal(1), rolloutId: z.uuid() }).loose(),
  }),
]);

export const modelRoom = (modelId: string) => `model:${modelId.toLowerCase()}`;
export const rolloutRoom = (rolloutId: string) => `rollout:${rolloutId.toLowerCase()}`;
export const ROLLOUTS_ROOM = 'rollouts';

function roomOf(request: z.infer<typeof RoomRequest>): string {
  if ('modelId' in request) return modelRoom(request.modelId);
  if ('rolloutId' in request) return rolloutRoom(request.rolloutId);
  return ROLLOUTS_ROOM;
}

/**
 * Relays what workers publish on Redis (EVENTS_CHANNEL) to the sockets in each model's room. Workers
 * never talk to sockets directly, so any number of API instances can each relay to their own clients.
 */
@WebSocketGateway({ namespace: '/events' })
export class EventsGateway implements OnGatewayConnection, OnModuleInit, OnModuleDestroy {
  @WebSocketServer() private readonly server!: Namespace<ClientToServerEvents, ServerToClientEvents>;
  private readonly subscriber: Redis;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // A subscribed connection cannot run other commands, hence its own; it waits out Redis outages and resubscribes.
    this.subscriber = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null });
    this.subscriber.on('error', (err) => this.logger.debug({ err }, 'events subscriber connection error'));
    this.subscriber.on('message', (_channel: string, message: string) => this.relay(message));
  }

  onModuleInit() {
    // Not awaited: the API must start (and report itself unhealthy) while Redis is down.
    this.subscriber.subscribe(EVENTS_CHANNEL).catch((err: unknown) => this.logger.error({ err }, 'could not subscribe to platform events'));
  }

  onModuleDestroy() {
    this.subscriber.disconnect();
  }

  /**
   * The authentication seam: there are no accounts yet, so every connection is accepted. Once they
   * exist, verify the handshake token here and `socket.disconnect(true)` on failure.
   */
  handleConnection(socket: EventsSocket) {
    this.logger.debug({ socketId: socket.id }, 'events socket connected');
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: EventsSocket, @MessageBody() body: unknown): Promise<Ack> {
    const parsed = RoomRequest.safeParse(body);
    if (!parsed.success) return { ok: false, error: 'name a room: { modelId }, { rolloutId } (uuids) or { rollouts: true }' };
    await socket.join(roomOf(parsed.data));
    return { ok: true };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: EventsSocket, @MessageBody() body: unknown): Promise<void> {
    const parsed = RoomRequest.safeParse(body);
    if (parsed.success) await socket.leave(roomOf(parsed.data));
  }

  /** The only way anything reaches a socket, so every emit is typed against ServerToClientEvents. */
  send<E extends keyof ServerToClientEvents>(room: string, event: E, ...args: Parameters<ServerToClientEvents[E]>) {
    this.server.to(room).emit(event, ...args);
  }

  private relay(message: string) {
    let envelope: PlatformEvent;
    try {
      envelope = PlatformEventEnvelope.parse(JSON.parse(message)) as unknown as PlatformEvent;
    } catch (err) {
      this.logger.warn({ err }, 'dropped a malformed platform event');
      return;
    }
    if (envelope.channel === 'pipeline.job') this.send(envelope.room, 'pipeline.job', envelope.event);
    else if (envelope.channel === 'pipeline.run') this.send(envelope.room, 'pipeline.run', envelope.event);
    else this.send(envelope.room, 'rollout.changed', envelope.event);
  }
}
