import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/**
 * Lets a stopping API finish what it is doing without letting clients keep it alive. Agents hold keep-alive
 * connections and send the next long poll or heartbeat as soon as one ends, so closing the server alone waits for
 * them forever. Once draining, every response says `Connection: close`, so each connection ends with its current
 * request; whatever is still open after the grace period is cut.
 */
export class HttpDrain {
  private draining = false;
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  /** Registered first, so it sees every HTTP request (websocket upgrades do not pass here). */
  readonly middleware = (_req: Request, res: Response, next: NextFunction) => {
    if (this.draining) res.setHeader('Connection', 'close');
    this.active++;
    res.once('close', () => {
      this.active--;
      if (this.active === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
    next();
  };

  get inFlight(): number {
    return this.active;
  }

  /** Stops taking connections and waits for the requests in flight, at most `graceMs`; then cuts what is left. */
  async drain(server: Server, graceMs: number): Promise<{ cut: number }> {
    this.draining = true;
    server.close();
    server.closeIdleConnections();
    if (this.active > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const cut = this.active;
    server.closeAllConnections();
    return { cut };
  }
}
