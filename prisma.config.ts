// Prisma 6.19 CLI configuration: the JS schema engine over a pg adapter, so no engine binary is downloaded.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

// The JS schema engine cannot decode Postgres' `name` type (oid 19) that catalog queries return;
// reporting it as `text` (oid 25) is lossless for those queries.
class NameAsTextPool extends pg.Pool {
  override query(...args: unknown[]): any {
    const result = (super.query as (...a: unknown[]) => any)(...args);
    if (result && typeof result.then === 'function') {
      return result.then((res: pg.QueryResult) => {
        for (const field of res?.fields ?? []) if (field.dataTypeID === 19) field.dataTypeID = 25;
        return res;
      });
    }
    return result;
  }
}

export default defineConfig({
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new PrismaPg(new NameAsTextPool({ connectionString: process.env.DATABASE_URL })),
});
