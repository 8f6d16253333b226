#!/usr/bin/python3
"""ff_png.py PNG — checks a Firefox --screenshot of openssl s_server's -www page (stdlib only).

Prints "width height white_bg dark_rows black_pixels" and exits 0 when the PNG is well formed (signature,
CRCs, one IHDR, IDAT, IEND, 8-bit RGB/RGBA, not interlaced, filter bytes 0..4, exact data
length) and looks like the s_server page: a plain white background (#ffffff at the corners)
with many rows of black (#000000) text in the left third, as the full-page capture of
s_server's long session report shows. Firefox's own error pages are short and use tinted colours.
Exit 1 with a reason on stderr otherwise.
"""
import struct
import sys
import zlib

MAX_DIM = 20000


def die(why):
    print("ff_png: " + why, file=sys.stderr)
    sys.exit(1)


def chunks(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        die("not a PNG (bad signature)")
    off = 8
    while off < len(data):
        if len(data) - off < 12:
            die("truncated chunk header")
        (n,) = struct.unpack(">I", data[off:off + 4])
        kind = data[off + 4:off + 8]
        if n > len(data) - off - 12:
            die("chunk %r longer than the file" % kind)
        body = data[off + 8:off + 8 + n]
        (crc,) = struct.unpack(">I", data[off + 8 + n:off + 12 + n])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            die("bad CRC in chunk %r" % kind)
        yield kind, body
        off += 12 + n


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(raw, w, h, bpp):
    stride = w * bpp
    if len(raw) != h * (stride + 1):
        die("image data is %d bytes, expected %d" % (len(raw), h * (stride + 1)))
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f > 4:
            die("bad filter type %d in row %d" % (f, y))
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif f == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 0xFF
        rows.append(line)
        prev = line
    return rows


def main():
    if len(sys.argv) != 2:
        die("usage: ff_png.py FILE.png")
    with open(sys.argv[1], "rb") as fh:
        data = fh.read()
    ihdr, idat, seen_end = None, bytearray(), False
    for kind, body in chunks(data):
        if seen_end:
            die("data after IEND")
        if kind == b"IHDR":
            if ihdr is not None or len(body) != 13:
                die("bad or repeated IHDR")
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            seen_end = True
    if ihdr is None or not idat or not seen_end:
        die("IHDR, IDAT or IEND missing")
    w, h, depth, ctype, _, _, interlace = ihdr
    if not (0 < w <= MAX_DIM and 0 < h <= MAX_DIM):
        die("implausible size %dx%d" % (w, h))
    if depth != 8 or ctype not in (2, 6) or interlace != 0:
        die("unsupported PNG format depth=%d color=%d interlace=%d" % (depth, ctype, interlace))
    bpp = 4 if ctype == 6 else 3
    rows = unfilter(zlib.decompress(bytes(idat)), w, h, bpp)

    def rgb(x, y):
        p = rows[y][x * bpp:x * bpp + 3]
        return tuple(p)

    corners = [rgb(w - 1, 0), rgb(w - 1, h - 1), rgb(w // 2, h - 1)]
    white_bg = all(c == (255, 255, 255) for c in corners)
    # rows of the left third holding dark (text) pixels, and pure black pixels: s_server's page
    # is default black text, Firefox's own pages (errors) use tinted text colours
    dark_rows, black = 0, 0
    for y in range(h):
        line, dark = rows[y], False
        for x in range(0, w // 3):
            r, g, b = line[x * bpp:x * bpp + 3]
            if r < 96 and g < 96 and b < 96:
                dark = True
                black += (r | g | b) == 0
        dark_rows += dark
    print("%d %d %d %d %d" % (w, h, int(white_bg), dark_rows, black))
    if not white_bg:
        die("background is not plain white (corners %s): not the s_server page" % corners)
    if dark_rows < 600:
        die("only %d rows with text: not the s_server session page" % dark_rows)
    if black < 2000:
        die("only %d black pixels: not s_server's plain text" % black)


if __name__ == "__main__":
    main()
