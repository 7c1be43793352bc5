#!/bin/sh
# Makes the demo site's model with the project's own command: a short frozen-only `bears train`
# (the head on top of the pretrained MobileNet body) on the lesson's bears, exported to
# public/model/. Copies that MobileNet body to public/body/ for the Train page. Both folders are
# gitignored: no model file is committed. `npm run build` then copies them into dist/.
#
#   sh scripts/make-demo-model.sh [data-dir]      (default: ../shared/data/bears from the repo root)
#
# Environment: BEARS_SHARED (default <repo>/../shared), BEARS_DEMO_MODEL (output folder),
# BEARS_DEMO_TRAIN_ARGS (extra `bears train` flags, e.g. "--size 160 --epochs 1").
set -eu
APP=$(cd "$(dirname "$0")/.." && pwd)
REPO=$(cd "$APP/../.." && pwd)
SHARED=${BEARS_SHARED:-$REPO/../shared}
DATA=${1:-$SHARED/data/bears}
BODY=$SHARED/models/mobilenet_v1_0.75_224
OUT=${BEARS_DEMO_MODEL:-$APP/public/model}
CLI=$REPO/apps/cli/dist/bin.js

[ -f "$CLI" ] || { echo "make-demo-model: $CLI is missing: run 'npx turbo run build --filter=@bears/cli...' first" >&2; exit 1; }
[ -f "$BODY/model.json" ] || { echo "make-demo-model: no MobileNet body at $BODY (set BEARS_SHARED)" >&2; exit 1; }
[ -d "$DATA" ] || { echo "make-demo-model: no data folder at $DATA" >&2; exit 1; }

# Train into a temporary folder and swap it in, so a failed run never leaves half a model.
rm -rf "$OUT.tmp"
# shellcheck disable=SC2086
node "$CLI" train "$DATA" --out "$OUT.tmp" --epochs 3 --unfreeze-epochs 0 --weights "$BODY" --backend wasm ${BEARS_DEMO_TRAIN_ARGS:-}
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"

mkdir -p "$APP/public/body"
cp "$BODY"/model.json "$BODY"/group*-shard* "$APP/public/body/"
echo "make-demo-model: model in $OUT, MobileNet body in $APP/public/body"
