// The hidden `kubectl liftoff __complete ARGS… CURRENT` (cobra's name for it), which the completion scripts and
// kubectl's `kubectl_complete-liftoff` hook call. Prints cobra's wire format on stdout and never fails: a broken
// completion must not print errors into the user's prompt.
import { COMMANDS } from "../commands/index.js";
import { complete, DIRECTIVE, formatAnswer } from "./engine.js";
import { kubectlResolver } from "./kubectl-names.js";

export async function runComplete(
  words: readonly string[],
  out: { write(s: string): unknown },
  env: NodeJS.ProcessEnv,
) {
  try {
    const answer = await complete(words.length ? words : [""], COMMANDS, kubectlResolver(env));
    out.write(`${formatAnswer(answer)}\n`);
  } catch {
    out.write(`:${DIRECTIVE.error}\n`);
  }
  return 0;
}
