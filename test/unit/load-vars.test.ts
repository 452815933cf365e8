import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Facts } from '../../src/facts/facts.js';
import { loadInventory } from '../../src/load/inventory.js';
import { buildHostVars, osVarsFiles, parseExtraVars, varsFor } from '../../src/load/vars.js';
import { fix, hasError, inputErrors } from './load-helpers.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

describe('variable precedence', () => {
  it('layers replace at the top level in the documented order', () => {
    const layer = (n: string) => ({ v: n, [`only_${n}`]: true, nested: { from: n } });
    const v = buildHostVars({
      roleDefaults: layer('defaults'),
      roleOsVars: [layer('os-default'), layer('os-debian')],
      groupVars: [layer('all'), layer('child')],
      hostVars: layer('host'),
      playVars: layer('play'),
      roleParams: layer('params'),
      extraVars: { v: 'extra' },
      inventoryHostname: 'h1',
    });
    assert.equal(v.v, 'extra');
    assert.deepEqual(v.nested, { from: 'params' }); // replaced, not deep-merged
    for (const n of ['defaults', 'os-default', 'os-debian', 'all', 'child', 'host', 'play', 'params']) assert.equal(v[`only_${n}`], true);
    assert.equal(v.inventory_hostname, 'h1');
    const order = ['roleDefaults', 'roleOsVars', 'groupVars', 'hostVars', 'playVars', 'roleParams', 'extraVars'] as const;
    for (let i = 0; i < order.length - 1; i++) {
      const lo = order[i]!;
      const hi = order[i + 1]!;
      const wrap = (k: typeof lo, val: string) => (k === 'roleOsVars' || k === 'groupVars' ? [{ x: val }] : { x: val });
      assert.equal(buildHostVars({ [lo]: wrap(lo, 'lo'), [hi]: wrap(hi, 'hi') }).x, 'hi', `${hi} beats ${lo}`);
    }
  });

  it('per-OS vars files: most specific last, case-insensitive', () => {
    const f = (stem: string) => ({ vars: { stem }, file: `${stem}.yml` });
    const role = { osVars: { 'CentOS-6': f('CentOS-6'), CentOS: f('CentOS'), RedHat: f('RedHat'), default: f('default'), Debian: f('Debian') } };
    const stems = (facts: Parameters<typeof osVarsFiles>[1]) => osVarsFiles(role, facts).map((x) => x.stem);
    assert.deepEqual(stems({ os_family: 'RedHat', distribution: 'centos', distribution_major: 6 }), ['default', 'RedHat', 'CentOS', 'CentOS-6']);
    assert.deepEqual(stems({ os_family: 'RedHat', distribution: 'centos', distribution_major: 7 }), ['default', 'RedHat', 'CentOS']);
    assert.deepEqual(stems({ os_family: 'FreeBSD', distribution: 'freebsd', distribution_major: 14 }), ['default']);
  });

  it('varsFor combines inventory, play, role and facts for one host', () => {
    const inventory = loadInventory(fix('inventory', 'inventory.yml'), testSecrets);
    const role = { name: 'r', dir: '/r', defaults: { level: 'default', d: 1 }, osVars: { Debian: { vars: { os: 'deb' }, file: '' } }, tasks: [], handlers: [] };
    const facts = { os_family: 'Debian', distribution: 'debian', distribution_major: 12 } as Facts;
    const v = varsFor({ inventory, host: 'relay3', play: { vars: { p: 1 } }, roleRef: { role, params: { q: 2 } }, extraVars: { e: 3 }, facts });
    assert.equal(v.level, 'debian');
    assert.deepEqual([v.d, v.os, v.p, v.q, v.e], [1, 'deb', 1, 2, 3]);
    assert.deepEqual(v.group_names, ['relays', 'debian']);
    assert.equal((v.facts as Facts).os_family, 'Debian');
  });
});

describe('parseExtraVars', () => {
  it('key=value as YAML scalars, @file, inline mappings, later wins', () => {
    const v = parseExtraVars(['port=25', 'on=true', 'name=web 1', 'mode=0644', 'empty=', 'x=a: b', `@${fix('vars', 'extra.yml')}`, '{"port": 100}'], testSecrets);
    assert.deepEqual(v, { port: 100, on: true, name: 'web 1', mode: '0644', empty: '', x: 'a: b', from_file: 1 });
  });
  it('errors name the argument', () => {
    const errs = inputErrors(() => parseExtraVars(['novalue', '1x=2', '@/nonexistent/file.yml', `@${fix('vars', 'notmap.yml')}`], testSecrets));
    assert.ok(errs.some((e) => e.message === "-e 'novalue': expected key=value, @file.yml or {mapping}"));
    assert.ok(errs.some((e) => e.message.startsWith("-e '1x=2': '1x' is not a variable name")));
    assert.ok(errs.some((e) => e.pos?.file === '/nonexistent/file.yml' && e.message.startsWith('cannot read file')));
    hasError(errs, 'vars/notmap.yml', 1, 1, "-e '@");
  });
});
