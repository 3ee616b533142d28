import type { PrismaClient } from '@edgefleet/db';
import type { Logger } from 'pino';

export interface TickSummary {
  rollouts: number;
}

/** Advances every active rollout one step per tick; the state machine lives entirely in the database. */
export class RolloutControllerService {
  constructor(private readonly deps: { db: PrismaClient; logger: Logger }) {}

  async tick(): Promise<TickSummary> {
    const active = await this.deps.db.rollout.findMany({ where: { status: { in: ['running', 'rolling_back'] } }, select: { id: true }, orderBy: { createdAt: 'asc' } });
    return { rollouts: active.length };
  }
}
