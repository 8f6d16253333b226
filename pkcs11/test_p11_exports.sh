#!/bin/sh
# The module's dynamic symbol table must hold exactly the three PKCS#11 3.0 entry points.
set -eu
so=$1
got=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TtDdBbRrWwVv]$/ {print $3}' | sort | tr '\n' ' ')
want="C_GetFunctionList C_GetInterface C_GetInterfaceList "
[ "$got" = "$want" ] || { echo "exports: got '$got', want '$want'" >&2; exit 1; }
echo "ok: $got"
