#!/usr/bin/python3
"""Builds the CentOS <el> package repository inside the layer-build chroot (run by build-layer.sh):
one RPM per CentOS package name, with CentOS versions, dependencies and scriptlets. Payloads are
real where Debian has the software (postfix, opendkim, tree... are the Debian files, so removing
the RPM really removes the binaries), placeholders otherwise. Writes /srv/rpm-repo (createrepo_c)
and /tmp/centos-build/remove.list: Debian files the layer must hide (Debian-only integration such as
postfix's systemd generator, and the payload of packages that start out not installed)."""
import glob, os, re, shutil, subprocess, sys

EL = sys.argv[1]                      # "6" or "7"
ASSETS = sys.argv[2]                  # .../files
WORK = '/tmp/centos-build'
REPO = '/srv/rpm-repo'
DEBREPO = '/srv/fleet-repo'           # the base image's local .deb repository
FETCHED = f'{WORK}/debs'              # .debs build-layer.sh fetched for this layer only
SYSTEMD = EL == '7'

# Debian-only integration: never packaged, and hidden on CentOS hosts.
DEBIAN_ONLY = re.compile(r'^/(etc/(init\.d|default|insserv\.conf\.d|network|ppp|resolvconf|rsyslog\.d|ufw|logcheck|apparmor\.d|dkimkeys)'
                         r'|usr/lib/(systemd|networkd-dispatcher)|lib/systemd|usr/share/(lintian|bug|apport))(/|$)')
NOT_PACKAGED = re.compile(r'^/usr/share/(doc|man|info)/')


def v(el6, el7):
    return el6 if EL == '6' else el7


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE, **kw).stdout


def canon(path):
    """/lib/x -> /usr/lib/x etc. (merged /usr), so rpm -qf finds what `ls` shows."""
    d, b = os.path.split(path)
    return os.path.join(os.path.realpath(d), b)


def asset(name):
    return open(os.path.join(ASSETS, name)).read()


# ---- packages ------------------------------------------------------------------------------------
# files: list of ('dpkg', debian_pkg, include_re) | ('deb', deb_name[, {debian_path_prefix: centos_path_prefix}])
#        | ('text', path, content, mode)
#        | ('link', path, target) | ('dir', path, mode, user, group)
SVC6 = lambda n: {  # noqa: E731  el6 scriptlets of a SysV service package (as in CentOS specs)
    'post': f'/sbin/chkconfig --add {n}',
    'preun': f'if [ $1 = 0 ]; then /sbin/service {n} stop >/dev/null 2>&1; /sbin/chkconfig --del {n}; fi',
    'postun': f'if [ "$1" -ge "1" ]; then /sbin/service {n} condrestart >/dev/null 2>&1 || :; fi',
    'requires_post': ['chkconfig', 'initscripts'],
}
SVC7 = lambda n: {  # noqa: E731  el7 %systemd_post/%systemd_preun/%systemd_postun_with_restart
    'post': f'if [ $1 -eq 1 ]; then systemctl preset {n}.service >/dev/null 2>&1 || :; fi\nsystemctl daemon-reload >/dev/null 2>&1 || :',
    'preun': f'if [ $1 -eq 0 ]; then systemctl --no-reload disable {n}.service >/dev/null 2>&1 || :; systemctl stop {n}.service >/dev/null 2>&1 || :; fi',
    'postun': f'systemctl daemon-reload >/dev/null 2>&1 || :\nif [ $1 -ge 1 ]; then systemctl try-restart {n}.service >/dev/null 2>&1 || :; fi',
    'requires_post': [],
}


def svc(name, mode=0o755):
    """The init script (el6) or unit (el7) of a service package, plus its scriptlets."""
    if SYSTEMD:
        files = [('text', f'/usr/lib/systemd/system/{name}.service', asset(f'systemd/{name}.service'), 0o644)]
    else:
        files = [('text', f'/etc/rc.d/init.d/{name}', asset(f'init.d/{name}'), mode)]
    return files, (SVC7 if SYSTEMD else SVC6)(name)


def adduser(user, home):
    return (f'getent group {user} >/dev/null || groupadd -r {user}\n'
            f'getent passwd {user} >/dev/null || useradd -r -g {user} -d {home} -s /sbin/nologin -c "{user} milter" {user}\nexit 0')


release_text = v('CentOS release 6.10 (Final)\n', 'CentOS Linux release 7.9.2009 (Core)\n')
OS_RELEASE_7 = '''NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

'''

sasl_ver = v('2.1.23-15.el6_6.2', '2.1.26-24.el7_9')
postfix_svc = svc('postfix')
sendmail_svc = svc('sendmail')
opendkim_svc = svc('opendkim')
opendmarc_svc = svc('opendmarc')
sendmail_ver = v('8.14.4', '8.14.7')

PACKAGES = [
    dict(name='centos-release', ver=v('6-10.el6.centos.12.3', '7-9.2009.1.el7.centos'), installed=True,
         summary=f'CentOS Linux release file', provides=[f'redhat-release = {EL}', f'system-release = {EL}',
         f'system-release(releasever) = {EL}', f'centos-release(upstream) = {v("6.10", "7.9")}'],
         files=[('text', '/etc/centos-release', release_text, 0o644),
                ('link', '/etc/redhat-release', 'centos-release'), ('link', '/etc/system-release', 'centos-release'),
                ('text', '/etc/system-release-cpe', v('cpe:/o:centos:linux:6:GA\n', 'cpe:/o:centos:centos:7\n'), 0o644),
                ('text', '/etc/issue', v('CentOS release 6.10 (Final)\nKernel \\r on an \\m\n\n', '\\S\nKernel \\r on an \\m\n\n'), 0o644),
                ('text', '/etc/issue.net', v('CentOS release 6.10 (Final)\nKernel \\r on an \\m\n', '\\S\nKernel \\r on an \\m\n'), 0o644),
                ('text', '/etc/rpm/macros.dist', f'%rhel {EL}\n%centos_ver {EL}\n%centos {EL}\n%dist .el{EL}{".centos" if EL == "7" else ""}\n%el{EL} 1\n', 0o644)]
         + ([('text', '/etc/os-release', OS_RELEASE_7, 0o644),
             ('text', '/usr/lib/systemd/system-preset/90-default.preset',
              '# As CentOS 7: services enabled by default when their package is installed.\nenable postfix.service\nenable sshd.service\n', 0o644),
             ('text', '/usr/lib/systemd/system-preset/99-default-disable.preset', 'disable *\n', 0o644)] if SYSTEMD else [])),
    # Files stay Debian's; the package is there because scriptlets need /bin/sh from the rpm db.
    dict(name='bash', ver=v('4.1.2-48.el6', '4.2.46-34.el7'), installed=True, summary='The GNU Bourne Again shell',
         provides=['/bin/sh', '/bin/bash', 'config(bash)'], files=[]),
    dict(name='chkconfig', ver=v('1.3.49.5-1.el6', '1.7.6-1.el7'), installed=True,
         summary='A system tool for maintaining the /etc/rc*.d hierarchy',
         files=[('text', v('/sbin/chkconfig', '/usr/sbin/chkconfig'),
                 asset('chkconfig').replace('@CHKCONFIG_VERSION@', v('1.3.49.5', '1.7.6')), 0o755),
                ('dir', '/etc/rc.d', 0o755), ('dir', '/etc/rc.d/init.d', 0o755),
                ('link', '/etc/init.d', 'rc.d/init.d')]
         + [f for n in range(7) for f in (('dir', f'/etc/rc.d/rc{n}.d', 0o755), ('link', f'/etc/rc{n}.d', f'rc.d/rc{n}.d'))]),
    dict(name='initscripts', ver=v('9.03.61-1.el6.centos', '9.49.53-1.el7_9.1'), installed=True,
         summary='The inittab file and the /etc/init.d scripts', requires=['chkconfig'],
         files=[('text', '/etc/rc.d/init.d/functions', asset('functions'), 0o644),
                ('text', v('/sbin/service', '/usr/sbin/service'), asset(f'service.el{EL}'), 0o755),
                ('text', '/etc/sysconfig/network', 'NETWORKING=yes\n', 0o644),
                ('text', '/etc/sysconfig/init', 'BOOTUP=serial\n', 0o644)]
         + ([('text', '/etc/rc.d/rc', asset('rc'), 0o755), ('text', '/sbin/runlevel', asset('runlevel.el6'), 0o755),
             ('text', '/etc/inittab', 'id:3:initdefault:\n', 0o644)] if not SYSTEMD else [])),
    dict(name='ca-certificates', ver=v('2020.2.41-65.1.el6_10', '2021.2.50-72.el7_9'), arch='noarch', installed=True,
         summary="The Mozilla CA root certificate bundle",
         files=[('link', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/certs/ca-certificates.crt'),
                ('link', '/etc/pki/tls/cert.pem', 'certs/ca-bundle.crt'), ('dir', '/etc/pki/tls/certs', 0o755)]),
    dict(name='cyrus-sasl-lib', ver=sasl_ver, installed=True, summary='Shared libraries needed by applications which use Cyrus SASL',
         files=[('dir', '/etc/sasl2', 0o755)]),  # the libraries themselves stay Debian's libsasl2-2
    dict(name='cyrus-sasl', ver=sasl_ver, summary='The Cyrus SASL library', requires=[f'cyrus-sasl-lib = {sasl_ver}'],
         files=[('text', '/etc/sysconfig/saslauthd', 'SOCKETDIR=/var/run/saslauthd\nMECH=pam\nFLAGS=\n', 0o644)]),
    dict(name='cyrus-sasl-plain', ver=sasl_ver, summary='PLAIN and LOGIN authentication support for Cyrus SASL',
         requires=[f'cyrus-sasl-lib = {sasl_ver}'], files=[('dpkg', 'libsasl2-modules', r'/sasl2/lib(plain|login)\.so')]),
    dict(name='cyrus-sasl-md5', ver=sasl_ver, summary='CRAM-MD5 and DIGEST-MD5 authentication support for Cyrus SASL',
         requires=[f'cyrus-sasl-lib = {sasl_ver}'], files=[('dpkg', 'libsasl2-modules', r'/sasl2/lib(digestmd5|crammd5)\.so')]),
    dict(name='postfix', ver=v('2:2.6.6-8.el6', '2:2.10.1-9.el7'), installed=True, summary='Postfix Mail Transport Agent',
         provides=['MTA', 'smtpd', 'smtpdaemon', 'server(smtp)'], requires=[f'cyrus-sasl-lib'],
         files=[('dpkg', 'postfix', r''), ('dpkg_conf', '/etc/postfix/main.cf'), ('dpkg_conf', '/etc/postfix/master.cf')] + postfix_svc[0],
         **postfix_svc[1]),
    dict(name='sendmail', ver=v('8.14.4-9.el6', '8.14.7-6.el7'), installed=EL == '6', summary='A widely used Mail Transport Agent (MTA)',
         provides=['MTA', 'smtpd', 'smtpdaemon', 'server(smtp)'],
         files=[('text', '/usr/sbin/sendmail.sendmail', asset('sendmail-standin.py').replace('@SENDMAIL_VERSION@', sendmail_ver), 0o755),
                ('text', '/etc/mail/sendmail.mc', "dnl placeholder (fleet stand-in)\nDAEMON_OPTIONS(`Port=smtp,Addr=127.0.0.1, Name=MTA')dnl\n", 0o644),
                ('text', '/etc/mail/sendmail.cf', '# placeholder: the fleet stand-in does not read it\n', 0o644),
                ('text', '/etc/sysconfig/sendmail', 'DAEMON=yes\nQUEUE=1h\n', 0o644)] + sendmail_svc[0], **sendmail_svc[1]),
    dict(name='opendkim', ver=v('2.11.0-0.1.el6', '2.11.0-0.1.el7'), summary='A DomainKeys Identified Mail (DKIM) milter to sign and/or verify mail',
         pre=adduser('opendkim', '/var/run/opendkim'),
         files=[('dpkg', 'opendkim', r''), ('dpkg', 'opendkim-tools', r'^/usr/(s?bin)/'),
                ('text', '/etc/opendkim.conf', asset('opendkim.conf'), 0o644),
                ('text', '/etc/sysconfig/opendkim', '# Set the necessary startup options\nOPTIONS=\n', 0o644),
                ('text', '/etc/opendkim/KeyTable', '# OPENDKIM KEY TABLE\n', 0o640),
                ('text', '/etc/opendkim/SigningTable', '# OPENDKIM SIGNING TABLE\n', 0o640),
                ('text', '/etc/opendkim/TrustedHosts', '# OPENDKIM TRUSTED HOSTS\n127.0.0.1\n::1\n', 0o640),
                ('dir', '/etc/opendkim', 0o755), ('dir', '/etc/opendkim/keys', 0o750, 'opendkim', 'opendkim')] + opendkim_svc[0],
         **opendkim_svc[1]),
    dict(name='opendmarc', ver=v('1.3.2-0.12.el6', '1.3.2-0.12.el7'), summary='A DMARC milter and library',
         pre=adduser('opendmarc', '/var/run/opendmarc'),
         files=[('deb', 'opendmarc'), ('deb', 'libopendmarc2'), ('deb', 'libspf2-2'),
                ('text', '/etc/opendmarc.conf', asset('opendmarc.conf'), 0o644)] + opendmarc_svc[0], **opendmarc_svc[1]),
    # EPEL's SPF policy daemon: Debian's postfix-policyd-spf-python (spf-engine 3.0.4) where EPEL puts
    # it — the daemon in /usr/libexec/postfix, its configuration in /etc/python-policyd-spf (upstream's
    # default path, which Debian patches to /etc/postfix-policyd-spf-python: patched back below).
    dict(name='pypolicyd-spf', ver=v('1.3.2-1.el6', '2.0.2-1.el7'), arch='noarch', summary='SPF Policy Server for Postfix (Python implementation)',
         requires=['python-pyspf', 'python-authres'],
         files=[('deb', 'postfix-policyd-spf-python', {'/usr/bin/policyd-spf': '/usr/libexec/postfix/policyd-spf',
                                                      '/etc/postfix-policyd-spf-python/': '/etc/python-policyd-spf/'}),
                ('deb', 'python3-spf-engine')],
         patch=[('/usr/lib/python3/dist-packages/spf_engine/policyd_spf.py', '/etc/postfix-policyd-spf-python/', '/etc/python-policyd-spf/')]),
    dict(name='python-pyspf', ver=v('2.0.14-3.el6', '2.0.14-3.el7'), arch='noarch', summary='Python module and programs for SPF (Sender Policy Framework)',
         requires=['python-pydns'], files=[('deb', 'python3-spf')]),
    dict(name='python-pydns', ver=v('3.2.1-2.el6', '3.2.1-2.el7'), arch='noarch', summary='Python module for DNS (Domain Name Service)',
         files=[('deb', 'python3-dns')]),
    dict(name='python-authres', ver=v('1.2.0-3.el6', '1.2.0-3.el7'), arch='noarch', summary='Authentication Results Header Module',
         files=[('deb', 'python3-authres')]),
    dict(name='tree', ver=v('1.5.3-3.el6', '1.6.0-10.el7'), summary='File system tree viewer', files=[('deb', 'tree')]),
    dict(name='mailx', ver=v('12.4-10.el6', '12.5-19.el7'), summary='Enhanced implementation of the mailx command',
         files=[('text', '/etc/mail.rc', 'set hold\nset append\nset ask\n', 0o644)]),  # placeholder: no mailx binary
]

# ---- build ----------------------------------------------------------------------------------------

def dpkg_files(pkg):
    out = []
    for p in sh('dpkg-query', '-L', pkg).splitlines():
        if p in ('/.', '') or os.path.isdir(p):  # directories, and merged-/usr links such as /lib
            continue
        if os.path.lexists(p):
            out.append(p)
    return out


def deb_root(name):
    debs = sorted(glob.glob(f'{DEBREPO}/{name}_*.deb') + glob.glob(f'{FETCHED}/{name}_*.deb'))
    if not debs:
        sys.exit(f'mkrepo: no {name}_*.deb in {DEBREPO} or {FETCHED}')
    root = f'{WORK}/deb/{name}'
    shutil.rmtree(root, ignore_errors=True); os.makedirs(root)
    sh('dpkg-deb', '-x', debs[-1], root)
    return root


remove = set()   # Debian paths to hide in the layer
os.makedirs(REPO, exist_ok=True)
for pkg in PACKAGES:
    name = pkg['name']
    epoch, _, vr = pkg['ver'].rpartition(':')
    version, release = vr.rsplit('-', 1)
    stage = f'{WORK}/stage/{name}'
    shutil.rmtree(stage, ignore_errors=True); os.makedirs(stage)
    entries = []  # %files lines

    def add_copy(src, dest):
        tgt = stage + dest
        os.makedirs(os.path.dirname(tgt), exist_ok=True)
        sh('cp', '-a', '--no-dereference', src, tgt)
        entries.append(('%config(noreplace) ' if dest.startswith('/etc/') else '') + dest)

    for f in pkg['files']:
        kind = f[0]
        if kind == 'dpkg':
            inc = re.compile(f[2])
            for p in dpkg_files(f[1]):
                c = canon(p)
                if DEBIAN_ONLY.match(p) or DEBIAN_ONLY.match(c):
                    remove.add(c); continue
                if NOT_PACKAGED.match(c):
                    if not pkg.get('installed'):
                        remove.add(c)
                    continue
                if not inc.search(c) or (name == 'opendkim' and c == '/etc/opendkim.conf'):
                    if name == 'opendkim' and c == '/etc/opendkim.conf':
                        remove.add(c)
                    continue
                add_copy(p, c)
                if not pkg.get('installed'):
                    remove.add(c)
        elif kind == 'dpkg_conf':  # generated by Debian's postinst, not in dpkg -L
            add_copy(f[1], f[1])
        elif kind == 'deb':
            root = deb_root(f[1])
            for dirpath, dirs, files in os.walk(root):
                for fn in files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
                    src = os.path.join(dirpath, fn)
                    dest = src[len(root):]
                    if DEBIAN_ONLY.match(dest) or NOT_PACKAGED.match(dest) or dest.startswith('/etc/opendmarc.conf'):
                        continue
                    dest = dest.replace('/lib/x86_64', '/usr/lib/x86_64', 1) if dest.startswith('/lib/') else dest
                    for prefix, to in (f[2] if len(f) > 2 else {}).items():
                        dest = to + dest[len(prefix):] if dest.startswith(prefix) else dest
                    add_copy(src, dest)
        elif kind == 'text':
            _, dest, content, mode = f
            tgt = stage + dest
            os.makedirs(os.path.dirname(tgt), exist_ok=True)
            with open(tgt, 'w') as o:
                o.write(content)
            os.chmod(tgt, mode)
            entries.append(('%config(noreplace) ' if dest.startswith('/etc/') and mode & 0o111 == 0 else '') + dest)
        elif kind == 'link':
            _, dest, target = f
            os.makedirs(os.path.dirname(stage + dest), exist_ok=True)
            os.symlink(target, stage + dest)
            entries.append(dest)
        elif kind == 'dir':
            dest, mode = f[1], f[2]
            os.makedirs(stage + dest, exist_ok=True); os.chmod(stage + dest, mode)
            owner = f'{f[3]},{f[4]}' if len(f) > 3 else 'root,root'
            entries.append(f'%dir %attr({mode:04o},{owner}) {dest}')
    for dest, old, new in pkg.get('patch', []):
        with open(stage + dest) as fh:
            text = fh.read()
        if old not in text:
            sys.exit(f'mkrepo: {name}: {old!r} not in {dest}')
        with open(stage + dest, 'w') as fh:
            fh.write(text.replace(old, new))
    # dedupe, keep order
    seen = set(); lines = [e for e in entries if not (e in seen or seen.add(e))]
    with open(f'{WORK}/{name}.files', 'w') as o:
        o.write('\n'.join(lines) + '\n')

    spec = [f'Name: {name}']
    if epoch:
        spec.append(f'Epoch: {epoch}')
    spec += [f'Version: {version}', f'Release: {release}', f'Summary: {pkg["summary"]}', 'License: Various',
             'URL: https://www.centos.org/', 'AutoReqProv: no',
             '%define _build_id_links none', '%define debug_package %{nil}', '%define __os_install_post %{nil}']
    if pkg.get('arch') == 'noarch':
        spec.append('BuildArch: noarch')
    for p in pkg.get('provides', []):
        spec.append(f'Provides: {p}')
    for r in pkg.get('requires', []):
        spec.append(f'Requires: {r}')
    for r in pkg.get('requires_post', []):
        spec.append(f'Requires(post): {r}')
        spec.append(f'Requires(preun): {r}')
    spec += ['', '%description', f'{pkg["summary"]} (fleetplan test fleet: CentOS {EL} package built from Debian files or a placeholder).',
             '', '%install', f'cp -a {stage}/. %{{buildroot}}/']
    for s in ('pre', 'post', 'preun', 'postun'):
        if pkg.get(s):
            spec += ['', f'%{s}', pkg[s]]
    spec += ['', f'%files -f {WORK}/{name}.files', '%defattr(-,-,-)', '']
    with open(f'{WORK}/{name}.spec', 'w') as o:
        o.write('\n'.join(spec))
    subprocess.run(['rpmbuild', '-bb', '--quiet', '--define', f'_topdir {WORK}/top', f'{WORK}/{name}.spec'], check=True,
                   stdout=subprocess.DEVNULL)

for rpm in glob.glob(f'{WORK}/top/RPMS/*/*.rpm'):
    shutil.copy(rpm, REPO)
sh('createrepo_c', '--quiet', REPO)
with open(f'{WORK}/remove.list', 'w') as o:
    o.write('\n'.join(sorted(remove)) + '\n')
with open(f'{WORK}/installed.list', 'w') as o:
    o.write('\n'.join(p['name'] for p in PACKAGES if p.get('installed')) + '\n')
