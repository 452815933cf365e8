// The test fleet's addresses beyond one /24 (for 1000-host scale runs), without starting a host:
// 127.0.10.1–254 first, then 127.10.X.1–254; all distinct, all on loopback, never .0 or .255.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fleetAddress, MAX_FLEET_ADDRESSES } from './fleet.js';

test('fleet addresses: 127.0.10.x first, then 127.10.X.Y; 1000 hosts and more, each distinct', () => {
  assert.equal(fleetAddress(0), '127.0.10.1');
  assert.equal(fleetAddress(253), '127.0.10.254');
  assert.equal(fleetAddress(254), '127.10.0.1');
  assert.equal(fleetAddress(254 + 253), '127.10.0.254');
  assert.equal(fleetAddress(254 + 254), '127.10.1.1');
  assert.equal(fleetAddress(MAX_FLEET_ADDRESSES - 1), '127.10.255.254');
  assert.throws(() => fleetAddress(MAX_FLEET_ADDRESSES), /no fleet address/);
  assert.throws(() => fleetAddress(-1), /no fleet address/);
  const thousand = Array.from({ length: 1000 }, (_, i) => fleetAddress(i));
  assert.equal(new Set(thousand).size, 1000);
  for (const a of thousand) {
    const parts = a.split('.').map(Number);
    assert.equal(parts[0], 127, a);
    assert.ok(parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255), a);
    assert.ok(parts[3]! >= 1 && parts[3]! <= 254, `${a}: no network or broadcast-looking last byte`);
  }
  // Beyond 127.0.10.x only after all of it.
  assert.ok(thousand.slice(0, 254).every((a) => a.startsWith('127.0.10.')));
  assert.ok(thousand.slice(254).every((a) => a.startsWith('127.10.')));
});
