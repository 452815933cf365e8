#!/bin/bash
# Builds the freebsd personality's image layer. $1 = merged overlay (lower: Debian base rootfs,
# upper: the layer being built), $2 = this directory, $3 = Debian mirror for build-only packages.
# Deleting in the merged view leaves whiteouts in the layer, which hide Debian files on hosts.
set -euo pipefail
T=$1 A=$2 MIRROR=$3
in_root() { chroot "$T" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"; }
mount -t proc proc "$T/proc"
mount --bind /dev "$T/dev"
cleanup() { umount -l "$T/proc" 2>/dev/null || true; umount -l "$T/dev" 2>/dev/null || true; }
trap cleanup EXIT

# --- extra Debian packages: bmake (FreeBSD's make) from the mirror; the mail filters from the
# image's local repo. Nothing may start during the build.
printf '#!/bin/sh\nexit 101\n' > "$T/usr/sbin/policy-rc.d"; chmod 755 "$T/usr/sbin/policy-rc.d"
echo "deb [trusted=yes] $MIRROR bookworm main" > "$T/etc/apt/sources.list.d/fleet-build.list"
cp /etc/resolv.conf "$T/etc/resolv.conf.fleet"; mv "$T/etc/resolv.conf.fleet" "$T/etc/resolv.conf" 2>/dev/null || true
in_root apt-get update -q
in_root apt-get install -y -q --no-install-recommends bmake tree opendmarc postfix-policyd-spf-perl opendoas
rm -f "$T/etc/apt/sources.list.d/fleet-build.list" "$T/usr/sbin/policy-rc.d"
rm -rf "$T"/var/lib/apt/lists/* "$T"/var/cache/apt/*.bin "$T"/var/cache/apt/archives/*.deb
: > "$T/etc/resolv.conf"

# --- stash Debian binaries the packages will expose under /usr/local (not on PATH until then)
S=/usr/libexec/fleet
mkdir -p "$T$S/shadow" "$T$S/debian/postfix" "$T$S/debian/opendkim" "$T$S/debian/opendmarc" "$T$S/debian/bin"
stash() { local dst=$1; shift; for f in "$@"; do [ -e "$T$f" ] && mv "$T$f" "$T$dst/"; done; return 0; }
stash $S/shadow /usr/sbin/useradd /usr/sbin/userdel /usr/sbin/usermod /usr/sbin/groupadd /usr/sbin/groupdel \
  /usr/sbin/groupmod /usr/bin/gpasswd /usr/sbin/chgpasswd /usr/sbin/newusers
rm -f "$T"/usr/sbin/{adduser,addgroup,deluser,delgroup}
stash $S/debian/postfix /usr/sbin/{postalias,postcat,postconf,postdrop,postfix,postkick,postlock,postlog,postmap,postmulti,postqueue,postsuper,posttls-finger,sendmail,qshape} \
  /usr/sbin/postfix-add-filter /usr/sbin/postfix-add-policy /usr/sbin/postfix-collate
rm -f "$T/usr/bin/mailq" "$T/usr/bin/newaliases"
for f in "$T"/usr/sbin/opendkim*; do [ -e "$f" ] && mv "$f" "$T$S/debian/opendkim/"; done
for f in "$T"/usr/sbin/opendmarc*; do [ -e "$f" ] && mv "$f" "$T$S/debian/opendmarc/"; done
stash $S/debian/bin /usr/bin/tree /usr/sbin/postfix-policyd-spf-perl /usr/bin/doas

# --- hide Debian's package/init tooling and identity
rm -f "$T"/usr/bin/apt* "$T"/usr/bin/dpkg* "$T"/usr/sbin/dpkg-* "$T"/usr/bin/deb-systemd-* \
  "$T"/usr/sbin/{update-rc.d,invoke-rc.d,service,halt,poweroff,reboot,shutdown,telinit,runlevel} \
  "$T"/usr/bin/systemctl "$T"/usr/bin/lsb_release "$T"/usr/bin/uname \
  "$T"/etc/debian_version "$T"/etc/issue "$T"/etc/issue.net "$T"/etc/os-release "$T"/usr/lib/os-release \
  "$T"/etc/init.d/{postfix,opendkim,opendmarc} "$T"/etc/opendkim.conf "$T"/etc/default/opendkim \
  "$T"/etc/opendmarc.conf "$T"/etc/default/opendmarc "$T"/etc/aliases.db "$T"/etc/mailname
rm -rf "$T"/etc/apt/sources.list.d/fleet-local.list "$T/srv/fleet-repo" "$T/etc/opendkim" "$T/etc/dkimkeys"
ln -sf bmake "$T/usr/bin/make"

# --- the FreeBSD files
cp -a "$A/root/." "$T/"
cp "$T/etc/os-release" "$T/usr/lib/os-release"
# bmake's system makefiles directory: `.include <bsd.port.mk>` finds the ports framework there.
mk=$(in_root readlink -f /usr/share/mk); mkdir -p "$T$mk"
printf 'PORTSDIR?=\t/usr/ports\n.include "${PORTSDIR}/Mk/bsd.port.mk"\n' > "$T$mk/bsd.port.mk"
mkdir -p "$T/etc/mail" && mv "$T/etc/aliases" "$T/etc/mail/aliases"
ln -sf mailwrapper "$T/usr/sbin/sendmail"
for n in mailq newaliases; do ln -sf ../sbin/mailwrapper "$T/usr/bin/$n"; done
: > "$T/etc/mail/sendmail.cf"; : > "$T/etc/mail/submit.cf"
mkdir -p "$T/usr/local/etc/rc.d" "$T/usr/local/bin" "$T/var/spool/mqueue" "$T/var/spool/clientmqueue" "$T/var/cache/pkg"
chmod 700 "$T/var/spool/mqueue"

# --- accounts: gid 0 is wheel; base users mailnull (26) and smmsp (25) as FreeBSD. Debian's mail
# accounts go: the packages create FreeBSD's (postfix 125, maildrop 126) when installed.
pf_uid=$(in_root id -u postfix) pf_gid=$(in_root getent group postfix | cut -d: -f3) pd_gid=$(in_root getent group postdrop | cut -d: -f3)
dk_uid=$(in_root id -u opendkim) dm_uid=$(in_root id -u opendmarc 2>/dev/null || echo none)
sed -i -E '/^(postfix|opendkim|opendmarc):/d' "$T/etc/passwd" "$T/etc/shadow"
sed -i -E '/^(postfix|postdrop|opendkim|opendmarc|tape|floppy):/d' "$T/etc/group" "$T/etc/gshadow"
sed -i -E 's/^root:/wheel:/' "$T/etc/group" "$T/etc/gshadow"
echo 'smmsp:x:25:' >> "$T/etc/group"; echo 'mailnull:x:26:' >> "$T/etc/group"
echo 'smmsp:*::' >> "$T/etc/gshadow"; echo 'mailnull:*::' >> "$T/etc/gshadow"
echo 'smmsp:x:25:25:Sendmail Submission User:/var/spool/clientmqueue:/usr/sbin/nologin' >> "$T/etc/passwd"
echo 'mailnull:x:26:26:Sendmail Default User:/var/spool/mqueue:/usr/sbin/nologin' >> "$T/etc/passwd"
echo 'smmsp:*:20000:0:99999:7:::' >> "$T/etc/shadow"; echo 'mailnull:*:20000:0:99999:7:::' >> "$T/etc/shadow"
chown 25:25 "$T/var/spool/clientmqueue"; chmod 770 "$T/var/spool/clientmqueue"

# --- package payloads: /var/cache/pkg/<name>-<version>/root
P=$T/var/cache/pkg
ver() { in_root python3 -c "import json,sys; print(json.load(open('/var/db/pkg/repo-FreeBSD.json'))['packages'][sys.argv[1]]['version'])" "$1"; }
pl() { local d="$P/$1-$(ver "$1")/root"; mkdir -p "$d"; echo "$d"; }

R=$(pl postfix)
mkdir -p "$R/usr/local/sbin" "$R/usr/local/bin" "$R/usr/local/libexec/postfix" "$R/usr/local/etc/rc.d" \
  "$R/usr/local/share/postfix" "$R/var/db" "$R/etc" "$R/var/spool"
for f in "$T$S"/debian/postfix/*; do ln -s "$S/debian/postfix/${f##*/}" "$R/usr/local/sbin/${f##*/}"; done
for n in newaliases mailq; do ln -s "$S/debian/postfix/sendmail" "$R/usr/local/sbin/$n"; ln -s "$S/debian/postfix/sendmail" "$R/usr/local/bin/$n"; done
for f in "$T"/usr/lib/postfix/sbin/*; do ln -s "/usr/lib/postfix/sbin/${f##*/}" "$R/usr/local/libexec/postfix/${f##*/}"; done
mv "$T/etc/postfix" "$R/usr/local/etc/postfix"
# Debian's binaries have /etc/postfix compiled in; the link keeps setgid postdrop/postqueue
# working without MAIL_CONFIG (see README).
ln -s /usr/local/etc/postfix "$R/etc/postfix"
C=$R/usr/local/etc/postfix
sed -i -E '/^(smtpd_banner|myhostname|alias_maps|alias_database|smtpd_tls_|smtp_tls_|readme_directory|inet_protocols)/d' "$C/main.cf"
cat >> "$C/main.cf" <<'EOC'
queue_directory = /var/spool/postfix
command_directory = /usr/local/sbin
daemon_directory = /usr/local/libexec/postfix
data_directory = /var/db/postfix
mail_owner = postfix
setgid_group = maildrop
sendmail_path = /usr/local/sbin/sendmail
newaliases_path = /usr/local/bin/newaliases
mailq_path = /usr/local/bin/mailq
manpage_directory = /usr/local/man
sample_directory = /usr/local/etc/postfix
readme_directory = no
html_directory = no
alias_maps = hash:/etc/mail/aliases
alias_database = hash:/etc/mail/aliases
inet_protocols = ipv4
EOC
# FreeBSD's master.cf runs nothing chrooted.
awk '/^[a-z0-9.:\[\]-]+[ \t]+(inet|unix|fifo|pass|unix-dgram)[ \t]/ && $5 == "y" { $5 = "n" } { print }' "$C/master.cf" > "$C/master.cf.new"
mv "$C/master.cf.new" "$C/master.cf"
rm -f "$C/main.cf.proto" "$C/master.cf.proto" "$C/makedefs.out"
mv "$C/main.cf" "$C/main.cf.sample"; mv "$C/master.cf" "$C/master.cf.sample"
mv "$T/var/spool/postfix" "$R/var/spool/postfix"
mv "$T/var/lib/postfix" "$R/var/db/postfix"
chown -R 125:125 "$R/var/db/postfix"
find "$R/var/spool/postfix" -uid "$pf_uid" -exec chown -h 125 {} +
find "$R/var/spool/postfix" -gid "$pf_gid" -exec chgrp -h 125 {} +
find "$R/var/spool/postfix" -gid "$pd_gid" -exec chgrp -h 126 {} +
chgrp 126 "$T$S/debian/postfix/postdrop" "$T$S/debian/postfix/postqueue"
chmod 2555 "$T$S/debian/postfix/postdrop" "$T$S/debian/postfix/postqueue"
install -m 555 "$A/pkgs/postfix/postfix" "$R/usr/local/etc/rc.d/postfix"
install -m 444 "$A/pkgs/postfix/mailer.conf.postfix" "$R/usr/local/share/postfix/mailer.conf.postfix"

R=$(pl opendkim)
mkdir -p "$R/usr/local/sbin" "$R/usr/local/etc/rc.d" "$R/usr/local/etc/mail"
for f in "$T$S"/debian/opendkim/*; do ln -s "$S/debian/opendkim/${f##*/}" "$R/usr/local/sbin/${f##*/}"; done
install -m 555 "$A/pkgs/opendkim/milter-opendkim" "$R/usr/local/etc/rc.d/milter-opendkim"
install -m 644 "$A/pkgs/opendkim/opendkim.conf.sample" "$R/usr/local/etc/mail/opendkim.conf.sample"

R=$(pl opendmarc)
mkdir -p "$R/usr/local/sbin" "$R/usr/local/etc/rc.d" "$R/usr/local/etc/mail"
for f in "$T$S"/debian/opendmarc/*; do ln -s "$S/debian/opendmarc/${f##*/}" "$R/usr/local/sbin/${f##*/}"; done
install -m 555 "$A/pkgs/opendmarc/opendmarc" "$R/usr/local/etc/rc.d/opendmarc"
install -m 644 "$A/pkgs/opendmarc/opendmarc.conf.sample" "$R/usr/local/etc/mail/opendmarc.conf.sample"

R=$(pl postfix-policyd-spf-perl); mkdir -p "$R/usr/local/libexec"
ln -s $S/debian/bin/postfix-policyd-spf-perl "$R/usr/local/libexec/postfix-policyd-spf-perl"
R=$(pl tree); mkdir -p "$R/usr/local/bin"; ln -s $S/debian/bin/tree "$R/usr/local/bin/tree"
R=$(pl cyrus-sasl); mkdir -p "$R/usr/local/lib/sasl2"
for f in "$T"/usr/lib/x86_64-linux-gnu/sasl2/*.so*; do [ -e "$f" ] && ln -s "${f#$T}" "$R/usr/local/lib/sasl2/${f##*/}"; done
R=$(pl pkg); mkdir -p "$R/usr/local/sbin"; cp -a "$T/usr/local/sbin/pkg" "$R/usr/local/sbin/pkg"
R=$(pl ca_root_nss); mkdir -p "$R/usr/local/share/certs" "$R/etc/ssl"
cp "$T/etc/ssl/certs/ca-certificates.crt" "$R/usr/local/share/certs/ca-root-nss.crt"
R=$(pl sudo); mkdir -p "$R/usr/local/bin"; ln -s /usr/bin/sudo "$R/usr/local/bin/sudo"
# FreeBSD's doas (security/doas) is /usr/local/bin/doas reading /usr/local/etc/doas.conf; Debian's
# opendoas (setuid, kept by the stash) reads /etc/doas.conf, so that is a link to FreeBSD's file.
R=$(pl doas); mkdir -p "$R/usr/local/bin" "$R/usr/local/etc" "$R/etc"
ln -s $S/debian/bin/doas "$R/usr/local/bin/doas"; ln -s /usr/local/etc/doas.conf "$R/etc/doas.conf"
printf '%s\n' '# Example: permit :wheel' 'permit nopass keepenv root' > "$R/usr/local/etc/doas.conf.sample"
rm -f "$T/etc/doas.conf"
R=$(pl bash); mkdir -p "$R/usr/local/bin"; ln -s /usr/bin/bash "$R/usr/local/bin/bash"
R=$(pl python311); mkdir -p "$R/usr/local/bin"; ln -s /usr/bin/python3.11 "$R/usr/local/bin/python3.11"
R=$(pl perl5); mkdir -p "$R/usr/local/bin"; ln -s /usr/bin/perl "$R/usr/local/bin/perl"

# Debian leftovers owned by the removed accounts.
find "$T" -xdev \( -uid "$dk_uid" -o -uid "$pf_uid" \) -not -path "$T/var/cache/pkg/*" -exec chown -h 0 {} + 2>/dev/null || true
[ "$dm_uid" != none ] && { find "$T" -xdev -uid "$dm_uid" -exec chown -h 0 {} + 2>/dev/null || true; }

# A fresh install's package set: pkg and a few base-like ports.
in_root /usr/local/sbin/pkg install -yq pkg ca_root_nss sudo doas bash python311 perl5
test -f "$T/var/db/pkg/local.json"
# The operator's doas rule, as on a FreeBSD host provisioned by this fleet: the fleet user may run
# anything as any user without a password (doas reads passwords only from a terminal).
printf 'permit nopass fleet\npermit nopass root\n' > "$T/usr/local/etc/doas.conf"
chmod 600 "$T/usr/local/etc/doas.conf"
