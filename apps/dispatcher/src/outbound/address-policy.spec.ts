import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forbiddenAddressReason, forbiddenHostReason } from './address-policy.js';

const strict = { allowPrivate: false };
const local = { allowPrivate: true };

/** Loopback and private ranges: refused in production, allowed for local receivers. */
const PRIVATE_USE = [
  '127.0.0.1',
  '127.8.9.10',
  '10.1.2.3',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '100.64.0.1',
  '::1',
  'fd12:3456::1',
  '::ffff:127.0.0.1',
  '::ffff:10.0.0.1',
  '64:ff9b::10.0.0.1',
];

/** Special-purpose, reserved and translation forms that are never global unicast. */
const NEVER_GLOBAL = [
  '0.0.0.0',
  '255.255.255.255',
  '224.0.0.1',
  '240.0.0.1',
  '169.254.1.1',
  '192.0.0.8',
  '192.0.2.1',
  '198.51.100.7',
  '203.0.113.10',
  '192.88.99.1',
  '198.18.0.1',
  '::',
  'fe80::1',
  'fe80::1%eth0',
  'ff02::1',
  // IPv4-compatible (deprecated); the URL parser writes [::127.0.0.1] as [::7f00:1].
  '::127.0.0.1',
  '::7f00:1',
  '::808:808',
  // IPv4-translated (SIIT), local-use NAT64, 6to4, Teredo: refused whatever they embed.
  '::ffff:0:7f00:1',
  '::ffff:0:808:808',
  '64:ff9b:1::1',
  '64:ff9b:1::808:808',
  '2002::1',
  '2002:7f00:1::1',
  '2002:808:808::1',
  '2001::1',
  '2001:0:4136:e378::1',
  'fec0::1',
  '100::1',
  '2001:db8::1',
  '2001:2::1',
  '3fff::1',
  '::ffff:192.0.2.1',
  '64:ff9b::203.0.113.1',
];

const METADATA = [
  '169.254.169.254',
  'fd00:ec2::254',
  'fd20:ce::254',
  '100.100.100.200',
  '::ffff:169.254.169.254',
  '64:ff9b::a9fe:a9fe',
];

describe('outbound address policy', () => {
  test('allows global unicast addresses, also when IPv4-mapped or behind the NAT64 well-known prefix', () => {
    for (const address of [
      '8.8.8.8',
      '93.184.216.34',
      '172.32.0.1',
      '2606:4700::1111',
      '2a00:1450::1',
      '::ffff:8.8.8.8',
      '64:ff9b::8.8.8.8',
    ]) {
      assert.equal(forbiddenAddressReason(address, strict), null, address);
      assert.equal(forbiddenAddressReason(address, local), null, `${address} with OUTBOUND_ALLOW_PRIVATE`);
    }
  });

  test('refuses loopback and private ranges unless OUTBOUND_ALLOW_PRIVATE', () => {
    for (const address of PRIVATE_USE) {
      assert.match(
        forbiddenAddressReason(address, strict) ?? 'allowed',
        /is not a global unicast address/,
        address,
      );
      assert.equal(forbiddenAddressReason(address, local), null, `${address} with OUTBOUND_ALLOW_PRIVATE`);
    }
  });

  test('refuses special-purpose, documentation, reserved and translated addresses, whatever the setting', () => {
    for (const address of NEVER_GLOBAL) {
      assert.match(
        forbiddenAddressReason(address, strict) ?? 'allowed',
        /is not a global unicast address/,
        address,
      );
      assert.match(
        forbiddenAddressReason(address, local) ?? 'allowed',
        /is not a global unicast address/,
        `${address} with OUTBOUND_ALLOW_PRIVATE`,
      );
    }
  });

  test('refuses cloud metadata endpoints, whatever the setting', () => {
    for (const address of METADATA) {
      for (const policy of [strict, local]) {
        assert.match(
          forbiddenAddressReason(address, policy) ?? 'allowed',
          /cloud metadata endpoint/,
          address,
        );
      }
    }
    for (const host of [
      'metadata.google.internal',
      'METADATA.google.internal.',
      'metadata',
      'metadata.goog',
      'instance-data',
      'instance-data.ec2.internal',
      'metadata.azure.com',
    ]) {
      assert.match(forbiddenHostReason(host) ?? 'allowed', /cloud metadata host/, host);
    }
    assert.equal(forbiddenHostReason('metadata.example.com'), null);
  });

  test('names what is not an address', () => {
    assert.match(forbiddenAddressReason('example.com') ?? '', /not an IP address/);
  });
});
