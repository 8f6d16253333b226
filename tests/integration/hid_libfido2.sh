#!/usr/bin/env bash
# skinkey-hidbridge without a kernel: stock libfido2 drives the bridge's HID layer through
# fido_dev_set_io_functions (hidbridge/hid_iotest.c); the bridge relays to the real skinkeyd and
# the simulated chip. A credential and an assertion made and verified; keepalives while the chip
# is away (gaps measured, UPNEEDED); CANCEL (latency measured; skinkeyd dropped the request);
# every malformed report against its CTAPHID error. Figures go to the log as "# figure ...".
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
export PATH=$SK_BUILD/hidbridge:$PATH
need skinkeyd skinkey-sim hid-iotest
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 20s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"

out=$SKNS_SCRATCH/iotest.out
hid-iotest "skinkey-sim ctl" > "$out" 2>&1 || { cat "$out" >&2; fail "hid-iotest failed"; }
cat "$out" >&2
grep_all -x 'hid-iotest: ok' < "$out" || fail "hid-iotest did not finish"
# every malformed kind was exercised (the program fails on a wrong answer; this checks none was skipped)
n=$(grep -c '^malformed: ' "$out")
[ "$n" -ge 15 ] || fail "only $n malformed cases ran"
grep_all "^U2F VERSION over CTAPHID_MSG: " < "$out" || fail "the MSG (U2F) path was not exercised"
sed -n 's/^figure /# figure /p' "$out" >&2
echo "hid_libfido2: ok"
