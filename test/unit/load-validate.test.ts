import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlan } from '../../src/load/plan.js';
import { validatePlanVars } from '../../src/load/validate.js';
import { fix, hasError, registry } from './load-helpers.js';
import { SecretRegistry } from '../../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const opts = { rolesPath: [fix('rolespath')], bundledRolesDir: fix('bundled'), registry, secrets: testSecrets };
const inventory = loadInventory(fix('inventory', 'inventory.yml'), testSecrets);

describe('validatePlanVars', () => {
  it('a plan whose variables all resolve has no errors (defaults, OS vars in every file, facts, each/if/default)', () => {
    const plan = loadPlan(fix('site', 'site.yml'), opts);
    assert.deepEqual(validatePlanVars(plan, inventory, {}).map((e) => e.describe()), []);
  });

  it('reports undefined variables in templates (file:line:col) and arguments (plan position), naming hosts', () => {
    const plan = loadPlan(fix('bad', 'undefined-var.yml'), opts);
    const errs = validatePlanVars(plan, inventory, {});
    hasError(errs, 'ok.conf.hbs', 3, 11, "undefined variable 'relay_hots' for hosts relay1, relay2, relay3");
    hasError(errs, 'ok.conf.hbs', 4, 9, "undefined variable 'deb_only' (defined only in vars/Debian.yml");
    hasError(errs, 'bad/undefined-var.yml', 5, 16, "argument 'cmd': undefined variable 'nope' for hosts relay1, relay2, relay3");
    assert.equal(errs.length, 3, errs.map((e) => e.describe()).join('\n'));
  });

  it('extra vars and the host subset count', () => {
    const plan = loadPlan(fix('bad', 'undefined-var.yml'), opts);
    assert.deepEqual(validatePlanVars(plan, inventory, { nope: 1, relay_hots: 'x', deb_only: 1 }), []);
    const errs = validatePlanVars(plan, inventory, { relay_hots: 'x', deb_only: 1 }, ['relay2']);
    hasError(errs, 'bad/undefined-var.yml', 5, 16, "undefined variable 'nope' for host relay2");
  });

  it('alike hosts are checked once and all named; a host whose own variables differ in shape is checked on its own', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fp-validate-'));
    try {
      // r1..r3 differ only in plain values; r4 defines `nope`; r5's own variable references an undefined one.
      writeFileSync(path.join(dir, 'inventory.yml'), [
        'all:', '  children:', '    relays:', '      vars: { relay_hots: x, deb_only: 1, relay_port: 25 }', '      hosts:',
        '        r1: { ssh_host: 10.0.0.1 }', '        r2: { ssh_host: 10.0.0.2 }', '        r3: { ssh_host: 10.0.0.3 }',
        '        r4: { ssh_host: 10.0.0.4, nope: 1 }', '        r5: { ssh_host: 10.0.0.5, motd: "{{ greeting }}" }', '',
      ].join('\n'));
      const inv = loadInventory(path.join(dir, 'inventory.yml'), testSecrets);
      const plan = loadPlan(fix('bad', 'undefined-var.yml'), opts);
      const errs = validatePlanVars(plan, inv, {});
      hasError(errs, 'bad/undefined-var.yml', 5, 16, "argument 'cmd': undefined variable 'nope' for hosts r1, r2, r3, r5");
      hasError(errs, 'inventory.yml', 10, 41, "variable 'motd': undefined variable 'greeting' for host r5");
      assert.equal(errs.length, 2, errs.map((e) => e.describe()).join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
