#!/usr/bin/python3
"""kdbx4_cr.py — writes a KeePass KDBX 4 database protected by a password and a YubiKey-style
HMAC-SHA1 challenge-response, as KeePassXC 2.7 opens it (keepassxc-cli -y SLOT:SERIAL).
keepassxc-cli cannot add a hardware key to a database (only the GUI can), so the tests build one.

  kdbx4_cr.py challenge SEEDFILE       random 32-byte KDF seed into SEEDFILE; prints the 64-byte
                                       challenge KeePassXC sends for it (seed + PKCS#7-style pad)
  kdbx4_cr.py write OUT SEEDFILE RESPONSE_HEX TITLE SECRET   (master password on stdin)

Key derivation as KeePassXC does for a KDBX 4 KDF (src/keys/CompositeKey.cpp): the challenge is
the KDF seed, raw key = SHA-256(SHA-256(password) || SHA-256(response)); AES-KDF (KDBX 4 UUID)
over it; final key = SHA-256(master seed || transformed key); HMAC key = SHA-512(master seed ||
transformed key || 01). Cipher AES-256-CBC, no compression, ChaCha20 inner stream, no protected
values. Written from the KDBX 4 format description."""
import base64
import hashlib
import hmac
import os
import struct
import sys
import uuid
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AES256_CBC = uuid.UUID("31c1f2e6-bf71-4350-be58-05216afc5aff").bytes
AES_KDF_KDBX4 = uuid.UUID("7c02bb82-79a7-4ac0-927d-114a00648238").bytes
ROUNDS = 2000


def field(fid, data):
    return struct.pack("<BI", fid, len(data)) + data


def variant_map(entries):
    out = struct.pack("<H", 0x0100)
    for vtype, name, value in entries:
        key = name.encode()
        out += struct.pack("<BI", vtype, len(key)) + key + struct.pack("<I", len(value)) + value
    return out + b"\x00"


def aes_kdf(raw, seed, rounds):
    enc = Cipher(algorithms.AES(seed), modes.ECB()).encryptor()
    for _ in range(rounds):
        raw = enc.update(raw)
    return hashlib.sha256(raw).digest()


def block_hmac_key(index, key):
    return hashlib.sha512(struct.pack("<Q", index) + key).digest()


def xml_payload(title, secret):
    b64 = lambda: base64.b64encode(os.urandom(16)).decode()
    return ('<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n'
            "<KeePassFile><Meta><Generator>skinkey-test</Generator>"
            "<DatabaseName>implant</DatabaseName></Meta><Root><Group>"
            f"<UUID>{b64()}</UUID><Name>Root</Name><Entry><UUID>{b64()}</UUID>"
            f"<String><Key>Title</Key><Value>{escape(title)}</Value></String>"
            f"<String><Key>Password</Key><Value>{escape(secret)}</Value></String>"
            "</Entry></Group></Root></KeePassFile>").encode()


def challenge(seedfile):
    seed = os.urandom(32)
    with open(seedfile, "wb") as f:
        f.write(seed)
    print((seed + bytes([32]) * 32).hex())


def write(out, seedfile, response_hex, title, secret):
    password = sys.stdin.readline().rstrip("\n").encode()
    with open(seedfile, "rb") as f:
        kdf_seed = f.read()
    response = bytes.fromhex(response_hex)
    if len(kdf_seed) != 32 or len(response) != 20:
        sys.exit("kdbx4_cr: bad seed or response")
    raw = hashlib.sha256(hashlib.sha256(password).digest() +
                         hashlib.sha256(response).digest()).digest()
    transformed = aes_kdf(raw, kdf_seed, ROUNDS)
    master_seed, iv = os.urandom(32), os.urandom(16)
    final_key = hashlib.sha256(master_seed + transformed).digest()
    hmac_key = hashlib.sha512(master_seed + transformed + b"\x01").digest()

    kdf = variant_map([(0x42, "$UUID", AES_KDF_KDBX4), (0x05, "R", struct.pack("<Q", ROUNDS)),
                       (0x42, "S", kdf_seed)])
    header = (struct.pack("<IIHH", 0x9AA2D903, 0xB54BFB67, 0, 4) + field(2, AES256_CBC) +
              field(3, struct.pack("<I", 0)) + field(4, master_seed) + field(7, iv) +
              field(11, kdf) + field(0, b"\r\n\r\n"))
    header_hmac = hmac.new(block_hmac_key(0xFFFFFFFFFFFFFFFF, hmac_key), header,
                           hashlib.sha256).digest()

    inner = (field(1, struct.pack("<I", 3)) + field(2, os.urandom(64)) + field(0, b"") +
             xml_payload(title, secret))
    padder = padding.PKCS7(128).padder()
    plain = padder.update(inner) + padder.finalize()
    enc = Cipher(algorithms.AES(final_key), modes.CBC(iv)).encryptor()
    data = enc.update(plain) + enc.finalize()

    blocks = b""
    for index, chunk in enumerate([data, b""]):
        mac = hmac.new(block_hmac_key(index, hmac_key),
                       struct.pack("<QI", index, len(chunk)) + chunk, hashlib.sha256).digest()
        blocks += mac + struct.pack("<I", len(chunk)) + chunk
    with open(out, "wb") as f:
        f.write(header + hashlib.sha256(header).digest() + header_hmac + blocks)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "challenge":
        challenge(sys.argv[2])
    elif len(sys.argv) == 7 and sys.argv[1] == "write":
        write(*sys.argv[2:])
    else:
        sys.exit(__doc__)
