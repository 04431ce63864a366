#!/usr/bin/env node
// The admin CLI: `npm run admin -- <command>` or `npx freeway-admin <command>` (Node 22 runs it as TypeScript).
// The parts live in admin-client/cli/; `--help` lists the commands.

import { main } from "./cli/main.ts";

process.exitCode = await main(process.argv.slice(2));
