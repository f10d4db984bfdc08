// `liftoff-operator` (the image's entry point): run the operator against $KUBECONFIG (or in-cluster config).
// `npm run operator` goes through hack/operator.ts, which also knows the local dev clusters.
import { exitOnStartFailure, runOperator } from "./cli.js";

runOperator(process.argv.slice(2), process.env).catch(exitOnStartFailure);
