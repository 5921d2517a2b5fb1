import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SecretBox } from './secret-box.js';

const box = new SecretBox(randomBytes(32).toString('base64'));

test('opens what it sealed, and the ciphertext does not contain the secret', () => {
  const sealed = box.seal('whsec_top-secret', 'tenant-1/src_1');
  assert.ok(!sealed.includes(Buffer.from('top-secret')));
  assert.equal(box.open(sealed, 'tenant-1/src_1'), 'whsec_top-secret');
});

test('refuses a ciphertext moved to another row, a tampered one, or another key', () => {
  const sealed = box.seal('secret', 'tenant-1/src_1');
  assert.throws(() => box.open(sealed, 'tenant-2/src_1'));
  const tampered = Buffer.from(sealed);
  tampered[tampered.length - 1]! ^= 1;
  assert.throws(() => box.open(tampered, 'tenant-1/src_1'));
  assert.throws(() => new SecretBox(randomBytes(32).toString('base64')).open(sealed, 'tenant-1/src_1'));
});

test('refuses a key that is not 32 bytes', () => {
  assert.throws(() => new SecretBox(randomBytes(16).toString('base64')), /32 bytes/);
});
