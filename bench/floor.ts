// The floor under a no-change run: what any tool must spend on these hosts whatever its design —
// log in to every host (fleetplan's own SSH connector, same forks) and run, in one exec, the reads a
// no-change run of the relay plan cannot skip: each service's status through its init system and the
// package query. No facts, no plan, no diff. The bench runs it right after fleetplan's no-change run on
// the same fleet, so "fleetplan − floor" is what fleetplan's planning costs at that hour's machine speed.
//   node dist/bench/floor.js <inventory.yml> <personality> <forks>
// Hosts are reached exactly as fleetplan reaches them: the inventory's vars through connectHost.
import path from 'node:path';
import { connectHost } from '../src/engine/connect-host.js';
import { loadInventory } from '../src/load/inventory.js';
import { SecretRegistry } from '../src/core/secret.js';

/** The secret registry of this file's runs (each command run has one). */
const testSecrets = new SecretRegistry();

const SERVICES = ['sendmail', 'postfix', 'opendkim'];
const PACKAGE_QUERY = `dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' postfix libsasl2-modules opendkim opendkim-tools`;

/** The floor's one command for a Debian personality, or undefined where the bench has none. */
export function floorCommand(personality: string): string | undefined {
  if (personality === 'debian-sysv') {
    return `for s in ${SERVICES.join(' ')}; do [ -x /etc/init.d/$s ] && /etc/init.d/$s status >/dev/null 2>&1; done; ${PACKAGE_QUERY} >/dev/null 2>&1; true`;
  }
  if (personality === 'debian-systemd') {
    return `systemctl show -p ActiveState,UnitFileState ${SERVICES.join(' ')} >/dev/null 2>&1; ${PACKAGE_QUERY} >/dev/null 2>&1; true`;
  }
  return undefined;
}

/**
 * Logs in to every host of the inventory (fleetplan's SSH connector, `forks` at a time) and runs the
 * host's one script in one exec; resolves to how many hosts there were and how many failed (each said on stderr).
 */
export async function onEveryHost(inventoryFile: string, forks: number, scriptFor: (host: string) => string): Promise<{ hosts: number; failed: number }> {
  const inventory = loadInventory(inventoryFile, testSecrets);
  const hosts = [...inventory.hosts.keys()];
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < hosts.length) {
      const host = hosts[next++]!;
      try {
        const conn = await connectHost(inventory, host, {}, {});
        try {
          const r = await conn.script(scriptFor(host));
          if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stderr}`);
        } finally {
          await conn.close();
        }
      } catch (e) {
        failed++;
        process.stderr.write(`${host}: ${(e as Error).message}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(forks, hosts.length) }, worker));
  return { hosts: hosts.length, failed };
}

async function main(): Promise<void> {
  const [inventoryFile, personality, forks] = process.argv.slice(2);
  const command = floorCommand(personality ?? '');
  if (!inventoryFile || !command) throw new Error('usage: floor.js <inventory.yml> <debian-sysv|debian-systemd> <forks>');
  const { hosts, failed } = await onEveryHost(inventoryFile, Number(forks), () => command);
  process.stdout.write(`floor: ${hosts - failed}/${hosts} hosts\n`);
  process.exitCode = failed ? 1 : 0;
}

// apply-floor.js imports this file: only a run of floor.js itself is this main.
if (path.basename(process.argv[1] ?? '') === 'floor.js') await main();
