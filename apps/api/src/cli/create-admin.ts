// Creates an admin account: `node apps/api/dist/cli/create-admin.js <email>` (npm run create-admin -- <email>).
// The password is read from ADMIN_PASSWORD or, when unset, from stdin (one line), so it stays out of shell history.
// Uses DATABASE_URL like the API; the account goes into the default organisation. Works whether or not users exist.
import { createInterface } from 'node:readline/promises';
import { CreateUserRequest } from '@edgefleet/contracts';
import { createPrismaClient, DEFAULT_ORG_ID, isPrismaError, PrismaErrorCode } from '@edgefleet/db';
import { hashPassword } from '../auth/passwords.js';
import { ConfigError, loadProcessConfig } from '../config/env.js';

async function readPassword(fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  process.stderr.write('password (≥ 12 characters): ');
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

async function main() {
  const email = process.argv[2];
  let config;
  try {
    config = loadProcessConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  if (!email) {
    console.error('usage: create-admin <email>   (password from ADMIN_PASSWORD or stdin)');
    process.exit(2);
  }
  const parsed = CreateUserRequest.safeParse({
    email,
    password: await readPassword(config.auth.adminPassword ?? undefined),
    role: 'admin',
  });
  if (!parsed.success) {
    console.error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
    process.exit(2);
  }
  const db = createPrismaClient({ databaseUrl: config.databaseUrl, poolSize: 1 });
  try {
    const user = await db.user.create({
      data: { orgId: DEFAULT_ORG_ID, email: parsed.data.email, role: 'admin', passwordHash: await hashPassword(parsed.data.password) },
    });
    console.log(JSON.stringify({ id: user.id, email: user.email, role: user.role, orgId: user.orgId }));
  } catch (err) {
    if (isPrismaError(err, PrismaErrorCode.UniqueViolation)) {
      console.error(`${parsed.data.email} already has an account`);
      process.exit(1);
    }
    throw err;
  } finally {
    await db.$disconnect();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
