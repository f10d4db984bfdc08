// The scripts as a shell runs them: bash drives the completion function on a command line, zsh parses its script.
// Each TAB runs the plugin from source (tsx), so this file is in vitest.check.config.ts's slow list.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ZSH_DEB } from "../../../hack/setup/components.js";
import { completionScript } from "./scripts.js";

describe("the completion scripts", () => {
  // A kubectl-liftoff on PATH that runs the plugin from source, as the installed one runs the bundle.
  const dir = mkdtempSync(join(tmpdir(), "liftoff-completion-"));
  const main = resolve("plugin/src/main.ts");
  const tsx = resolve("node_modules/.bin/tsx");
  writeFileSync(join(dir, "kubectl-liftoff"), `#!/bin/sh\nexec "${tsx}" "${main}" "$@"\n`);
  chmodSync(join(dir, "kubectl-liftoff"), 0o755);
  const env = { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH ?? ""}` };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Loads the bash script and runs its completion function on a command line, the way bash does on TAB. */
  function bashComplete(line: string, words: string[]): string[] {
    writeFileSync(join(dir, "completion.bash"), completionScript("bash"));
    const script = [
      `source ${join(dir, "completion.bash")}`,
      `COMP_LINE=${JSON.stringify(line)}; COMP_POINT=${line.length}`,
      `COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(" ")}); COMP_CWORD=${words.length - 1}`,
      "__kubectl_liftoff_complete",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's ${...}, not a template
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join("\n");
    return execFileSync("bash", ["-c", script], { env, encoding: "utf8" }).split("\n").filter(Boolean);
  }

  it("loads in bash and registers for kubectl-liftoff", () => {
    writeFileSync(join(dir, "completion.bash"), completionScript("bash"));
    const out = execFileSync("bash", ["-c", `source ${join(dir, "completion.bash")} && complete -p kubectl-liftoff`], {
      env,
      encoding: "utf8",
    });
    expect(out.trim()).toBe("complete -F __kubectl_liftoff_complete kubectl-liftoff");
  });

  it("completes kubectl liftoff cu<TAB>, -o <TAB> and --output=<TAB> in bash", () => {
    expect(bashComplete("kubectl liftoff cu", ["kubectl", "liftoff", "cu"])).toEqual(["curves"]);
    expect(bashComplete("kubectl-liftoff tree -o ", ["kubectl-liftoff", "tree", "-o", ""])).toEqual([
      "json",
      "yaml",
      "wide",
    ]);
    // bash splits --output=y at "=": its current word is "y", so the candidate must be "yaml", not "--output=yaml"
    expect(bashComplete("kubectl-liftoff tree --output=y", ["kubectl-liftoff", "tree", "--output", "=", "y"])).toEqual([
      "yaml",
    ]);
  });

  // hack/fetch-deb.sh's folder: <cache>/zsh-<version without the +suffix>
  const zshVersion = (ZSH_DEB.split("=")[1] ?? "").split("+")[0];
  const zsh = join(process.env.LIFTOFF_CACHE ?? join(homedir(), ".cache", "liftoff"), `zsh-${zshVersion}`, "zsh");
  // zsh comes from hack/fetch-deb.sh (npm test's setup fetches it; hack/setup/components.ts).
  it.skipIf(!existsSync(zsh))("the zsh script parses (zsh -n)", () => {
    writeFileSync(join(dir, "completion.zsh"), completionScript("zsh"));
    const ok = spawnSync(zsh, ["-f", "-n", join(dir, "completion.zsh")], { encoding: "utf8" });
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    // and the check can fail: a broken script does not parse
    writeFileSync(join(dir, "broken.zsh"), completionScript("zsh").replace("fi\n", ""));
    expect(spawnSync(zsh, ["-f", "-n", join(dir, "broken.zsh")]).status).not.toBe(0);
  });
});
