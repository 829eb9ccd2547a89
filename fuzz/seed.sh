#!/usr/bin/env bash
# Build the seed corpora fuzz/corpus/<target>/ from the golden kdb+ vectors in
# crates/fq-ipc/tests/fixtures. Idempotent: seeds are named by content hash, so re-running
# adds nothing new and never deletes what the fuzzer has found. Needs python3.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec python3 - "$here" <<'PY'
import hashlib, os, struct, sys

fuzz = sys.argv[1]
fixtures = os.path.join(fuzz, "..", "crates", "fq-ipc", "tests", "fixtures")
corpus = os.path.join(fuzz, "corpus")

def pairs(name):
    with open(os.path.join(fixtures, name)) as f:
        lines = [l.rstrip("\r\n") for l in f if l.strip()]
    return [(lines[i], bytes.fromhex(lines[i + 1])) for i in range(0, len(lines) - 1, 2)]

counts = {}
def seed(target, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16])
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1

def header(msg_type, compressed, total, little=True):
    n = struct.pack("<I" if little else ">I", total)
    return bytes([1 if little else 0, msg_type, 1 if compressed else 0, 0]) + n

plain = pairs("QExpressions3.out")          # payload hex, no header
packed = pairs("QCompressedExpressions3.out")  # compressed body after the 8-byte header

for _, p in plain:
    # decode_payload / roundtrip: first byte picks the endianness (1 little).
    for t in ("decode_payload", "roundtrip"):
        seed(t, b"\x01" + p)
        seed(t, b"\x00" + p)  # same bytes read big-endian: other paths
    seed("stream", b"\x0f" + p)  # little-endian, an 8-byte buffer
    seed("stream", b"\x01" + p)  # little-endian, a 1-byte buffer
    # decode_message: a whole sync message.
    seed("decode_message", header(1, False, 8 + len(p)) + p)
    # compress_roundtrip: control byte (bit 0 little), then the payload; also the payload
    # repeated past the 2000-byte threshold, and the "tile" form (bit 3) of it.
    seed("compress_roundtrip", b"\x01" + p)
    if p:
        seed("compress_roundtrip", b"\x03" + (p * (2100 // len(p) + 1)))
        seed("compress_roundtrip", b"\x09" + struct.pack("<H", len(p) % 4096) + p)

for _, body in packed:
    msg = header(0, True, 8 + len(body)) + body
    seed("decode_message", msg)
    seed("decompress", msg)

# Every plain payload as a literal-only compressed message (flag byte 0, then 8 literals):
# a valid stream that decompress and decode_message then decode as a value.
for _, p in plain:
    stream = b"".join(b"\x00" + p[i:i + 8] for i in range(0, len(p), 8))
    total = 12 + len(stream)
    msg = header(2, True, total) + struct.pack("<I", 8 + len(p)) + stream
    seed("decode_message", msg)
    seed("decompress", msg)

# A compressed message with a stream of matches: decompress's fast path.
seed("compress_roundtrip", b"\x09" + struct.pack("<H", 60000) + bytes(range(7)))

for hello in (b"user:pass\x06\x00", b"user:pass\x00", b"\x03\x00", b"user\x03\x00",
              b":\x06\x00", b"a:b:c\x09\x00", b"\x00", b"u:p\x03\x00\x01\x01\x00\x00\x00"):
    for split in (0, 1, len(hello) // 2, len(hello)):
        seed("handshake", struct.pack("<H", split) + hello)

for t in sorted(counts):
    print(f"{t}: {counts[t]} new seeds")
if not counts:
    print("corpus already seeded")
PY

# q inputs from the transcripts seed the parser and evaluator targets.
mkdir -p corpus/parse corpus/eval
for f in ../crates/fq-spec/tests/q/*.qt; do
  grep '^q)' "$f" | sed 's/^q)//' > "corpus/eval/$(basename "$f" .qt)"
  cp "corpus/eval/$(basename "$f" .qt)" corpus/parse/
done
