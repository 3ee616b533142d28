import { Inject, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ClientToServerEvents, PlatformEvent, ServerToClientEvents } from '@edgefleet/contracts';
import { ErrorCode, EVENTS_CHANNEL } from '@edgefleet/contracts';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { DEFAULT_ORG_ID } from '@edgefleet/db';
import { Redis } from 'ioredis';
import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import { LOGGER, type Logger } from '../common/logger.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/env.js';
import { AppError } from '../common/app-error.js';
import { AuthService } from '../auth/auth.service.js';
import type { Principal } from '../auth/request-context.js';
import { PrismaService } from '../database/prisma.service.js';

type EventsSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { principal?: Principal }>;
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
/** What workers publish to; relayed per organisation (`rollouts:<orgId>`), so nobody hears another's rollouts. */
export const ROLLOUTS_ROOM = 'rollouts';
export const orgRolloutsRoom = (orgId: string) => `${ROLLOUTS_ROOM}:${orgId}`;

function roomOf(request: z.infer<typeof RoomRequest>, orgId: string): string {
  if ('modelId' in request) return modelRoom(request.modelId);
  if ('rolloutId' in request) return rolloutRoom(request.rolloutId);
  return orgRolloutsRoom(orgId);
}

/**
 * Relays what workers publish on Redis (EVENTS_CHANNEL) to the sockets in each model's room. Workers
 * never talk to sockets directly, so any number of API instances can each relay to their own clients.
 */
@WebSocketGateway({ namespace: '/events' })
export class EventsGateway implements OnGatewayInit, OnGatewayConnection, OnModuleInit, OnModuleDestroy {
  @WebSocketServer() private readonly server!: Namespace<ClientToServerEvents, ServerToClientEvents>;
  private readonly subscriber: Redis;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly auth: AuthService,
    private readonly prisma: PrismaService,
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
   * Handshake authentication, before the connection exists: the dashboard's session cookie (sent by the browser on
   * the same origin) or `auth: { token: "efk_…" }`. Failure → `connect_error` with `data.code`.
   */
  afterInit(server: Namespace<ClientToServerEvents, ServerToClientEvents>) {
    server.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const headers = { ...socket.handshake.headers, ...(typeof token === 'string' && { authorization: `Bearer ${token}` }) };
      this.auth
        .authenticate({ headers })
        .then((principal) => {
          const origin = socket.handshake.headers.origin;
          if (principal?.kind === 'user' && principal.sessionId && origin && !this.sameSite(origin, socket.handshake.headers.host)) {
            throw new AppError(ErrorCode.CsrfRejected, 'a session cookie only works from the dashboard origin');
          }
          if (!principal && this.config.auth.required)
            throw new AppError(ErrorCode.Unauthenticated, 'log in or pass auth: { token: "efk_…" }');
          (socket as EventsSocket).data.principal = principal ?? undefined;
          next();
        })
        .catch((err: unknown) => {
          const failure = new Error(err instanceof AppError ? err.message : 'authentication failed') as Error & { data?: unknown };
          failure.data = { code: err instanceof AppError ? err.code : ErrorCode.Internal };
          next(failure);
        });
    });
  }

  handleConnection(socket: EventsSocket) {
    this.logger.debug({ socketId: socket.id }, 'events socket connected');
  }

  private sameSite(origin: string, host: string | undefined): boolean {
    return this.config.auth.corsOrigins.includes(origin) || origin.replace(/^https?:\/\//, '') === host;
  }

  /**
   * Only rooms of the caller's organisation are joined. Another organisation's model or rollout is answered like an
   * unknown id — `{ ok: true }` and nothing ever arrives — so the answer does not reveal that it exists.
   */
  private async mayJoin(socket: EventsSocket, request: z.infer<typeof RoomRequest>): Promise<boolean> {
    const orgId = this.orgOf(socket);
    if ('modelId' in request) return (await this.prisma.db.model.count({ where: { id: request.modelId, orgId } })) > 0;
    if ('rolloutId' in request) return (await this.prisma.db.rollout.count({ where: { id: request.rolloutId, orgId } })) > 0;
    return true;
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: EventsSocket, @MessageBody() body: unknown): Promise<Ack> {
    const parsed = RoomRequest.safeParse(body);
    if (!parsed.success) return { ok: false, error: 'name a room: { modelId }, { rolloutId } (uuids) or { rollouts: true }' };
    if (await this.mayJoin(socket, parsed.data)) await socket.join(roomOf(parsed.data, this.orgOf(socket)));
    return { ok: true };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: EventsSocket, @MessageBody() body: unknown): Promise<void> {
    const parsed = RoomRequest.safeParse(body);
    if (parsed.success) await socket.leave(roomOf(parsed.data, this.orgOf(socket)));
  }

  private orgOf(socket: EventsSocket): string {
    return socket.data.principal?.orgId ?? DEFAULT_ORG_ID;
  }

  /** Rollouts never change organisation: a bounded cache saves a query per event. */
  private readonly rolloutOrgs = new Map<string, string>();

  private async rolloutOrg(rolloutId: string): Promise<string | null> {
    const cached = this.rolloutOrgs.get(rolloutId);
    if (cached) return cached;
    const row = await this.prisma.db.rollout.findUnique({ where: { id: rolloutId }, select: { orgId: true } });
    if (!row) return null;
    if (this.rolloutOrgs.size >= 10_000) this.rolloutOrgs.clear();
    this.rolloutOrgs.set(rolloutId, row.orgId);
    return row.orgId;
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
    else if (envelope.room !== ROLLOUTS_ROOM) this.send(envelope.room, 'rollout.changed', envelope.event);
    else {
      const event = envelope.event;
      const cached = this.rolloutOrgs.get(event.rolloutId);
      if (cached) return this.send(orgRolloutsRoom(cached), 'rollout.changed', event);
      this.rolloutOrg(event.rolloutId)
        .then((orgId) => orgId && this.send(orgRolloutsRoom(orgId), 'rollout.changed', event))
        .catch((err: unknown) => this.logger.warn({ err }, 'could not relay a rollout event'));
    }
  }
}
