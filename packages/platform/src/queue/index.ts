export { addPipelineFlow, finalizeJobId, compressJobId, type PipelineFlowInput } from './pipeline-flow.js';
export { defaultJobOptions, redisConnection, DEFAULT_QUEUE_SETTINGS, type QueueSettings } from './queue-options.js';
