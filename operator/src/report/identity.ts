// Who sent a report: the TokenReview of the pod's projected token (audience liftoff-operator), reduced to the pod it
// is bound to. Pure: the API call is the caller's.

/** The part of a TokenReview's status this needs. */
export interface TokenReviewStatus {
  authenticated?: boolean;
  audiences?: string[];
  error?: string;
  user?: { username?: string; extra?: Record<string, string[]> };
}

export interface PodIdentity {
  namespace: string;
  serviceAccount: string;
  podName: string;
  podUid: string;
}

export class ReportRejected extends Error {
  override name = "ReportRejected";
  constructor(
    message: string,
    /** 400 bad body, 401 no valid token, 403 a valid token that may not report, 404 run gone, 409 stale run, 503 retry. */
    readonly status: 400 | 401 | 403 | 404 | 409 | 503,
  ) {
    super(message);
  }
}

const SA_PREFIX = "system:serviceaccount:";

/** The pod a reviewed token is bound to; only pod-bound service-account tokens of the right audience pass. */
export function podIdentity(review: TokenReviewStatus, audience: string): PodIdentity {
  if (!review.authenticated) {
    throw new ReportRejected(`token rejected by the API server${review.error ? `: ${review.error}` : ""}`, 401);
  }
  if (!review.audiences?.includes(audience)) {
    throw new ReportRejected(`token is not for audience ${audience}; project one with that audience`, 401);
  }
  const username = review.user?.username ?? "";
  const parts = username.startsWith(SA_PREFIX) ? username.slice(SA_PREFIX.length).split(":") : [];
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new ReportRejected(`${username || "this user"} is not a service account; only run pods may report`, 403);
  }
  const podName = review.user?.extra?.["authentication.kubernetes.io/pod-name"]?.[0];
  const podUid = review.user?.extra?.["authentication.kubernetes.io/pod-uid"]?.[0];
  if (!podName || !podUid) {
    throw new ReportRejected("token is not bound to a pod; use a projected service-account token volume", 403);
  }
  return { namespace: parts[0], serviceAccount: parts[1], podName, podUid };
}
