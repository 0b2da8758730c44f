#!/bin/bash
# The deb and the rpm, built from this tree and, for the deb, installed on
# this machine: files, modes, owners and the conffile; the installed agent
# run once against the test S3 gateway as the drivemon user; an upgrade
# over itself that keeps a changed conffile; remove and purge.  Needs
# root.  It leaves the package purged.
DM_DRIVE=s3
. "$(dirname "$0")/../integration/lib.sh"

root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/^project(drivemon VERSION \([0-9.]*\).*/\1/p' \
	"$root/CMakeLists.txt")
dist=$T/dist
purge() { dpkg -P drivemon >/dev/null 2>&1 || true; }
trap 'purge; cleanup' EXIT
purge

check "both packages build" "$root/packaging/build-packages" "$dist"
deb=$(ls "$dist"/drivemon_"$version"_*.deb 2>/dev/null | head -1)
rpm=$(ls "$dist"/drivemon-"$version"-*.rpm 2>/dev/null | head -1)
check "the deb is named drivemon_<version>_amd64.deb" \
	test "$(basename "$deb")" = "drivemon_${version}_amd64.deb"
check "lintian reports no errors" \
	sh -c "lintian --fail-on error '$deb' >'$T/lintian.txt' 2>&1"
[ -s "$T/lintian.txt" ] && sed 's/^/  lintian: /' "$T/lintian.txt"
check "the deb depends on the libraries it links" \
	sh -c "dpkg-deb -f '$deb' Depends | grep -q 'liblmdb0' &&
		dpkg-deb -f '$deb' Depends | grep -q 'libfuse3'"

# The rpm, by its file list and scripts.
check "the rpm lists the binaries" sh -c \
	"rpm -qlp '$rpm' 2>/dev/null | grep -qx /usr/bin/drivemon-fs"
check "the rpm lists the man pages and the units" sh -c \
	"rpm -qlp '$rpm' 2>/dev/null | grep -q 'man8/drivemon.8' &&
		rpm -qlp '$rpm' 2>/dev/null | grep -qx /usr/lib/systemd/system/drivemon.service"
check "the rpm keeps the conffile across upgrades" sh -c \
	"rpm -qp --configfiles '$rpm' 2>/dev/null | grep -qx /etc/drivemon/drivemon.conf"
check "the rpm makes the drivemon user before installing" sh -c \
	"rpm -qp --scripts '$rpm' 2>/dev/null | grep -q 'useradd -r -g drivemon'"
check "the rpm has the version of CMakeLists.txt" \
	test "$(rpm -qp --queryformat '%{VERSION}' "$rpm" 2>/dev/null)" = "$version"

# Install the deb.
check "the deb installs" sh -c "dpkg -i '$deb' >'$T/dpkg.log' 2>&1"
wants=/etc/systemd/system/multi-user.target.wants
check "installing enables drivemon.service" test -L "$wants/drivemon.service"
check "but not the FUSE view's unit" test ! -e "$wants/drivemon-fs.service"
check "the binaries are in /usr/bin" \
	test -x /usr/bin/drivemon -a -x /usr/bin/drivemonctl -a -x /usr/bin/drivemon-fs
check "--version is the package's version" \
	test "$(/usr/bin/drivemon --version)" = "drivemon $version"
check "the package's version is CMake's" \
	test "$(dpkg-query -W -f='${Version}' drivemon)" = "$version"
check "the man pages are installed" test -f /usr/share/man/man8/drivemon.8.gz \
	-a -f /usr/share/man/man1/drivemonctl.1.gz -a -f /usr/share/man/man8/drivemon-fs.8.gz \
	-a -f /usr/share/man/man5/drivemon.conf.5.gz
check "the man page carries the version" \
	sh -c "zcat /usr/share/man/man8/drivemon.8.gz | grep -q 'drivemon $version'"
check "drivemon.conf is a conffile" sh -c \
	"dpkg-query -W -f='\${Conffiles}' drivemon | grep -q '/etc/drivemon/drivemon.conf'"
check "the credentials template is 0600 and the agent's" \
	test "$(stat -c '%a %U' /etc/drivemon/credentials)" = "600 drivemon"
check "the drivemon system user exists" sh -c "getent passwd drivemon | grep -q /var/lib/drivemon"
check "it owns /var/lib/drivemon" \
	test "$(stat -c '%U %G %a' /var/lib/drivemon)" = "drivemon drivemon 750"
check "systemd-analyze verify passes" sh -c \
	"systemd-analyze verify /lib/systemd/system/drivemon.service \
		/lib/systemd/system/drivemon-fs.service >'$T/verify.txt' 2>&1"
[ -s "$T/verify.txt" ] && sed 's/^/  verify: /' "$T/verify.txt"

# The installed agent, as its user, against the test gateway.
bucket=$(new_bucket pkgbot)
BUCKETS=("$bucket")
drive_put_text "$bucket" "${bucket%.gbai}.gbot/config.csv" 'Mode,installed'
cp "$DM_RGW_DIR/credentials" /etc/drivemon/credentials
sed -i -e "s|^endpoint = .*|endpoint = $S3_DIRECT|" \
	-e "s|^buckets = .*|buckets = $bucket|" \
	-e "s|^# credentials_file = |credentials_file = |" /etc/drivemon/drivemon.conf
check "the installed drivemon --once mirrors the test bucket" sh -c \
	"runuser -u drivemon -- /usr/bin/drivemon --once -c /etc/drivemon/drivemon.conf \
		>'$T/once.log' 2>&1"
check "into /var/lib/drivemon/work" \
	test -f "/var/lib/drivemon/work/$bucket/${bucket%.gbai}.gbot/config.csv"
check "and its handler ran" sh -c \
	"/usr/bin/drivemonctl show ${bucket%.gbai} config | grep -qx 'Mode,installed'"

# Upgrade over itself: the changed conffile stays.
check "the deb upgrades over itself" \
	sh -c "dpkg -i --force-confold '$deb' >>'$T/dpkg.log' 2>&1"
check "keeping the changed conffile" \
	grep -q "^endpoint = $S3_DIRECT" /etc/drivemon/drivemon.conf
check "and the mirror" test -d "/var/lib/drivemon/work/$bucket"

# Remove keeps configuration and data; purge takes them.
check "remove works" sh -c "dpkg -r drivemon >>'$T/dpkg.log' 2>&1"
check "the binaries are gone" test ! -e /usr/bin/drivemon
check "the configuration and the data stay" \
	test -f /etc/drivemon/drivemon.conf -a -d /var/lib/drivemon/state
check "purge works" sh -c "dpkg -P drivemon >>'$T/dpkg.log' 2>&1"
check "purge takes the configuration" test ! -e /etc/drivemon/drivemon.conf
check "and the data" test ! -e /var/lib/drivemon

finish
