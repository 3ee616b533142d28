import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { ArtifactStorage, ByteRange } from './artifact-storage.js';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** Set for S3-compatible servers (MinIO, Ceph, s3rver); absent for AWS itself. */
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Keys per ListObjectsV2 page. @defaultValue 1000 (the S3 maximum); tests use small pages to cover pagination cheaply. */
  listPageSize?: number;
}

/** Blobs as objects in one bucket, keys as given; a PUT is atomic, so readers never see half a blob. */
export class S3ArtifactStorage implements ArtifactStorage {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly listPageSize: number;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.listPageSize = options.listPageSize ?? 1000;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // By default the SDK sends every upload aws-chunked with a CRC32 trailer; S3-compatible servers that
      // predate it (s3rver among them) store the chunk framing as part of the object, corrupting it.
      // Nothing is lost: devices verify every download against the sha256 in the key.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async putFile(tempPath: string, key: string): Promise<void> {
    const { size } = await fsp.stat(tempPath);
    // Content-addressed: an object of the same size under this key holds the same bytes.
    if ((await this.size(key)) !== size) {
      const body = fs.createReadStream(tempPath);
      try {
        // S3 refuses a PUT without Content-Length; state it rather than rely on the SDK sniffing the stream.
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: size, ContentType: 'application/octet-stream' }),
        );
      } finally {
        body.destroy();
      }
    }
    await fsp.rm(tempPath, { force: true });
  }

  async size(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      // HEAD responses have no body, so the status is the only reliable signal across S3 implementations.
      if (httpStatus(err) === 404) return null;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const res = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
    );
    if (!(res.Body instanceof Readable)) throw new Error(`storage: S3 returned no readable body for ${key}`);
    return res.Body;
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async *list(): AsyncIterable<string> {
    for await (const page of paginateListObjectsV2({ client: this.client, pageSize: this.listPageSize }, { Bucket: this.bucket })) {
      for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key;
    }
  }

  /** Closes the client's pooled sockets so the process can exit. */
  destroy(): void {
    this.client.destroy();
  }
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}
