/**
 * A self-signed TLS certificate the agent makes for itself at start-up, so that it can serve
 * HTTPS on the cluster network with nothing set up beforehand; the client pins it through the
 * endpoint file (its fingerprint and the certificate itself), which travels over the shared
 * filesystem the client already trusts with the token.
 *
 * Made with WebCrypto and a few lines of DER rather than the openssl command: the same code on
 * Deno, Bun and Node, no program that a compute node's image may lack or ship in another
 * version, no subprocess, the private key never on disk, and every field decided here. The
 * last matters: `openssl req -x509` marks its certificates `CA:TRUE`, and rustls (Deno's TLS)
 * then refuses them as a server's certificate (`CaUsedAsEndEntity`, seen here).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { bits, explicit, octets, oid, sequence, set, time, unsigned, utf8 } from "./_der.ts";
import { element } from "./_der.ts";

/** What {@linkcode makeSelfSignedCertificate} puts in the certificate. */
export interface SelfSignedOptions {
  /** IP addresses (v4 or v6) clients connect to: they go into the subjectAltName. */
  ipAddresses?: readonly string[];
  /** Host names clients may connect to: they go into the subjectAltName too. */
  dnsNames?: readonly string[];
  /** How long the certificate is valid, in days from an hour ago. Default 30. */
  days?: number;
}

/** A certificate with its private key (both PEM) and its SHA-256 fingerprint. */
export interface SelfSignedCertificate {
  /** The certificate, PEM. */
  cert: string;
  /** The private key (ECDSA P-256, PKCS #8), PEM. Keep it in memory. */
  key: string;
  /** SHA-256 of the certificate's DER, upper-case hex pairs joined by `:` (as `openssl x509 -fingerprint -sha256` and Node's `fingerprint256` print it). */
  fingerprint: string;
}

const ECDSA_WITH_SHA256 = sequence(oid("1.2.840.10045.4.3.2"));

/**
 * Makes a self-signed ECDSA P-256 certificate for the given addresses and names.
 *
 * @param options The addresses and names clients use, and the validity.
 * @returns The certificate, its key and its fingerprint.
 * @throws {TypeError} On an address that is neither IPv4 nor IPv6, or a name that is not a host name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { X509Certificate } from "node:crypto";
 * import { makeSelfSignedCertificate } from "@asyncflow/asyncflow/agent";
 * const made = await makeSelfSignedCertificate({ ipAddresses: ["10.0.0.7"], dnsNames: ["node7"] });
 * const parsed = new X509Certificate(made.cert);
 * assert.equal(parsed.fingerprint256, made.fingerprint);
 * assert.match(parsed.subjectAltName ?? "", /IP Address:10\.0\.0\.7/);
 * ```
 */
export async function makeSelfSignedCertificate(
  options: SelfSignedOptions = {},
): Promise<SelfSignedCertificate> {
  const days = options.days ?? 30;
  if (!(days > 0 && days <= 3650)) {
    throw new TypeError(`'days' must be between 0 and 3650, got ${days}`);
  }
  const names = [
    ...(options.ipAddresses ?? []).map((ip) => element(0x87, ipBytes(ip))), // [7] iPAddress
    ...(options.dnsNames ?? []).map((name) => element(0x82, dnsBytes(name))), // [2] dNSName
  ];
  const keys = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const name = sequence(set(sequence(oid("2.5.4.3"), utf8("asyncflow agent")))); // CN
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and not zero, as RFC 5280 asks
  const now = Date.now();
  const extensions = names.length === 0 ? [] : [
    explicit(3, sequence(sequence(oid("2.5.29.17"), octets(sequence(...names))))), // subjectAltName
  ];
  const tbs = sequence(
    explicit(0, unsigned(Uint8Array.of(2))), // version 3
    unsigned(serial),
    ECDSA_WITH_SHA256,
    name,
    sequence(time(new Date(now - 3_600_000)), time(new Date(now + days * 86_400_000))),
    name,
    spki,
    ...extensions,
  );
  const p1363 = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, tbs),
  );
  // WebCrypto signs as r‖s; X.509 wants SEQUENCE { INTEGER r, INTEGER s }.
  const signature = sequence(unsigned(p1363.subarray(0, 32)), unsigned(p1363.subarray(32)));
  const der = sequence(tbs, ECDSA_WITH_SHA256, bits(signature));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return {
    cert: pem("CERTIFICATE", der),
    key: pem("PRIVATE KEY", pkcs8),
    fingerprint: fingerprintOf(der),
  };
}

function fingerprintOf(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("hex").toUpperCase().match(/../g)!.join(":");
}

function pem(label: string, der: Uint8Array): string {
  const base64 = btoa(String.fromCharCode(...der)).match(/.{1,64}/g)!.join("\n");
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

function ipBytes(ip: string): Uint8Array {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.every((p) => p <= 255)) return Uint8Array.from(parts);
  }
  const halves = ip.split("::");
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  if (halves.length <= 2 && /^[0-9a-fA-F:]+$/.test(ip)) {
    const head = groups(halves[0]);
    const tail = groups(halves[1]);
    const fill = 8 - head.length - tail.length;
    if ((halves.length === 2 ? fill >= 1 : fill === 0) && [...head, ...tail].every(group)) {
      const all = [...head, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...tail];
      return Uint8Array.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]));
    }
  }
  throw new TypeError(`'ipAddresses' must hold IPv4 or IPv6 addresses, got '${ip}'`);
}

const group = (g: string) => /^[0-9a-fA-F]{1,4}$/.test(g);

function dnsBytes(name: string): Uint8Array {
  if (
    !/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
      .test(name)
  ) {
    throw new TypeError(`'dnsNames' must hold host names, got '${name}'`);
  }
  return new TextEncoder().encode(name);
}
