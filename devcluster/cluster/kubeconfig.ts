// Renders a self-contained kubeconfig (certificates embedded) for one identity (pure apart from reading the files).
import { readFileSync } from "node:fs";
import { stringify } from "yaml";

export function renderKubeconfig(opts: {
  clusterName: string;
  server: string;
  caCertFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  user: string;
}): string {
  const b64 = (file: string) => readFileSync(file).toString("base64");
  const context = `${opts.user}@${opts.clusterName}`;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: opts.clusterName, cluster: { server: opts.server, "certificate-authority-data": b64(opts.caCertFile) } },
    ],
    users: [
      {
        name: opts.user,
        user: { "client-certificate-data": b64(opts.clientCertFile), "client-key-data": b64(opts.clientKeyFile) },
      },
    ],
    contexts: [{ name: context, context: { cluster: opts.clusterName, user: opts.user, namespace: "default" } }],
    "current-context": context,
  });
}
