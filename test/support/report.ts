// The report endpoint's operator flags for an operator in the test process: see devcluster/cluster/report-flags.ts.
export { podHostAddress, reportFlags } from "../../devcluster/cluster/report-flags.js";
