import { pipeline } from 'node:stream/promises';
import type { Artifact } from '@edgefleet/db';
import type { Request, Response } from 'express';
import { ErrorCode } from '@edgefleet/contracts';
import { AppError } from '../common/app-error.js';
import type { ArtifactsService } from './artifacts.service.js';
import { parseRange } from './http-range.js';

/**
 * Sends an artifact with the caching and resume semantics devices rely on: a strong ETag (the sha256),
 * 304 on If-None-Match, and single byte ranges (206) honouring If-Range.
 */
export async function sendArtifact(artifacts: ArtifactsService, artifact: Artifact, fileName: string, req: Request, res: Response) {
  const size = Number(artifact.byteSize);
  const etag = `"${artifact.sha256}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
  res.setHeader('Content-Disposition', `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
  res.setHeader('X-Content-SHA256', artifact.sha256);

  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
    res.status(304).end();
    return;
  }

  const ifRange = req.headers['if-range'];
  const range = ifRange && ifRange !== etag ? ({ kind: 'none' } as const) : parseRange(req.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${size}`);
    throw new AppError(ErrorCode.RangeNotSatisfiable, `range ${req.headers.range} is outside the ${size} bytes of the artifact`);
  }
  res.setHeader('Content-Type', artifact.format === 'onnx' ? 'application/octet-stream' : 'application/zip');
  if (range.kind === 'range') {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.status(200);
    res.setHeader('Content-Length', String(size));
  }
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const body = await artifacts.read(artifact, range.kind === 'range' ? range : undefined);
  await pipeline(body, res);
}
