import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forbiddenAddressReason } from './address-policy.js';

describe('outbound address policy', () => {
  test('refuses loopback, private, link-local and metadata addresses in both families', () => {
    for (const address of [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ]) {
      assert.match(forbiddenAddressReason(address) ?? 'allowed', /loopback, private/, address);
    }
  });

  test('allows public addresses', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111']) {
      assert.equal(forbiddenAddressReason(address), null, address);
    }
  });
});
