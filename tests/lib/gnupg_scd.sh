# gnupg_scd.sh — sourced by the simulator's fidelity tests: stock gpg-agent with GnuPG's own
# scdaemon on the namespace's pcscd, a pinentry answering from a pins file, and a driver for
# gpg's --card-edit / --edit-key dialogues.
#   set_pins "REGEX<TAB>PIN"...   the first pattern (extended, case-insensitive) found in the
#                                 prompt text wins; default: admin -> 12345678, else 123456
#   card_edit KW=ANSWER...        gpg --card-edit answered by status keyword (tests/lib/gpg_answers.py)
#   edit_key KEY KW=ANSWER...     gpg --edit-key KEY, likewise

# scdaemon talks to pcscd (our namespaced one), never to USB readers directly.
printf 'disable-ccid\nreader-port %s\nlog-file %s/scdaemon.log\n' "$SK_READER0" "$SKNS_LOG" \
	> "$GNUPGHOME/scdaemon.conf"
pins=$SKNS_SCRATCH/pins
set_pins() { printf '%s\n' "$@" > "$pins"; }
set_pins $'admin\t12345678' $'.\t123456'
pinentry=$SKNS_SCRATCH/fake-pinentry
cat > "$pinentry" <<PINEOF
#!/bin/bash
echo "OK fake pinentry"
desc=""
while IFS= read -r line; do
	case "\$line" in
	SETDESC*|SETPROMPT*) desc="\$desc \$line"; echo OK ;;
	GETPIN)
		echo "\$desc" >> "$SKNS_LOG/pinentry.log"
		ans=""
		while IFS=\$'\t' read -r pat val; do
			if printf '%s' "\$desc" | grep -Eqi -- "\$pat"; then ans=\$val; break; fi
		done < "$pins"
		echo "D \$ans"; echo OK; desc="" ;;
	BYE) echo OK; exit 0 ;;
	*) echo OK ;;
	esac
done
PINEOF
chmod +x "$pinentry"
echo "pinentry-program $pinentry" > "$GNUPGHOME/gpg-agent.conf"

card_edit() { timeout 120 /usr/bin/python3 "$SK_SRC/tests/lib/gpg_answers.py" --card-edit -- "$@"; }
edit_key() {
	local key=$1; shift
	timeout 120 /usr/bin/python3 "$SK_SRC/tests/lib/gpg_answers.py" --edit-key "$key" -- "$@"
}
