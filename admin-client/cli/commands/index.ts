// The command table: every command the CLI knows, in the order help lists them.

import type { Command } from "../command.ts";
import { audit } from "./audit.ts";
import { explain } from "./explain.ts";
import { forecast } from "./forecast.ts";
import { keysCreate, keysList, keysQuota, keysRevoke } from "./keys.ts";
import { limitsClear, limitsSet } from "./limits.ts";
import { cooldownReset, modelDisable, modelEnable, models } from "./models.ts";
import { providerDisable, providerEnable } from "./providers.ts";
import { stats } from "./stats.ts";
import { status } from "./status.ts";
import { tail } from "./tail.ts";

export const COMMANDS: readonly Command[] = [
  status,
  models,
  limitsSet,
  limitsClear,
  modelEnable,
  modelDisable,
  providerEnable,
  providerDisable,
  cooldownReset,
  keysCreate,
  keysList,
  keysRevoke,
  keysQuota,
  stats,
  forecast,
  audit,
  explain,
  tail,
];
