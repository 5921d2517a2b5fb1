import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/*
 * Where outbound webhooks may go: global unicast only, as ipaddr.js classifies addresses from the
 * IANA special-purpose registries (loopback, private, link-local, carrier-grade NAT, documentation,
 * benchmarking, 6to4, Teredo, NAT64, discard, multicast, reserved, …): every other range can lead
 * back into our own network or nowhere.
 */

/** What OUTBOUND_ALLOW_PRIVATE admits besides, for local receivers; never a metadata endpoint. */
const PRIVATE_USE = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);

/**
 * IANA allocates IPv6 global unicast from 2000::/3 only. ipaddr.js has every special-purpose block
 * but calls the rest of the space "unicast", so the IPv4-compatible form (::7f00:1, which is what
 * the URL parser makes of [::127.0.0.1]) and other unallocated space would pass without this.
 */
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

/** NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address reached. */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/** Cloud instance metadata (AWS v4 and v6, GCP, Azure, Alibaba): refused whatever the settings. */
const METADATA_ADDRESSES = ['169.254.169.254', 'fd00:ec2::254', 'fd20:ce::254', '100.100.100.200'].map(
  (address) => ipaddr.parse(address),
);
const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.com',
  'instance-data',
  'instance-data.ec2.internal',
]);

export interface AddressPolicy {
  /** OUTBOUND_ALLOW_PRIVATE: loopback, private, unique-local and carrier-grade NAT are allowed too. */
  allowPrivate: boolean;
}

/** Why an address may not be connected to ("127.0.0.1 is not a global unicast address (loopback)"), or null. */
export function forbiddenAddressReason(
  address: string,
  policy: AddressPolicy = { allowPrivate: false },
): string | null {
  const refusal = addressRefusal(address, policy);
  return refusal ? `${address} is ${refusal}` : null;
}

/** What makes an address refused ("a cloud metadata endpoint"), or null when it may be used. */
export function addressRefusal(address: string, policy: AddressPolicy): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const judged = embeddedIPv4(ipaddr.parse(family === 6 ? canonicalIPv6(address) : address));
  if (METADATA_ADDRESSES.some((metadata) => sameAddress(judged, metadata)))
    return 'a cloud metadata endpoint';
  const kind = rangeOf(judged);
  if (kind === 'unicast' || (policy.allowPrivate && PRIVATE_USE.has(kind))) return null;
  return `not a global unicast address (${kind})`;
}

/** Why a host name may not be used whatever it resolves to (metadata services), or null. */
export function forbiddenHostReason(host: string): string | null {
  const name = host.toLowerCase().replace(/\.+$/, '');
  return METADATA_HOSTS.has(name) ? `${host} is a cloud metadata host` : null;
}

/**
 * The IPv4 address that an IPv4-mapped (::ffff:a.b.c.d) or NAT64 (64:ff9b::a.b.c.d) address
 * reaches, judged like the IPv4 address itself; any other address as it is. Other translation forms
 * (6to4, Teredo, 64:ff9b:1::/48, ::ffff:0:a.b.c.d) keep their own range and are refused.
 */
function embeddedIPv4(address: Address): Address {
  if (address.kind() === 'ipv4') return address;
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  if (v6.match(NAT64_WELL_KNOWN)) return ipaddr.fromByteArray(v6.toByteArray().slice(12));
  return address;
}

/**
 * The URL parser's spelling, without a zone. ipaddr.js reads the deprecated IPv4-compatible
 * ::a.b.c.d as if it were the mapped ::ffff:a.b.c.d, which it is not: the kernel does not reach
 * a.b.c.d through it. Written as hex groups it is judged by what it is.
 */
function canonicalIPv6(address: string): string {
  const bare = address.split('%')[0]!;
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

function rangeOf(address: Address): string {
  const range = address.range();
  if (range === 'unicast' && address.kind() === 'ipv6' && !address.match(IPV6_GLOBAL_UNICAST)) {
    return 'outside 2000::/3';
  }
  return range;
}

function sameAddress(a: Address, b: Address): boolean {
  return a.kind() === b.kind() && a.match(b, a.kind() === 'ipv4' ? 32 : 128);
}
