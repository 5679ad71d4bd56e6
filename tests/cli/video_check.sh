#!/usr/bin/env bash
# fer video end to end on clips that ffmpeg renders here from a sample photo (pan, zoom,
# brightness flicker with noise): every frame reported, faces in view keep their IDs, smoothing
# steadies the labels, the annotated Y4M, CSV and timeline are written, standard input works,
# and hostile streams fail with a one-line reason.
# usage: video_check.sh FER_BINARY WORK_DIR   (exit 77 without ffmpeg or the sample photos)
set -uo pipefail
fer=$1
work=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
photo=$top/assets/face-api/sample3.jpg
[[ -f "$photo" ]] || { echo "SKIPPED: run tools/fetch-assets.sh"; exit 77; }
command -v ffmpeg >/dev/null || { echo "SKIPPED: ffmpeg is missing (tools/install-deps.sh --test)"; exit 77; }
fail() { echo "FAILED: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work"

# 2 seconds at 25 frames/s of sample3.jpg scaled to 720 wide (three faces of 94-118 pixels).
render() {  # render NAME FILTERS
  ffmpeg -v error -y -loop 1 -i "$photo" -vf "scale=720:-2,$2,format=yuv420p" -frames:v 50 \
    -r 25 -f yuv4mpegpipe "$work/$1.y4m" || fail "ffmpeg could not render $1"
}
render pan "crop=640:360:x='40+30*sin(2*PI*t/3)':y='10+8*t'"
render zoom "crop=640:360:40:10,zoompan=z='1+0.003*on':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=1:s=640x360:fps=25"
# Brightness jumps from frame to frame (2.4 radians a frame) under fresh noise each frame.
render flicker "crop=640:360:40:10,eq=brightness='0.15*sin(2.4*n)':eval=frame,noise=alls=15:allf=t"

"$fer" video "$work/pan.y4m" --output "$work/pan-out.y4m" --csv "$work/pan.csv" \
  --timeline "$work/pan-timeline.png" >"$work/pan.jsonl" 2>"$work/pan.err" || fail "fer video pan"
grep -q "^fer video: 50 frames, .* tracks, .* frames/s$" "$work/pan.err" || fail "summary: $(cat "$work/pan.err")"
ffmpeg -v error -i "$work/zoom.y4m" -f yuv4mpegpipe - |
  "$fer" video - --detector haar >"$work/zoom.jsonl" 2>/dev/null || fail "fer video - (standard input)"
"$fer" video "$work/zoom.y4m" --detector haar --whole-search >"$work/zoom-whole.jsonl" 2>/dev/null \
  || fail "fer video --whole-search"
# One model, whose raw labels flicker there (the fitted levels' barely do), shows what smoothing does.
single=$top/weights/human-emotion-int8.gguf
"$fer" video "$work/flicker.y4m" --model "$single" >"$work/flicker-ema.jsonl" 2>/dev/null ||
  fail "fer video flicker"
"$fer" video "$work/flicker.y4m" --model "$single" --smoothing none >"$work/flicker-raw.jsonl" \
  2>/dev/null || fail "fer video flicker --smoothing none"

/usr/bin/python3 - "$work" <<'PY' || fail "JSON lines"
import collections, csv, json, sys
work = sys.argv[1]
def load(name):
    rows = [json.loads(l) for l in open(f"{work}/{name}.jsonl")]
    assert [r["frame"] for r in rows] == list(range(50)), (name, len(rows))  # every frame
    return rows
def frames_per_id(rows):
    return collections.Counter(f["id"] for r in rows for f in r["faces"])
pan = load("pan")
for r in pan:
    for f in r["faces"]:
        p = f["probabilities"]
        assert set(p) == {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
        assert abs(sum(p.values()) - 1) < 1e-3 and f["label"] == max(p, key=p.get)
# The three women stay in view all along: three IDs seen in (nearly) every frame.
steady = [i for i, n in frames_per_id(pan).items() if n >= 48]
assert len(steady) == 3, frames_per_id(pan)
# Zoom: the faces near the centre stay in view and keep their IDs (one leaves at the edge).
for name in "zoom", "zoom-whole":  # full search spread over the frames, or all at once
    zoom_ids = frames_per_id(load(name))
    assert sum(n >= 48 for n in zoom_ids.values()) >= 2, (name, zoom_ids)
# Flicker and noise: raw labels change often, smoothed ones far less.
def label_changes(rows):
    labels = collections.defaultdict(list)
    for r in rows:
        for f in r["faces"]:
            labels[f["id"]].append(f["label"])
    return sum(sum(a != b for a, b in zip(l, l[1:])) for l in labels.values())
raw, smooth = label_changes(load("flicker-raw")), label_changes(load("flicker-ema"))
print(f"label changes on the flickering clip: raw {raw}, smoothed {smooth}")
assert raw >= 10 and smooth * 3 <= raw, (raw, smooth)
# CSV: one row per frame and face, the same numbers as the JSON.
rows = list(csv.DictReader(open(f"{work}/pan.csv")))
assert len(rows) == sum(len(r["faces"]) for r in pan)
first = pan[0]["faces"][0]
assert int(rows[0]["id"]) == first["id"] and rows[0]["label"] == first["label"]
PY
[[ $(head -c 8 "$work/pan-timeline.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] \
  || fail "the timeline is not a PNG"
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
         -of csv=p=0 "$work/pan-out.y4m")
[[ "$frames" == 50 ]] || fail "ffprobe reads $frames frames from the annotated Y4M, not 50"
# Frames 0 and 40 of the annotated video as PNG, for a look (boxes on faces, IDs readable).
ffmpeg -v error -y -i "$work/pan-out.y4m" -vf "select='eq(n\,0)+eq(n\,40)',tile=1x2" \
  -frames:v 1 "$work/pan-frames.png" || fail "ffmpeg cannot decode the annotated Y4M"

# The library example follows the same clip: three faces, each announced with its expression.
example=$(dirname "$fer")/examples/example_video
if [[ -x "$example" ]]; then
  "$example" "$work/pan.y4m" >"$work/example.txt" || fail "example_video"
  grep -q "^50 frames, 3 faces followed$" "$work/example.txt" || fail "example_video: $(tail -n 1 "$work/example.txt")"
  [[ $(grep -c "^frame 0: face #[123] " "$work/example.txt") -eq 3 ]] || fail "example_video frame 0"
fi

# Hostile streams: non-zero exit and one line naming the problem.
expect_error() {  # expect_error PATTERN FILE
  "$fer" video "$2" >"$work/hostile.jsonl" 2>"$work/hostile.err"
  local status=$?
  [[ $status -eq 1 ]] || fail "$2: exit status $status, expected 1"
  grep -q "$1" "$work/hostile.err" || fail "$2: message '$(cat "$work/hostile.err")' lacks '$1'"
}
printf 'GIF89a not a video\n' >"$work/bad-header.y4m"
expect_error "YUV4MPEG2" "$work/bad-header.y4m"
printf 'YUV4MPEG2 W100000 H100000 F25:1 C420jpeg\nFRAME\n' >"$work/absurd.y4m"
expect_error "Y4M width: expected 1 to 16384, found 100000" "$work/absurd.y4m"
head -c $(( $(head -n 1 "$work/pan.y4m" | wc -c) + 3 * (6 + 640 * 360 * 3 / 2) + 1000 )) \
  "$work/pan.y4m" >"$work/truncated.y4m"
expect_error "frame 4: expected 345600 bytes of pixels" "$work/truncated.y4m"
[[ $(wc -l <"$work/hostile.jsonl") -eq 3 ]] || fail "the 3 whole frames before the damage are not reported"
expect_error "cannot open" "$work/missing.y4m"
expect_error "/dev/video" /dev/video99
echo "video check passed"
