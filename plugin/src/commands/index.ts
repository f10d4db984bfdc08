// Every subcommand, in the order `kubectl liftoff --help` lists them. Specs only: each command's code loads when it runs.
import type { CommandSpec } from "../cli/command.js";
import { abortCommand } from "./abort.js";
import { completionCommand } from "./completion.js";
import { curvesCommand } from "./curves.js";
import { driftCommand } from "./drift.js";
import { predictCommand } from "./predict.js";
import { promoteCommand } from "./promote.js";
import { reportCommand } from "./report.js";
import { retrainCommand } from "./retrain.js";
import { treeCommand } from "./tree.js";
import { versionCommand } from "./version.js";

export const COMMANDS: readonly CommandSpec[] = [
  treeCommand,
  curvesCommand,
  driftCommand,
  predictCommand,
  promoteCommand,
  abortCommand,
  retrainCommand,
  reportCommand,
  completionCommand,
  versionCommand,
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}
