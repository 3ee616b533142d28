#!/usr/bin/env node
// Runs the Prisma CLI with DATABASE_URL always set: without it Prisma 6.19 tries to download an engine.
// `migrate diff <name>` writes a new migration from the last committed schema to prisma/schema.prisma.
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const env = { ...process.env, DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/edgefleet' };
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const args = process.argv.slice(2);
const prisma = path.resolve('node_modules', '.bin', 'prisma');

function run(cliArgs, opts = {}) {
  const res = spawnSync(prisma, cliArgs, { stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', env, encoding: 'utf8' });
  if (res.status !== 0) process.exit(res.status ?? 1);
  return res.stdout;
}

if (args[0] === 'migrate' && args[1] === 'diff') {
  const name = args[2];
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    console.error('usage: npm run db:diff -- <snake_case_name>');
    process.exit(2);
  }
  // The previous datamodel is the schema as last committed; new work is the file on disk.
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'edgefleet-schema-'));
  const previous = path.join(dir, 'previous.prisma');
  let committed = '';
  try {
    committed = execFileSync('git', ['show', 'HEAD:prisma/schema.prisma'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    committed = '';
  }
  const hasMigrations = fs.existsSync('prisma/migrations') && fs.readdirSync('prisma/migrations').some((d) => /^\d/.test(d));
  const from = hasMigrations && committed ? ['--from-schema-datamodel', previous] : ['--from-empty'];
  fs.writeFileSync(previous, committed);
  const sql = run(['migrate', 'diff', ...from, '--to-schema-datamodel', 'prisma/schema.prisma', '--script'], { capture: true });
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const out = path.join('prisma', 'migrations', `${stamp}_${name}`);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'migration.sql'), sql);
  console.log(`wrote ${path.join(out, 'migration.sql')}`);
} else {
  run(args);
}
