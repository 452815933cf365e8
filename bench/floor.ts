// The floor under a no-change run: what any tool must spend on these hosts whatever its design —
// log in to every host (fleetplan's own SSH connector, same forks) and run, in one exec, the reads a
// no-change run of the relay plan cannot skip: each service's status through its init system and the
// package query. No facts, no plan, no diff. The bench runs it right after fleetplan's no-change run on
// the same fleet, so "fleetplan − floor" is what fleetplan's planning costs at that hour's machine speed.
//   node dist/bench/floor.js <inventory.yml> <personality> <forks>
// Hosts are reached exactly as fleetplan reaches them: the inventory's vars through connectHost.
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

async function main(): Promise<void> {
  const [inventoryFile, personality, forks] = process.argv.slice(2);
  const command = floorCommand(personality ?? '');
  if (!inventoryFile || !command) throw new Error('usage: floor.js <inventory.yml> <debian-sysv|debian-systemd> <forks>');
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
          const r = await conn.script(command);
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
  await Promise.all(Array.from({ length: Math.min(Number(forks), hosts.length) }, worker));
  process.stdout.write(`floor: ${hosts.length - failed}/${hosts.length} hosts\n`);
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1]?.endsWith('floor.js')) await main();
