// Hands out one address per pod from its node's /24 (loopback, or the netns bridge's range) (pure state, no I/O).
export class IpPool {
  private readonly used = new Set<number>();
  private cursor = 2;

  /** `prefix` is "127.N.M" (or "10.N.M" in netns mode); .1 is the node itself, pods get .2–.254. */
  constructor(private readonly prefix: string) {}

  static fromCIDR(cidr: string): IpPool {
    const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(cidr);
    if (!m?.[1]) throw new Error(`pod CIDR must be a /24, got ${cidr}`);
    return new IpPool(m[1]);
  }

  /** Keeps an address the pod already had (agent restart); returns false if it is not ours or taken. */
  claim(ip: string): boolean {
    const host = this.hostPart(ip);
    if (host === undefined || this.used.has(host)) return false;
    this.used.add(host);
    return true;
  }

  /** The next free address after the last one given, so a released address is not reused at once. */
  allocate(): string {
    for (let i = 0; i < 253; i++) {
      const host = ((this.cursor - 2 + i) % 253) + 2;
      if (!this.used.has(host)) {
        this.used.add(host);
        this.cursor = host + 1;
        return `${this.prefix}.${host}`;
      }
    }
    throw new Error(`no free pod address left in ${this.prefix}.0/24`);
  }

  release(ip: string): void {
    const host = this.hostPart(ip);
    if (host !== undefined) this.used.delete(host);
  }

  get size(): number {
    return this.used.size;
  }

  private hostPart(ip: string): number | undefined {
    if (!ip.startsWith(`${this.prefix}.`)) return undefined;
    const host = Number(ip.slice(this.prefix.length + 1));
    return Number.isInteger(host) && host >= 2 && host <= 254 ? host : undefined;
  }
}
