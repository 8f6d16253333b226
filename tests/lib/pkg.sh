# pkg.sh — sourced by tests/integration/pkg_*.sh: a copy of the source tree, an installed root,
# and that root laid over /usr inside the test's private mount namespace (nothing on the
# machine changes; the programs run from the paths the package gives them).

# pkg_copy_tree DIR: the source tree without build directories or git metadata.
pkg_copy_tree() {
	local dst=$1
	mkdir -p "$dst"
	if git -C "$SK_SRC" rev-parse --git-dir >/dev/null 2>&1; then
		( cd "$SK_SRC" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$dst" ) ||
			fail "copying the source tree"
	else
		tar -C "$SK_SRC" --exclude='./build*' --exclude=./artifacts --exclude=./.git -cf - . |
			tar -C "$dst" -xf - || fail "copying the source tree"
	fi
}

# pkg_meson_install ROOT: `meson install` of this build (prefix /usr/local) into ROOT.
pkg_meson_install() {
	meson install -C "$SK_BUILD" --no-rebuild --quiet --destdir "$1" > "$SKNS_LOG/meson-install.log" 2>&1 ||
		fail "meson install --destdir $1 (see meson-install.log)"
}

# pkg_overlay_usr ROOT: ROOT/usr over /usr (ROOT's files win), in this mount namespace only.
pkg_overlay_usr() {
	mount -t overlay overlay -o "lowerdir=$1/usr:/usr" /usr || fail "overlay of $1/usr on /usr"
}
