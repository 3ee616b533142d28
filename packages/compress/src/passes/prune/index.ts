export { pruneUnstructured, type UnstructuredPruneOptions, type SparsityScope } from './unstructured.js';
export { pruneChannels, type ChannelPruneOptions, type ChannelNorm, type PrunedLayer } from './channels.js';
export { PRUNABLE_OPS, type PrunableOp } from './options.js';
