import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlan } from '../../src/load/plan.js';
import { validatePlanVars } from '../../src/load/validate.js';
import { fix, hasError, registry } from './load-helpers.js';

const opts = { rolesPath: [fix('rolespath')], bundledRolesDir: fix('bundled'), registry };
const inventory = loadInventory(fix('inventory', 'inventory.yml'));

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
});
