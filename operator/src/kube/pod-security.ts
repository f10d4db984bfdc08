// The `restricted` Pod Security Standard as every pod Liftoff creates wears it (pure constants): non-root with a
// fixed uid/gid, no privilege escalation, no capabilities, read-only root filesystem, seccomp RuntimeDefault.
export const RESTRICTED_POD_SECURITY = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  fsGroup: 65532,
  seccompProfile: { type: "RuntimeDefault" },
} as const;

export const RESTRICTED_CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  // A mutable array type, so typed pod specs (client-node models) accept it.
  capabilities: { drop: ["ALL"] as string[] },
  seccompProfile: { type: "RuntimeDefault" },
} as const;
