// What makes a YAML file wrong before any tool reads it: parse errors and warnings, a key given twice (readers
// disagree on which one wins, or reject the file), and plain y/n, yes/no or on/off, which YAML 1.1 readers such as
// Kubernetes' and Helm's take as booleans while YAML 1.2 readers take them as strings. Pure: text in, problems out.
import { isScalar, LineCounter, parseAllDocuments, visit } from "yaml";

export interface YamlProblem {
  /** 1-based line of the problem's start. */
  line: number;
  message: string;
}

/** y/n, yes/no, on/off in their YAML 1.1 spellings: quote them to mean the string, or write true/false. */
const YAML11_BOOLEAN = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

export function lintYaml(text: string): YamlProblem[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problems: YamlProblem[] = [];
  const at = (offset: number) => lines.linePos(offset).line;
  for (const doc of docs) {
    for (const e of [...doc.errors, ...doc.warnings]) problems.push({ line: at(e.pos[0]), message: e.message });
    visit(doc, {
      Scalar(_key, node) {
        if (node.type !== "PLAIN" || !isScalar(node) || !node.range) return;
        const source = text.slice(node.range[0], node.range[1]);
        if (YAML11_BOOLEAN.test(source)) {
          problems.push({
            line: at(node.range[0]),
            message: `plain ${source} is a boolean to YAML 1.1 readers (Kubernetes, Helm): quote it or write true/false`,
          });
        }
      },
    });
  }
  return problems.sort((a, b) => a.line - b.line);
}
