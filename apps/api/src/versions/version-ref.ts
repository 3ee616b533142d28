import type { Prisma } from '@edgefleet/db';

/** `ref` is a version number, a semver label, or `latest` (use with `orderBy: { number: 'desc' }`). */
export function versionWhere(modelId: string, ref: string): Prisma.ModelVersionWhereInput {
  return ref === 'latest' ? { modelId } : /^\d+$/.test(ref) ? { modelId, number: Number(ref) } : { modelId, semver: ref };
}
