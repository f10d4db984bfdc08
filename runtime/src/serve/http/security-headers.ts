// The headers every runtime reply carries (nothing may be sniffed, framed, cached or leak a referrer): one constant,
// so bench/bare-server.ts can price exactly these against a bare route.
export const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
} as const;
