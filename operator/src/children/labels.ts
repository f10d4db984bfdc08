// The label every child of every kind carries: the operator caches only labelled objects, and a person can tell
// what Liftoff manages.
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "liftoff" } as const;
