import { createHash, randomBytes } from 'node:crypto';
import { API_KEY_PREFIX } from '@edgefleet/contracts';

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** 32 random bytes; the database keeps only the sha256 (a leaked table does not let anyone in). */
export const newSessionToken = () => `efs_${randomBytes(32).toString('base64url')}`;
export const newApiKey = () => `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
/** What lists show of a key: enough to recognise it, far too little to guess it. */
export const apiKeyDisplayPrefix = (key: string) => key.slice(0, API_KEY_PREFIX.length + 8);

export const API_KEY_FORMAT = /^efk_[A-Za-z0-9_-]{43}$/;
export const SESSION_TOKEN_FORMAT = /^efs_[A-Za-z0-9_-]{43}$/;
