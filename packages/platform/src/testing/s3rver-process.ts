// Runs s3rver in a process of its own; see s3-server.ts for why. Argv: <directory> <bucket>.
import S3rver from 's3rver';

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
const { port } = (await server.run()) as { port: number };
process.send!({ port });
// The parent going away (a crashed or killed test worker) closes the IPC channel: never outlive it.
process.on('disconnect', () => process.exit(0));
