/** Seeded by the init migration; owns everything until accounts and organizations arrive. */
export const DEFAULT_ORG_ID = '00000000-0000-4000-8000-000000000001';
