import { conformanceSuite } from "./conformance-suite.js";

conformanceSuite("wasm");
