import { describe, expect, it } from "vitest";
import { addressClass, type Cidr, type Ip, inCidr, parseCidr, parseIp } from "./address-class.js";

describe("addressClass", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["::1", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["169.254.169.254", "cloud metadata"],
    ["fd00:ec2::254", "cloud metadata"],
    ["168.63.129.16", "cloud metadata"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["100.64.0.1", "shared (CGNAT)"],
    ["100.127.255.255", "shared (CGNAT)"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "reserved"],
    // IPv4 written inside IPv6 is judged as the IPv4 it carries
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "cloud metadata"],
    ["::ffff:a9fe:a9fe", "cloud metadata"],
    ["64:ff9b::a00:1", "private"],
    ["::7f00:1", "loopback"],
    ["not-an-ip", "reserved"],
  ])("%s is %s", (address, cls) => {
    expect(addressClass(address)).toBe(cls);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "169.253.255.255",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
  ])("%s is public (no class)", (address) => {
    expect(addressClass(address)).toBeUndefined();
  });
});

describe("CIDRs", () => {
  it("match addresses of their own family inside the prefix", () => {
    const net = parseCidr("10.20.0.0/16") as Cidr;
    const ip = (text: string) => parseIp(text) as Ip;
    expect(inCidr(ip("10.20.3.4"), net)).toBe(true);
    expect(inCidr(ip("10.21.0.1"), net)).toBe(false);
    expect(inCidr(ip("::a14:304"), net)).toBe(false);
    expect(inCidr(ip("fd00::1"), parseCidr("fd00::/8") as Cidr)).toBe(true);
  });

  it.each(["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8/1", "host.example/8", "::/129"])("%s is not a CIDR", (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});
