// The provider simulator's public surface, for tests, the demo and the benchmark.

export { Simulator } from "./simulator.ts";
export type { SimulatorOptions } from "./simulator.ts";
export { installSimulator } from "./install.ts";
export { simulatorEnv } from "./env.ts";
export { canonicalAnswer, answerLength, estimateTokens, estimatePromptTokens, DEFAULT_ANSWER_TOKENS } from "./answer.ts";
export { embedVector, vectorToBase64 } from "./embeddings.ts";
export { resetError, isSimReset } from "./util.ts";
export { MOUNTS } from "./routes.ts";
export type { SimRule, SimFault, SimFaultKind, SimConfig, LogEntry, SimStats, ModelStats } from "./types.ts";
