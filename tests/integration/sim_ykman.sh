#!/usr/bin/env bash
# Fidelity: an independent client (Yubico's ykman 4.0.9 over PC/SC) programs the flexSecure
# HMAC-SHA1 applet and gets the RFC 2202 HMAC-SHA1 answers back. ykman reaches the applet with
# no management applet on the card (it falls back to the OTP applet's status and serial).
. "$SK_SRC/tests/lib/common.sh"
need ykman skinkey-sim

R="$SK_READER0"
yk() { ykman --reader "$R" "$@"; }

info=$(yk otp info)
expect_match "$info" 'Slot 1: empty'
expect_match "$info" 'Slot 2: empty'
# serial: what ykman reports is what the applet answers to INS 01 P1 10
ser_apdu=$(apdu 00A4040007A0000005272001 0001100000 | sed -n 2p | awk '{print $1}')
expect_match "$(yk info)" "Serial number: $((16#$ser_apdu))"

# empty slot: ykman refuses (the applet answered a bare 9000)
if yk otp calculate 1 00 >/dev/null 2>&1; then fail "calculate on an empty slot succeeded"; fi

hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
rep() { local i s=; for i in $(seq "$2"); do s=$s$1; done; printf '%s' "$s"; }

# RFC 2202 test case 1 in slot 1, test case 2 ("Jefe") in slot 2
yk otp chalresp --force 1 "$(rep 0b 20)" >/dev/null
yk otp chalresp --force 2 "$(hexof Jefe)" >/dev/null
info=$(yk otp info)
expect_match "$info" 'Slot 1: programmed'
expect_match "$info" 'Slot 2: programmed'
expect_eq "$(yk otp calculate 1 "$(hexof 'Hi There')")" b617318655057264e28bc0b6fb378c8ef146be00 "RFC 2202 #1"
expect_eq "$(yk otp calculate 2 "$(hexof 'what do ya want for nothing?')")" \
	effcdf6ae5eb2fa2d27416d5f184df9c259a7c79 "RFC 2202 #2"

# RFC 2202 test case 3 (50 x dd under 20 x aa) after reprogramming slot 1
yk otp chalresp --force 1 "$(rep aa 20)" >/dev/null
expect_eq "$(yk otp calculate 1 "$(rep dd 50)")" 125d7342b9ac11cd91a39af48aa17b4f63f175d3 "RFC 2202 #3"

# the same answer reaches a raw client (exact 28-byte challenge, no ykman padding)
out=$(apdu 00A4040007A0000005272001 000138001C"$(hexof 'what do ya want for nothing?')" | sed -n 2p)
expect_eq "$out" "EFFCDF6AE5EB2FA2D27416D5F184DF9C259A7C79 9000" "raw slot 2 answer after ykman"

# delete slot 2 through ykman: the applet forgets it
yk otp delete --force 2 >/dev/null
expect_match "$(yk otp info)" 'Slot 2: empty'
expect_eq "$(apdu 00A4040007A0000005272001 0001380001AA | sed -n 2p)" 9000 "deleted slot answers a bare 9000"
echo ok
