export { appendGradients, upgradeForTraining, probeShapes, TRAINING_OPSET, type GradientOptions, type GradientGraph } from './autodiff.js';
export { GRAD_RULES } from './grad-rules/index.js';
export type { GradContext, GradRule } from './grad-rules/types.js';
export { buildTrainingGraph, logitsModel, writeWeights, adamLearningRate, ADAM_BETA2, type Optimizer, type TrainingGraph, type TrainableParam, type DistillLossOptions } from './training-graph.js';
export { distill, learningRate, type DistillOptions, type DistillProgress, type DataSlice, type LearningRateSchedule } from './distill.js';
export { buildStudent, teacherSpec, STUDENT_ARCHITECTURES, STUDENT_OPS, type StudentArchitecture, type StudentSpec, type BuildStudentOptions } from './students.js';
