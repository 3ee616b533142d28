import type { ErrorCode } from '@edgefleet/contracts';

/** A rollout domain error with a stable contracts code (`rollout/conflict`, …); the API maps the code to HTTP. */
export class RolloutError extends Error {
  override readonly name = 'RolloutError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
