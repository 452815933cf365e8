// Red team, class 3: names are data. A package, service, user or group name must never become an
// option, a path out of its directory or anything but one operand; a path must be absolute and hold
// no NUL; a command string is bounded. Refused at validate time (file:line:col, exit 4, no host
// contacted), again after rendering (naming host and task), and again by each backend before it
// builds a command. Host cases run on real fleet hosts (SysV Debian, FreeBSD personality) where
// the unprivileged user `fleet` plants the script a crafted service name points at.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { shadowUtils } from '../../src/backends/accounts/shadow-utils.js';
import { pw } from '../../src/backends/accounts/pw.js';
import { bsdrc } from '../../src/backends/init/bsdrc.js';
import { systemd, systemdDebian } from '../../src/backends/init/systemd.js';
import { chkconfig, sysv, updateRcD } from '../../src/backends/init/sysv.js';
import { nameProblem, type NameGrammar } from '../../src/backends/names.js';
import { apt } from '../../src/backends/package/apt.js';
import { freebsdPkg as pkg } from '../../src/backends/package/freebsd-pkg.js';
import { ports } from '../../src/backends/package/ports.js';
import { rpmBackend } from '../../src/backends/package/rpm.js';
import { shQuote } from '../../src/core/quote.js';
import { groupQuery, userQuery } from '../../src/state/account-state.js';
import { down, up, type Fleet } from '../fleet/fleet.js';
import { skipOrFail, unsupportedReason } from '../fleet/prereqs.js';
import { fleetplan } from '../integration/cli.js';

const dir = mkdtempSync('/tmp/fleetplan-hard-names-');
after(() => rmSync(dir, { recursive: true, force: true }));

// An inventory whose host is never reached: validate and apply must fail before connecting.
const inventory = path.join(dir, 'inventory.yml');
writeFileSync(inventory, 'all:\n  hosts:\n    h1: { ssh_host: 127.0.0.9, ssh_port: 9 }\n');

/** Writes a plan of these task lines and validates it (and applies --check it: it must not connect either). */
async function refused(name: string, tasks: string): Promise<string> {
  const file = path.join(dir, `${name}.yml`);
  writeFileSync(file, `hosts: all\ntasks:\n${tasks}`);
  const v = await fleetplan(['validate', file, '-i', inventory]);
  assert.equal(v.code, 4, `${name}: ${v.stdout}${v.stderr}`);
  assert.match(v.stderr, /no host was contacted/);
  const c = await fleetplan(['apply', file, '-i', inventory, '--check']);
  assert.equal(c.code, 4, `${name} (apply --check): ${c.stdout}${c.stderr}`);
  return v.stderr.replaceAll(`${file}:`, 'plan:');
}

describe('names and paths at validate time (no host contacted, exit 4, file:line:col)', () => {
  it('stops: a package name that is an apt-get option (-oAPT::Update::Pre-Invoke::=…)', async () => {
    const err = await refused(
      'pkg-option',
      '  - name: evil\n    package: { name: "-oAPT::Update::Pre-Invoke::=touch /tmp/pwned" }\n  - name: evil in a list\n    package: { name: [postfix, "-oDPkg::Pre-Invoke::=id"] }\n',
    );
    assert.match(err, /plan:4:22: argument 'name' of 'package': a package name must not start with '-' \(it would be read as an option\), got string "-oAPT::Update::Pre-Invoke::=touch \/tmp\/pwned"/);
    assert.match(err, /plan:6:32: argument 'name\.1' of 'package': a package name must not start with '-'/);
  });

  it('stops: a wait_for host that nc reads as an option (-e…)', async () => {
    const err = await refused('wait-for-option', '  - name: evil\n    wait_for: { host: "-e/bin/sh", port: 25, timeout: 1 }\n');
    assert.match(err, /plan:4:23: argument 'host' of 'wait_for': expected a host name or an IP address, not starting with '-' \(nc would read it as an option\)/);
  });

  it('stops: a service name escaping /etc/init.d (../../x/evil.sh)', async () => {
    const err = await refused(
      'svc-escape',
      '  - name: evil\n    service: { name: ../../x/evil.sh, state: started }\n  - name: evil rc.d\n    service: { name: x/evil, enabled: true }\n  - name: a unit name rc.d refuses\n    service: { name: "a:b", enabled: true, use: bsdrc }\n  - name: option\n    service: { name: "--version", state: stopped }\n',
    );
    assert.match(err, /plan:4:22: argument 'name' of 'service': a service name must not start with '\.' or contain '\.\.', got string "\.\.\/\.\.\/x\/evil\.sh"/);
    assert.match(err, /plan:6:22: argument 'name' of 'service': not a service name any backend accepts \(a systemd unit name: .*; an init script name: .*\), got string "x\/evil"/);
    assert.match(err, /plan:8:22: argument 'name' of 'service': not an init script name \(not \[A-Za-z0-9_\]\[A-Za-z0-9_\.\+@-\]\* \(a file name in the scripts directory\)\) \(use: bsdrc\), got string "a:b"/);
    assert.match(err, /plan:10:22: argument 'name' of 'service': a service name must not start with '-'/);
  });

  it('stops: user names with -, :, or a newline becoming options or extra passwd fields', async () => {
    const err = await refused(
      'user-names',
      '  - name: dash\n    user: { name: "-ou0" }\n  - name: colon\n    user: { name: "bob:x:0:0" }\n  - name: newline\n    user: { name: "bob\\nroot" }\n  - name: digits\n    user: { name: "1000" }\n  - name: primary group\n    user: { name: bob, group: "-g0" }\n',
    );
    assert.match(err, /plan:4:19: argument 'name' of 'user': a user or group name must not start with '-'/);
    assert.match(err, /plan:6:19: argument 'name' of 'user': not a user or group name \(not \[A-Za-z0-9_\.\]\[A-Za-z0-9_\.-\]\* with an optional trailing \$\), got string "bob:x:0:0"/);
    assert.match(err, /plan:8:19: argument 'name' of 'user': a user or group name must not contain spaces, newlines or control characters, got string "bob\\nroot"/);
    assert.match(err, /plan:10:19: argument 'name' of 'user': not a user or group name \(all digits: a tool would take it for an id\)/);
    assert.match(err, /plan:12:31: argument 'group' of 'user': a user or group name must not start with '-'/);
  });

  it('stops: group names with -, :, or a newline (group, and a user\'s groups)', async () => {
    const err = await refused(
      'group-names',
      '  - name: dash\n    group: "-r"\n  - name: colon\n    group: { name: "wheel:x:0" }\n  - name: member of\n    user: { name: bob, groups: [mail, "-G0", "a\\nb"] }\n',
    );
    assert.match(err, /plan:4:12: argument 'name' of 'group': a user or group name must not start with '-'/);
    assert.match(err, /plan:6:20: argument 'name' of 'group': not a user or group name/);
    assert.match(err, /plan:8:39: argument 'groups\.1' of 'user': a user or group name must not start with '-'/);
    assert.match(err, /plan:8:46: argument 'groups\.2' of 'user': a user or group name must not contain spaces, newlines/);
  });

  it('stops: a file owner or group that chown would read as an option or as owner:group', async () => {
    const err = await refused(
      'owners',
      '  - name: dir\n    directory: { path: /srv/x, owner: "-R", group: "root:wheel" }\n  - name: file\n    file: { path: /srv/y, content: x, owner: "nobody\\nroot" }\n  - name: numeric is fine\n    file: { path: /srv/z, content: x, owner: "1000", group: "100" }\n',
    );
    assert.match(err, /plan:4:39: argument 'owner' of 'directory': a user or group name must not start with '-' \(it would be read as an option\); or a numeric id, got string "-R"/);
    assert.match(err, /plan:4:52: argument 'group' of 'directory': not a user or group name .*; or a numeric id, got string "root:wheel"/);
    assert.match(err, /plan:6:46: argument 'owner' of 'file': a user or group name must not contain spaces, newlines/);
    assert.doesNotMatch(err, /plan:8:/);
  });

  it('stops: a NUL byte in a path being silently cut off', async () => {
    const err = await refused(
      'nul-path',
      '  - name: file\n    file: { path: "/etc/cron.d/x\\0.disabled", content: x }\n  - name: dir\n    directory: { path: "/srv/a\\0b" }\n  - name: guard\n    command: { cmd: "true", creates: "/tmp/a\\0b" }\n  - name: line\n    line: { path: "/etc/a\\0b", line: x }\n',
    );
    for (const [line, arg, op] of [[4, 'path', 'file'], [6, 'path', 'directory'], [8, 'creates', 'command'], [10, 'path', 'line']] as const) {
      assert.match(err, new RegExp(`plan:${line}:\\d+: argument '${arg}' of '${op}': a path must not contain a NUL byte`));
    }
  });

  it('stops: a relative path where the op needs an absolute one (file, copy dest, chdir, home, sysrc file)', async () => {
    const err = await refused(
      'relative',
      '  - name: file\n    file: { path: etc/passwd, content: x }\n  - name: copy\n    copy: { src: x, dest: "../etc/x" }\n  - name: chdir\n    command: { cmd: "true", chdir: tmp }\n  - name: home\n    user: { name: bob, home: "-/x" }\n  - name: rc\n    sysrc: { name: a, value: b, file: rc.conf }\n',
    );
    for (const [line, arg, op] of [[4, 'path', 'file'], [6, 'dest', 'copy'], [8, 'chdir', 'command'], [10, 'home', 'user'], [12, 'file', 'sysrc']] as const) {
      assert.match(err, new RegExp(`plan:${line}:\\d+: argument '${arg}' of '${op}': must be an absolute path \\(starting with /\\)`));
    }
  });

  it('stops: a runaway command string (cmd, unless, onlyif, validate) over 64 KiB', async () => {
    const big = `echo ${'x'.repeat(64 * 1024 - 4)}`; // 65537 bytes
    const err = await refused(
      'long-command',
      `  - name: cmd\n    command: { cmd: "${big}" }\n  - name: unless\n    command: { cmd: "true", unless: "${big}" }\n  - name: onlyif\n    command: { cmd: "true", onlyif: "${big}" }\n  - name: validate\n    file: { path: /etc/x, content: x, validate: "${big}" }\n`,
    );
    for (const [line, arg, op] of [[4, 'cmd', 'command'], [6, 'unless', 'command'], [8, 'onlyif', 'command'], [10, 'validate', 'file']] as const) {
      assert.match(err, new RegExp(`plan:${line}:\\d+: argument '${arg}' of '${op}': a command is at most 65536 bytes \\(64 KiB\\); put a longer script in a file`));
    }
    // Exactly 64 KiB is accepted.
    const file = path.join(dir, 'long-ok.yml');
    writeFileSync(file, `hosts: all\ntasks:\n  - name: cmd\n    command: { cmd: "echo ${'x'.repeat(64 * 1024 - 5)}" }\n`);
    const ok = await fleetplan(['validate', file, '-i', inventory]);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('stops: a ports origin leaving /usr/ports (../..) and a name the chosen backend (use:) refuses', async () => {
    const err = await refused(
      'use-backend',
      '  - name: ports\n    package: { name: "mail/../../etc", use: ports }\n  - name: apt\n    package: { name: Postfix, use: apt }\n  - name: systemd\n    service: { name: "a b", state: started, use: systemd }\n',
    );
    assert.match(err, /plan:4:22: argument 'name' of 'package': a package name must not start with '\.' or contain '\.\.'/);
    assert.match(err, /plan:6:22: argument 'name' of 'package': not a Debian package name .*\(use: apt\), got string "Postfix"/);
    assert.match(err, /plan:8:22: argument 'name' of 'service': a service name must not contain spaces/);
  });
});

describe('names in the backends (defence in depth)', () => {
  it('stops: a backend building a command or query from a name its tool would take as an option or a path', () => {
    const cases: Array<[string, () => unknown]> = [
      ['apt install', () => apt.install(['-oAPT::X=1'])],
      ['apt query', () => apt.query(['postfix', '--purge'])],
      ['yum remove', () => rpmBackend('yum').remove(['-y'])],
      ['pkg query', () => pkg.query(['-a'])],
      ['ports install', () => ports.install(['../../etc'])],
      ['systemd start', () => systemd.command('start', '--all')],
      ['systemd query', () => systemdDebian.query(['a b'])],
      ['sysv status query', () => sysv(updateRcD).query(['../../tmp/evil.sh'])],
      ['sysv enable', () => sysv(chkconfig).command('enable', '--add')],
      ['bsdrc start', () => bsdrc.command('start', '../x')],
      ['useradd', () => shadowUtils.createUser('-o', {})],
      ['usermod groups', () => shadowUtils.addToGroups('bob', ['mail,root'])],
      ['pw groupmod', () => pw.addToGroups('bob', ['-g0'])],
    ];
    for (const [what, build] of cases) assert.throws(build, /is not (a|an) /, what);
  });
});

// ---- property: random names reach the tool as exactly one operand -------------------------------

const TOOLS_WITH_DASHDASH = ['apt-get', 'apt-cache', 'dpkg-query', 'rpm', 'yum', 'dnf', 'systemctl', 'useradd', 'usermod', 'groupadd', 'userdel', 'groupdel', 'gpasswd', 'id'];
const STUBS = [...TOOLS_WITH_DASHDASH, 'pkg', 'make', 'update-rc.d', 'chkconfig', 'service', 'pw', 'getent'];

interface Probe {
  tool: string;
  /** The argv element the name must arrive as (the name, or /usr/ports/<origin> for ports). */
  operand: string;
  command: () => string;
}

/** The commands and queries of every backend that accepts `name` (script-based init scripts are run by path; see below). */
function probes(name: string): Probe[] {
  const accepts = (g: NameGrammar) => nameProblem(g, name) === undefined;
  const out: Probe[] = [];
  const add = (g: NameGrammar, tool: string, command: () => string, operand = name) => accepts(g) && out.push({ tool, operand, command });
  for (const b of [apt]) for (const c of [() => b.install([name]), () => b.remove([name])]) add(b.names, 'apt-get', c);
  add(apt.names, 'dpkg-query', () => apt.query([name], { candidate: true }).script);
  add(apt.names, 'apt-cache', () => apt.query([name], { candidate: true }).script);
  for (const tool of ['yum', 'dnf'] as const) {
    const b = rpmBackend(tool);
    for (const c of [() => b.install([name]), () => b.remove([name])]) add(b.names, tool, c);
    add(b.names, 'rpm', () => b.query([name], { candidate: true }).script);
  }
  for (const c of [() => pkg.install([name]), () => pkg.remove([name]), () => pkg.query([name], { candidate: true }).script]) add(pkg.names, 'pkg', c);
  add(ports.names, 'make', () => ports.install([name]), `/usr/ports/${name}`);
  for (const c of [() => systemd.command('start', name), () => systemdDebian.command('enable', name), () => systemd.query([name]).script]) add(systemd.names, 'systemctl', c);
  add(sysv(updateRcD).names, 'update-rc.d', () => sysv(updateRcD).command('enable', name));
  add(sysv(chkconfig).names, 'chkconfig', () => sysv(chkconfig).command('disable', name));
  add(bsdrc.names, 'service', () => bsdrc.command('start', name === 'sendmail' ? 'postfix' : name), name === 'sendmail' ? 'postfix' : name);
  const acc = shadowUtils.names;
  add(acc, 'useradd', () => shadowUtils.createUser(name, { home: '/home/x' }));
  add(acc, 'groupadd', () => shadowUtils.createGroup(name, { system: true }));
  add(acc, 'usermod', () => shadowUtils.addToGroups(name, ['mail']));
  add(acc, 'gpasswd', () => shadowUtils.removeFromGroup('bob', name));
  add(acc, 'userdel', () => shadowUtils.removeUser(name));
  add(acc, 'groupdel', () => shadowUtils.removeGroup(name));
  add(acc, 'id', () => userQuery(name).script);
  add(acc, 'getent', () => groupQuery(name).script);
  add(pw.names, 'pw', () => pw.createUser(name, {}));
  add(pw.names, 'pw', () => pw.removeFromGroup(name, 'mail'));
  return out;
}

describe('names reach the tool as one operand (property, real sh, stub tools)', () => {
  const stubs = path.join(dir, 'stubs');
  const log = path.join(dir, 'argv.log');
  before(() => {
    spawnSync('mkdir', ['-p', stubs]);
    // Each stub records its name and argv: fields split by \x1f, invocations by \x1e. It succeeds, so `a && b` runs b.
    for (const t of STUBS) writeFileSync(path.join(stubs, t), `#!/bin/sh\nprintf '%s\\037' "\${0##*/}" "$@" >> "$STUB_LOG"; printf '\\036' >> "$STUB_LOG"\n`, { mode: 0o755 });
  });

  it('stops: a random name being split, expanded, globbed or read as an option on its way to the tool', () => {
    const chars = [...'abczAZ09', '-', '.', '_', '+', ':', '@', '$', '\\', '/', ' ', '\n', "'", '"', ';', '&', '|', '*', '?', '~', '=', ',', '!', '#', '(', ')', '[', '{', '<', '`', '\0', '\t', 'é'];
    const name = fc.oneof(
      fc.string({ unit: fc.constantFrom(...chars), minLength: 1, maxLength: 14 }),
      fc.constantFrom('postfix', 'libsasl2-modules', 'mail/opendkim', 'getty@tty1', 'x11-common', 'p5-Mail-SPF', 'smmsp$', '..', '-', '--', '-.mount'),
    );
    let accepted = 0;
    fc.assert(
      fc.property(name, (n) => {
        try {
          return oneOperand(n);
        } catch (e) {
          throw new Error(`${JSON.stringify(n)}: ${(e as Error).message}`);
        }
      }),
      { numRuns: 150 },
    );
    assert.ok(accepted > 10, `only ${accepted} generated names were accepted by some grammar: the property tested too little`);

    function oneOperand(n: string): boolean {
        const ps = probes(n);
        if (ps.length === 0) return true; // refused by every grammar: never reaches a command
        accepted++;
        // One sh runs every command, as the host's sh would (stdin closed, the real sh, stub tools first on PATH).
        writeFileSync(log, '');
        const script = ps.map((p, i) => `printf 'probe${i}\\036' >> "$STUB_LOG"; ( ${p.command()}\n) >/dev/null 2>&1`).join('\n');
        const r = spawnSync('sh', ['-c', script], { env: { PATH: `${stubs}:/usr/bin:/bin`, STUB_LOG: log }, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const calls = readFileSync(log, 'utf8').split('\x1e');
        ps.forEach((p, i) => {
          const start = calls.indexOf(`probe${i}`);
          const next = calls.findIndex((c, j) => j > start && c.startsWith('probe'));
          const mine = calls.slice(start + 1, next < 0 ? calls.length : next).map((c) => c.split('\x1f').slice(0, -1));
          const hits = mine.filter((argv) => argv[0] === p.tool && argv.includes(p.operand));
          assert.ok(hits.length > 0, `${p.tool} never received ${JSON.stringify(p.operand)} as one argument: ${JSON.stringify(mine)}`);
          for (const argv of hits) {
            const at = argv.lastIndexOf(p.operand);
            if (TOOLS_WITH_DASHDASH.includes(p.tool)) assert.ok(argv.indexOf('--') > 0 && argv.indexOf('--') < at, `${p.tool}: ${JSON.stringify(argv)} has no -- before the name`);
            else assert.ok(!p.operand.startsWith('-'), `${p.tool}: ${JSON.stringify(argv)} takes a leading - as an option`);
          }
        });
        return true;
    }
  });

  it('stops: a script-based init name naming a file outside its directory (by construction: no /, no leading . or -)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), (n) => {
        let cmd: string;
        try {
          cmd = sysv(updateRcD).command('start', n);
        } catch {
          return true;
        }
        assert.equal(cmd, `/etc/init.d/${shQuote(n)} start`);
        assert.ok(!n.includes('/') && !n.startsWith('.') && !n.startsWith('-'), JSON.stringify(n));
        assert.doesNotThrow(() => bsdrc.command('start', n));
        return true;
      }),
      { numRuns: 500 },
    );
  });
});

// ---- on real hosts ---------------------------------------------------------------------------------

const reason = unsupportedReason();
const skip = reason ? skipOrFail(reason) : false;

describe('names on real hosts, with a host user planting', { skip }, () => {
  const out = skip ? '' : mkdtempSync('/tmp/fleetplan-hard-names-fleet-');
  let fleet: Fleet;
  const HOSTS = ['deb-sysv-1', 'freebsd-1'];
  before(async () => {
    fleet = await up({ os: ['debian-sysv', 'freebsd'], count: 1, out });
  });
  after(async () => {
    if (out) {
      await down(out).catch(() => {});
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('stops: a service named ../../tmp/evil/evil.sh being executed by the status query, even under --check', async () => {
    const evil = '../../tmp/evil/evil.sh';
    for (const h of HOSTS) {
      // The user plants a script that, run as root, would leave a marker.
      const planted = await fleet.exec(h, `su -s /bin/sh fleet -c 'mkdir -p /tmp/evil && printf "#!/bin/sh\\ntouch /tmp/evil/MARKER\\n" > /tmp/evil/evil.sh && chmod 755 /tmp/evil/evil.sh'`);
      assert.equal(planted.code, 0, planted.stderr);
      // The attack is real: the name resolves to the planted script from both script directories.
      assert.equal((await fleet.exec(h, `{ test -x /etc/init.d/${evil} || test -x /etc/rc.d/${evil}; } && echo reachable`)).stdout, "reachable\n");
    }
    const file = path.join(out, 'evil-service.yml');
    writeFileSync(file, 'hosts: all\ntasks:\n  - name: status of a crafted service\n    service: { name: "{{svc}}", state: started }\n');
    for (const mode of [['--check'], []]) {
      const r = await fleetplan(['apply', file, '-i', fleet.inventoryPath, '--json', '-e', `svc=${evil}`, ...mode]);
      assert.notEqual(r.code, 0, r.stdout);
      for (const h of HOSTS) {
        const error = String(r.json?.hosts?.[h]?.error ?? '');
        assert.match(error, new RegExp(`host ${h}, task 'status of a crafted service'.*a service name must not start with '\\.' or contain '\\.\\.'`), `${h}: ${error || r.stderr}`);
      }
    }
    for (const h of HOSTS) assert.equal((await fleet.exec(h, 'test -e /tmp/evil/MARKER && echo RAN')).stdout, '', `${h}: the planted script never ran`);
  });

  it('stops: a templated package, user or group name becoming an option of apt-get, pkg, useradd or pw', async () => {
    const attempts: Array<[string, string]> = [
      ['package', '-oDPkg::Pre-Invoke::=touch /tmp/PWNED'],
      ['user', '-ou0'],
      ['group', '-g0'],
    ];
    for (const [op, n] of attempts) {
      const plan = path.join(out, `evil-${op}.yml`);
      writeFileSync(plan, `hosts: all\ntasks:\n  - name: crafted ${op}\n    ${op}: { name: "{{n}}" }\n`);
      const r = await fleetplan(['apply', plan, '-i', fleet.inventoryPath, '--json', '-e', `n=${n}`]);
      assert.notEqual(r.code, 0, r.stdout);
      for (const h of HOSTS) {
        assert.match(String(r.json?.hosts?.[h]?.error ?? r.stderr), new RegExp(`host ${h}, task 'crafted ${op}'.*must not start with '-'`), `${h} ${op}`);
      }
    }
    for (const h of HOSTS) {
      assert.equal((await fleet.exec(h, 'test -e /tmp/PWNED && echo PWNED; getent passwd -- -ou0; getent group -- -g0')).stdout, '', h);
    }
  });
});
