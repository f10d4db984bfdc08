/**
 * TensorFlow.js for the serving path, loaded with require() rather than `import`: an ES module importing a CommonJS
 * package makes Node scan its source (cjs-module-lexer) for named exports, and TF.js's bundles are 6 MB of it, so
 * `import` took 0.6–1.1 s against 0.23–0.37 s for require() (the same modules, loaded once either way; issue #31).
 * The types still come from the package (`import type`), which costs nothing at run time.
 */
import { createRequire } from "node:module";
import type * as Tfjs from "@tensorflow/tfjs";

const require = createRequire(import.meta.url);

export const tf: typeof Tfjs = require("@tensorflow/tfjs");

/** Registers the wasm backend (its package registers itself when loaded). */
export function loadWasmBackend(): void {
  require("@tensorflow/tfjs-backend-wasm");
}

/** Loads a CommonJS package the same way (tfjs-node, whose name backends.ts keeps in a variable: optional). */
export function requirePackage<T>(pkg: string): T {
  return require(pkg) as T;
}
