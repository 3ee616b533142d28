import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';

export interface PrismaClientOptions {
  /** A `postgresql://` URL. */
  databaseUrl: string;
  /** @defaultValue 10 */
  poolSize?: number;
}

/**
 * A Prisma client on the pure-JS engine over node-postgres: no native query engine to download or ship.
 * The caller owns it and must `$disconnect()` it.
 */
export function createPrismaClient({ databaseUrl, poolSize = 10 }: PrismaClientOptions): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: poolSize });
  return new PrismaClient({
    adapter,
    transactionOptions: { maxWait: 5_000, timeout: 15_000 },
  });
}
