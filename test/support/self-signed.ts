// A self-signed EC certificate for 127.0.0.1 (openssl, one day), as cert-manager would mount one: for tests that
// stand up a local TLS server (an API server's or the runtime's place).
import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** Writes tls.crt and tls.key into `dir`; returns their paths. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const [cert, key] = [join(dir, "tls.crt"), join(dir, "tls.key")];
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"],
      ...["-keyout", key, "-out", cert, "-subj", "/CN=liftoff-test", "-addext", "subjectAltName=IP:127.0.0.1"],
    ],
    { stdio: "ignore" },
  );
  return { cert, key };
}
