import { Inject, type OnModuleDestroy } from '@nestjs/common';
import type { DeviceClientToServerEvents, DeviceServerToClientEvents } from '@edgefleet/contracts';
import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { AppError } from '../common/app-error.js';
import { LOGGER, type Logger } from '../common/logger.js';
import { DesiredNotifier } from '../devices/desired-notifier.service.js';
import { DesiredStateService } from '../devices/desired-state.service.js';
import { type AuthenticatedDevice, DeviceAuthService } from './device-auth.js';

interface SocketData {
  device: AuthenticatedDevice;
}
type DeviceSocket = Socket<DeviceClientToServerEvents, DeviceServerToClientEvents, Record<string, never>, SocketData>;
type DeviceNamespace = Namespace<DeviceClientToServerEvents, DeviceServerToClientEvents, Record<string, never>, SocketData>;

export const deviceRoom = (deviceId: string) => `device:${deviceId}`;

/**
 * `/devices`: agents connect with `auth: { token: '<deviceId>.<secret>' }` and are told `desired.changed`
 * as soon as their desired state changes, so they need not long-poll. The credentials are checked in a
 * namespace middleware, before the connection exists: a bad token gets `connect_error` with `data.code`.
 */
@WebSocketGateway({ namespace: '/devices' })
export class DevicesGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  @WebSocketServer() private readonly server!: DeviceNamespace;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly auth: DeviceAuthService,
    private readonly desired: DesiredStateService,
    notifier: DesiredNotifier,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.unsubscribe = notifier.onChange((deviceId) => void this.announce(deviceId));
  }

  afterInit(server: DeviceNamespace) {
    server.use((socket, next) => {
      this.auth.authenticate((socket.handshake.auth as { token?: unknown }).token).then(
        (device) => {
          socket.data.device = device;
          next();
        },
        (err: unknown) => {
          const failure = new Error(err instanceof AppError ? err.message : 'authentication failed') as Error & { data?: unknown };
          failure.data = { code: err instanceof AppError ? err.code : 'internal' };
          next(failure);
        },
      );
    });
  }

  async handleConnection(socket: DeviceSocket) {
    // The middleware has authenticated it; this is the seam if that ever moves.
    const device = socket.data.device;
    if (!device) {
      socket.disconnect(true);
      return;
    }
    await socket.join(deviceRoom(device.id));
    this.logger.debug({ deviceId: device.id }, 'device socket connected');
  }

  onModuleDestroy() {
    this.unsubscribe();
  }

  send<E extends keyof DeviceServerToClientEvents>(room: string, event: E, ...args: Parameters<DeviceServerToClientEvents[E]>) {
    this.server.to(room).emit(event, ...args);
  }

  private async announce(deviceId: string) {
    const room = deviceRoom(deviceId);
    // Only devices connected to this instance are worth a read.
    if (!this.server?.adapter.rooms.get(room)?.size) return;
    try {
      const { etag } = await this.desired.forDevice(deviceId);
      this.send(room, 'desired.changed', { v: 1, etag });
    } catch (err) {
      this.logger.warn({ err, deviceId }, 'could not announce a desired-state change');
    }
  }
}
