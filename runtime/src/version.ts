/** Reported by `GET /v2` and `--version`; bumped with the project version. */
export const RUNTIME_NAME = "liftoff-runtime";
export const RUNTIME_VERSION = "0.1.0";
