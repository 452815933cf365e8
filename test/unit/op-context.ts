// The operation context unit tests plan against: a Debian host with apt, systemd and shadow-utils,
// nothing rendered, controller paths as written, and its own secret registry.
import { shadowUtils } from '../../src/backends/accounts/shadow-utils.js';
import { systemd } from '../../src/backends/init/systemd.js';
import { apt } from '../../src/backends/package/apt.js';
import { SecretRegistry } from '../../src/core/secret.js';
import { parseFacts } from '../../src/facts/gather.js';
import type { OpContext } from '../../src/ops/operation.js';

export function debianOpContext(overrides: Partial<OpContext> = {}): OpContext {
  return {
    host: 'h1',
    facts: parseFacts('system=Linux\nos_release.ID=debian\nhas_apt-get=1\nrun_systemd=1\n'),
    vars: {},
    backends: { package: apt, init: systemd, accounts: shadowUtils },
    controllerPath: (_k, src) => src,
    renderTemplate: () => '',
    noLog: false,
    secrets: new SecretRegistry(),
    ...overrides,
  };
}
