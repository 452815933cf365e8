#!/bin/bash
# Builds the centos$EL image layer (run by centos.ts on the controller; everything here is part of
# the layer's cache key). The layer is the upper dir of an overlay on the Debian base rootfs, so
# files deleted here become whiteouts that keep hiding Debian files when the layer is a lower dir.
# Env: BASE LAYER WORKDIR MNT ASSETS EL MIRROR
set -euo pipefail
M=$MNT
in_root() { chroot "$M" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"; }
hide() { local p; for p; do rm -rf -- "${M:?}$p"; done; }

mkdir -p "$LAYER" "$WORKDIR" "$M"
mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$LAYER,workdir=$WORKDIR" "$M"
trap 'umount -l "$M/proc" 2>/dev/null || true; umount "$M" 2>/dev/null || umount -l "$M" 2>/dev/null || true' EXIT
mount -t proc proc "$M/proc"

# 1. Debian's rpm, dnf and createrepo_c, from the controller's mirror for the duration of the build
#    (only that source list is read, so the base's own apt state is untouched).
cp -a "$M/etc/resolv.conf" /tmp/.centos-resolv.$$ ; cp /etc/resolv.conf "$M/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' > "$M/usr/sbin/policy-rc.d"; chmod 755 "$M/usr/sbin/policy-rc.d"
echo "deb $MIRROR bookworm main" > "$M/etc/apt/centos-build.list"
ls "$M/var/lib/apt/lists" > /tmp/.centos-lists.$$
APT=(-o Dir::Etc::sourcelist=/etc/apt/centos-build.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0)
in_root apt-get "${APT[@]}" update -q
in_root apt-get "${APT[@]}" install -y -q --no-install-recommends rpm dnf createrepo-c
# EPEL's SPF policy daemon (pypolicyd-spf) and its Python libraries are Debian's .debs relaid out by
# mkrepo.py (the base's own .deb repository does not carry them): fetched, not installed.
mkdir -p "$M/tmp/centos-debs"
chroot "$M" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C sh -c \
  'cd /tmp/centos-debs && apt-get "$@" download postfix-policyd-spf-python python3-spf-engine python3-spf python3-authres python3-dns' \
  sh "${APT[@]}"
for f in $(ls "$M/var/lib/apt/lists"); do grep -qx "$f" /tmp/.centos-lists.$$ || rm -rf "$M/var/lib/apt/lists/$f"; done
rm -f "$M/etc/apt/centos-build.list" /tmp/.centos-lists.$$ "$M/usr/sbin/policy-rc.d"
cp -a /tmp/.centos-resolv.$$ "$M/etc/resolv.conf"; rm -f /tmp/.centos-resolv.$$
in_root apt-get clean

# 2. rpm and dnf share one database where CentOS keeps it (Debian's rpm defaults to ~/.rpmdb).
mkdir -p "$M/etc/rpm"; echo '%_dbpath /var/lib/rpm' > "$M/etc/rpm/macros"
in_root rpm --initdb

# 3. The CentOS packages (mkrepo.py), built from the Debian files still present in the chroot.
rm -rf "$M/tmp/centos-build"; mkdir -p "$M/tmp/centos-build"
mv "$M/tmp/centos-debs" "$M/tmp/centos-build/debs"
cp -a "$ASSETS/files" "$ASSETS/mkrepo.py" "$M/tmp/centos-build/"
in_root python3 -B /tmp/centos-build/mkrepo.py "$EL" /tmp/centos-build/files

# 4. Hide what CentOS doesn't have: Debian identity and package/init tools, Debian's init.d and
#    rcN.d trees (chkconfig's package installs CentOS's /etc/rc.d layout), Debian-only service
#    integration, and the files of packages that start out not installed.
while IFS= read -r p; do [ -n "$p" ] && hide "$p"; done < "$M/tmp/centos-build/remove.list"
hide /etc/debian_version /etc/os-release /usr/lib/os-release /etc/init.d /etc/rcS.d \
  /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d /etc/rc6.d \
  /usr/bin/apt /usr/bin/apt-get /usr/bin/apt-cache /usr/bin/apt-mark /usr/bin/apt-config /usr/bin/apt-key \
  /usr/bin/dpkg /usr/bin/dpkg-query /usr/sbin/update-rc.d /usr/sbin/invoke-rc.d /usr/sbin/service
# CentOS 6 has no systemd: no systemctl, and upstart's runlevel (from the initscripts package here).
[ "$EL" = 6 ] && hide /usr/bin/systemctl /usr/sbin/runlevel

# 5. yum = dnf (CentOS 8 style alias), one local repository and nothing else.
ln -sfn dnf "$M/usr/bin/yum"
ln -sfn dnf/dnf.conf "$M/etc/yum.conf"
rm -rf "$M/etc/yum.repos.d"; mkdir -p "$M/etc/yum.repos.d"
cat > "$M/etc/yum.repos.d/local.repo" <<'REPO'
[local]
name=CentOS local packages (fleet)
baseurl=file:///srv/rpm-repo
gpgcheck=0
enabled=1
REPO

# 6. A minimal CentOS install: the packages marked installed, with their scriptlets (chkconfig
#    --add / systemctl preset) creating the boot links.
in_root dnf -y -q --releasever="$EL" install $(cat "$M/tmp/centos-build/installed.list")
if [ "$EL" = 6 ]; then
  # Sendmail is this fleet's active MTA on CentOS 6: postfix installed but off, sendmail on.
  in_root /sbin/chkconfig postfix off
  install -m 755 "$ASSETS/files/fleet-boot.el6" "$M/etc/fleet-boot"
fi
in_root dnf -q clean all
rm -rf "$M/tmp/centos-build" "$M"/var/log/dnf* "$M/var/log/hawkey.log"
