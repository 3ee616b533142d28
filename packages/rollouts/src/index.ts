export { orderDevices, wavePercents, cumulativeWaveSizes, planWaves } from './plan.js';
export {
  type RequestStats,
  type AccuracyStats,
  type ShadowStats,
  type HealthStats,
  type WaveStats,
  emptyRequests,
  histogramQuantile,
  errorRateGate,
  latencyGate,
  accuracyGate,
  healthGate,
  shadowGate,
  combine,
  judgeWave,
  failFast,
} from './gates.js';
export { RolloutError } from './errors.js';
export { type RolloutEffects, type RedisPublish, noEffects, mergeEffects, RolloutPublisher } from './publisher.js';
export {
  type Tx,
  type CreateRolloutInput,
  type RolloutRef,
  type DeviceTransition,
  type OperatorAction,
  SYSTEM_ACTOR,
  recordEvent,
  recordDeviceEvents,
  changed,
  lockRollout,
  createRollout,
  devicesIn,
  switchDevices,
  setShadow,
  clearShadow,
  rollBack,
  operatorAction,
  activeRolloutsOf,
} from './store.js';
export { BASELINE_WINDOW_MS, ONLINE_WITHIN_MS, candidateRequests, baselineRequests, candidateAccuracy, baselineAccuracy, shadowStats, healthStats, waveStats, refreshRunning } from './stats.js';
