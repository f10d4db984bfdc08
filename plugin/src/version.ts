// The plugin's version: the build stamps it (hack/build-plugin.ts defines LIFTOFF_PLUGIN_VERSION); from source it is
// plugin/package.json's.
declare const LIFTOFF_PLUGIN_VERSION: string | undefined;

export const PLUGIN_VERSION: string = typeof LIFTOFF_PLUGIN_VERSION === "string" ? LIFTOFF_PLUGIN_VERSION : "0.1.0-dev";
