// npm run fleet -- up --os debian-systemd,debian-sysv --count 3 --out .fleet
// npm run fleet -- down --out .fleet
import { Command } from 'commander';
import { down, up, PERSONALITIES, type MailFlavour, type Personality, type SshdFlavour } from './fleet.js';
import { ensurePrereqs } from './prereqs.js';

const program = new Command('fleet').description('throw-away local SSH test hosts for fleetplan');

program.command('up')
  .description('bring up COUNT hosts of each personality; writes inventory.yml, known_hosts, id_ed25519 in --out')
  .requiredOption('--os <list>', `comma-separated personalities (${PERSONALITIES.join(', ')})`)
  .option('--count <n>', 'hosts per personality', '1')
  .requiredOption('--out <dir>', 'directory owned by the fleet (emptied first)')
  .option('--light-sshd', 'sshd without PAM: lighter logins for scale runs (default: the distribution\'s sshd, PAM included)')
  .option('--light-mail', 'Postfix\'s idle pickup and qmgr start on first use, not with the master: lighter relay hosts for scale runs')
  .action(async (o: { os: string; count: string; out: string; lightSshd?: boolean; lightMail?: boolean }) => {
    const oses = o.os.split(',').map((s) => s.trim()).filter(Boolean) as Personality[];
    // A fresh machine needs only `npm ci` first: the Debian packages and the base image come here.
    const reason = await ensurePrereqs((m) => console.error(`[fleet] ${m}`));
    if (reason) throw new Error(reason);
    const sshd: SshdFlavour = o.lightSshd ? 'light' : 'full';
    const mail: MailFlavour = o.lightMail ? 'light' : 'full';
    const fleet = await up({ os: oses, count: Number(o.count), out: o.out, sshd, mail });
    for (const h of fleet.hosts) console.log(`${h.name}\t${h.os}\t${h.address}:${h.port}\tpid=${h.pid}`);
    console.log(`inventory: ${fleet.inventoryPath}`);
    console.log(`ssh: ssh -i ${fleet.keyPath} -o UserKnownHostsFile=${fleet.knownHostsPath} root@${fleet.hosts[0]!.address}`);
  });

program.command('down')
  .description('stop every host of the fleet in --out and remove its files')
  .requiredOption('--out <dir>')
  .action(async (o: { out: string }) => { await down(o.out); });

program.parseAsync().catch((e: Error) => { console.error(`fleet: ${e.message}`); process.exit(1); });
