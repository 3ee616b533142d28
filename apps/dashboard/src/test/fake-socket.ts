type Listener = (...args: any[]) => void;

/** Enough of a socket.io client socket for the events hook: tests call `serverEmit` to push events. */
export class FakeSocket {
  connected = false;
  emitted: { event: string; args: unknown[] }[] = [];
  disconnected = false;
  private listeners = new Map<string, Set<Listener>>();

  on(event: string, fn: Listener) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(fn);
    return this;
  }
  off(event: string, fn: Listener) {
    this.listeners.get(event)?.delete(fn);
    return this;
  }
  emit(event: string, ...args: unknown[]) {
    this.emitted.push({ event, args });
    const ack = args.at(-1);
    if (event === 'subscribe' && typeof ack === 'function') ack({ ok: true });
    return this;
  }
  disconnect() {
    this.disconnected = true;
    this.connected = false;
    return this;
  }

  connect() {
    this.connected = true;
    this.serverEmit('connect');
  }
  serverEmit(event: string, ...args: unknown[]) {
    for (const fn of [...(this.listeners.get(event) ?? [])]) fn(...args);
  }
  listenerCount(): number {
    return [...this.listeners.values()].reduce((n, s) => n + s.size, 0);
  }
}

/** Every FakeSocket that `fakeSocketIo.io()` made, oldest first; empty it between tests with `fakeSockets.length = 0`. */
export const fakeSockets: FakeSocket[] = [];

/** A `socket.io-client` stand-in: `vi.mock('socket.io-client', async () => (await import('../test/fake-socket')).fakeSocketIo)`. */
export const fakeSocketIo = {
  io: () => {
    const s = new FakeSocket();
    fakeSockets.push(s);
    return s;
  },
};
