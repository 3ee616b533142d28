import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { INestApplication } from '@nestjs/common';
import { QueuesService } from './queues.service.js';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Mounts Bull Board read-only: retrying or deleting a job there would bypass the run/job rows in
 * Postgres, so operators change pipelines through the API only. Plain Express middleware, so the
 * `api` global prefix does not apply. There is no authentication yet (accounts come later).
 */
export function mountBullBoard(app: INestApplication) {
  const queues = app.get(QueuesService);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: Object.values(queues.queues).map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    // @bull-board/express pins its own patch release of @bull-board/api: same shape, separate declarations.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
  });
  app.use(BULL_BOARD_PATH, serverAdapter.getRouter());
}
