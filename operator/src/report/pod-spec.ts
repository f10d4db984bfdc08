// What a run pod needs to report back (pure): a projected service-account token of audience liftoff-operator, bound
// to the pod and short-lived, plus the operator's URL and the CA of its serving certificate (public, so env is fine).
import { podEnv } from "../contract/pod-env.js";
import { REPORT_AUDIENCE } from "../contract/report.js";

/** Where and how pods reach the operator's report endpoint (from the operator's flags). */
export interface ReportSettings {
  /** e.g. https://liftoff-operator-report.liftoff-system.svc:9443/v1/report, or https://10.88.0.1:9443/v1/report. */
  url: string;
  /** PEM of the CA that signed the serving certificate. */
  caPem: string;
}

const REPORT_TOKEN_VOLUME = "liftoff-report-token";
const REPORT_TOKEN_DIR = "/var/run/secrets/liftoff.dev/report";

export interface ReportPodParts {
  env: { name: string; value: string }[];
  volume: Record<string, unknown>;
  volumeMount: { name: string; mountPath: string; readOnly: boolean };
}

export function reportPodParts(s: ReportSettings): ReportPodParts {
  return {
    env: [
      podEnv("reportUrl", s.url),
      podEnv("reportTokenFile", `${REPORT_TOKEN_DIR}/token`),
      podEnv("reportCa", s.caPem),
    ],
    volume: {
      name: REPORT_TOKEN_VOLUME,
      projected: {
        sources: [{ serviceAccountToken: { audience: REPORT_AUDIENCE, expirationSeconds: 3600, path: "token" } }],
      },
    },
    volumeMount: { name: REPORT_TOKEN_VOLUME, mountPath: REPORT_TOKEN_DIR, readOnly: true },
  };
}
