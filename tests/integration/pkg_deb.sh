#!/usr/bin/env bash
# pkg_deb.sh — the Debian package: `dpkg-buildpackage -us -uc -b` builds it from a copy of the
# tree, lintian finds no error, it installs into a throwaway root (dpkg --root) with every file
# meson installs, a man page per program, the PKCS#11 module in the multiarch directory named by
# its p11-kit file, a user unit per daemon that exists, the udev rule and bash completion; the
# units pass `systemd-analyze verify`; with the root laid over /usr, p11-kit, p11tool and
# p11-kit-proxy find the module from the installed file alone; purging leaves nothing behind.
# skinkey-test: plain-only (builds the package from the source tree, not from this build directory: once per run is enough)
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/lib/pkg.sh"
need dpkg-buildpackage dh lintian dpkg-deb systemd-analyze p11-kit p11tool pkcs11-tool

work=$SKNS_SCRATCH/pkg
pkg_copy_tree "$work/src"
( cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b ) \
	> "$SKNS_LOG/dpkg-buildpackage.log" 2>&1 || fail "dpkg-buildpackage failed (see dpkg-buildpackage.log)"
deb=$(ls "$work"/skinkey_*_amd64.deb) || fail "no .deb built"
changes=$(ls "$work"/skinkey_*_amd64.changes) || fail "no .changes written"

lint=$(lintian --allow-root --fail-on error "$deb" "$changes" 2>&1) || fail "lintian: $lint"
printf 'lintian: %s\n' "${lint:-clean}" >&2
case "$lint" in *"E: "*) fail "lintian reports an error: $lint" ;; esac

# install into a throwaway root: no maintainer script may need the real system
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: > "$root/var/lib/dpkg/status"
dpkg --root="$root" --force-depends --force-script-chrootless --log=/dev/null -i "$deb" \
	> "$SKNS_LOG/dpkg-install.log" 2>&1 || fail "dpkg --root -i (see dpkg-install.log)"
listed=$(dpkg --root="$root" -L skinkey) || fail "dpkg -L"

# meson and the package agree: every file meson installs is in the package (man pages gzipped)
inst=$(meson introspect --installed "$work/src/obj-x86_64-linux-gnu") || fail "meson introspect"
n=0
while read -r f; do
	[ -e "$root$f" ] || [ -e "$root$f.gz" ] || fail "meson installs $f but the package lacks it"
	n=$((n + 1))
done < <(/usr/bin/python3 -c 'import json,sys; [print(v) for v in json.load(sys.stdin).values()]' <<< "$inst")
[ "$n" -gt 10 ] || fail "meson introspect listed only $n files"

ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
progs=$(find "$root/usr/bin" "$root/usr/libexec" -type f -perm -u+x -printf '%f\n' | sort)
for p in skinkey skinkeyd skinkey-scd skinkey-sim skinkey-vault; do
	grep_all -qx "$p" <<< "$progs" || fail "program $p not installed"
done
for p in $progs; do
	ls "$root"/usr/share/man/man[18]/"$p".[18].gz >/dev/null 2>&1 || fail "no man page for $p"
done
[ -f "$root/usr/share/man/man5/skinkey.conf.5.gz" ] || fail "no man page for skinkey.conf"

# the module and its p11-kit file: "module:" is a bare name p11-kit resolves in its module dir
mod=$root/usr/lib/$ma/pkcs11/skinkey-pkcs11.so
[ -f "$mod" ] || fail "module not in /usr/lib/$ma/pkcs11"
mfile=$root/usr/share/p11-kit/modules/skinkey-pkcs11.module
[ -f "$mfile" ] || fail "no p11-kit module file"
expect_eq "$(sed -n 's/^module: *//p' "$mfile")" "skinkey-pkcs11.so" "module file names the module"

# a user unit for each daemon that is installed, and none for one that is not
udir=$root/usr/lib/systemd/user
for d in skinkeyd skinkey-guard skinkey-hidbridge; do
	if [ -x "$root/usr/bin/$d" ]; then
		[ -f "$udir/$d.service" ] || fail "$d is installed without its user unit"
	else
		[ ! -e "$udir/$d.service" ] || fail "unit $d.service installed without its program"
		note "$d is not built in this tree: no unit expected"
	fi
done
rules=$root/usr/lib/udev/rules.d/70-skinkey-uhid.rules
[ -f "$rules" ] || fail "udev rule missing"
grep_all -E '^KERNEL=="uhid".*TAG\+="uaccess"' "$rules" || fail "udev rule does not give uhid to the seat"
comp=$root/usr/share/bash-completion/completions/skinkey
[ -f "$comp" ] || fail "bash completion missing"

# the installed files in their real places, for this namespace only (the machine itself must not
# have skinkey installed, or what p11-kit finds would prove nothing)
[ ! -e "/usr/lib/$ma/pkcs11/skinkey-pkcs11.so" ] || fail "skinkey's module is installed on this machine itself"
pkg_overlay_usr "$root"
mkdir -p -m 700 "$SKNS_SCRATCH/sdrun"
for u in "$udir"/*.service; do
	out=$(XDG_RUNTIME_DIR=$SKNS_SCRATCH/sdrun systemd-analyze --user verify "/usr/lib/systemd/user/${u##*/}" 2>&1) ||
		fail "systemd-analyze verify ${u##*/}: $out"
done
# bash completion offers the commands `skinkey --help` lists
words=$(PATH=/usr/bin:$PATH bash -c 'source /usr/share/bash-completion/bash_completion; source /usr/share/bash-completion/completions/skinkey
	COMP_WORDS=(skinkey st); COMP_CWORD=1; COMP_LINE="skinkey st"; COMP_POINT=${#COMP_LINE}; _skinkey; echo "${COMPREPLY[*]}"') ||
	fail "bash completion did not run"
expect_match "$words" '(^| )status( |$)' "completion of 'skinkey st'"

# p11-kit finds the module from the installed file; its client autostarts the installed skinkeyd
mods=$(p11-kit list-modules 2>&1) || fail "p11-kit list-modules: $mods"
printf '%s\n' "$mods" >&2
mod_block=$(printf '%s\n' "$mods" | awk '/^skinkey-pkcs11:/ { on = 1; print; next } /^[^ \t]/ { on = 0 } on')
expect_match "$mod_block" "^skinkey-pkcs11: skinkey-pkcs11.so" "p11-kit loads the installed module by its file"
expect_match "$mod_block" "token: fs-[0-9a-f]+ OpenPGP" "p11-kit shows the chip's OpenPGP token"
pgrep -x skinkeyd >/dev/null || fail "no skinkeyd running"
expect_eq "$(readlink "/proc/$(pgrep -x skinkeyd | head -1)/exe")" "/usr/bin/skinkeyd" "the installed skinkeyd was started"
tok=$(p11tool --list-tokens 2>&1) || fail "p11tool --list-tokens: $tok"
expect_match "$tok" "Label: fs-[0-9a-f]+ OpenPGP" "p11tool lists the token through p11-kit"
proxy=$(pkcs11-tool --module "/usr/lib/$ma/p11-kit-proxy.so" -L 2>&1) || fail "p11-kit-proxy: $proxy"
expect_match "$proxy" "fs-[0-9a-f]+ OpenPGP" "p11-kit-proxy (what browsers load) shows the token"

# purge leaves nothing of ours
for skd in $(pgrep -x skinkeyd); do kill "$skd" 2>/dev/null || true; done
wait_for 60 sh -c '! pgrep -r R,S,D,T -x skinkeyd' || fail "skinkeyd did not exit"
umount -l /usr || fail "umount overlay"
dpkg --root="$root" --force-depends --force-script-chrootless --log=/dev/null -P skinkey \
	> "$SKNS_LOG/dpkg-purge.log" 2>&1 || fail "dpkg --root -P (see dpkg-purge.log)"
left=$(find "$root" -path "$root/var" -prune -o -type f -print 2>/dev/null || true)
[ -z "$left" ] || fail "files left after purge: $left"
echo "pkg_deb: ok ($(wc -l <<< "$listed") paths, $n from meson)"
