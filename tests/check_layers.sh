#!/bin/sh
# The layer rule of the design: a layer includes only the layers below it (or its own). Each file
# of src/<layer>/ and each public header is checked: every header it includes in quotes must
# belong to its layer or to one below. Exits 1 naming each include that goes up, or a public
# header this table does not place.
# usage: tests/check_layers.sh [repository root]
cd "${1:-.}" || exit 2
[ -d src ] || { echo "check_layers: no src folder here"; exit 2; }

LAYERS="core tensor autograd nn optim io data env wm plan eval cli"

rank() { # the position of layer $1 in LAYERS (0 when unknown)
    i=1
    for l in $LAYERS; do
        [ "$l" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
    echo 0
}

# the layer of a public header (include/jepa/NAME.h or .def), by the folder that implements it.
# The ops headers declare a module's kernels (tensor) and its graph ops (autograd) side by side,
# one header a module: they count as tensor's.
public_layer() {
    case "$1" in
    arena | log | progress | rng | status | threads | timer) echo core ;;
    tensor | autograd | ops | ops_* | ops/*) echo tensor ;;
    nn | params) echo nn ;;
    optim) echo optim ;;
    atomic_file | image | npy | safetensors) echo io ;;
    dataset) echo data ;;
    env | collect) echo env ;;
    wm | wm_config | train | probe | regularizers) echo wm ;;
    plan) echo plan ;;
    eval) echo eval ;;
    *) echo unknown ;;
    esac
}

# the layer of an included header (quoted path), or nothing for one beside the includer
header_layer() {
    case "$1" in
    jepa.h) echo cli ;; # the whole API
    jepa/*) n=${1#jepa/}; public_layer "${n%.*}" ;;
    */*) echo "${1%%/*}" ;;
    esac
}

fail=0
check() { # file, its layer
    own=$(rank "$2")
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"); do
        l=$(header_layer "$inc")
        [ -z "$l" ] && continue
        r=$(rank "$l")
        if [ "$r" -eq 0 ]; then
            echo "check_layers: $1 includes $inc, which no layer holds (add it to tests/check_layers.sh)"
            fail=1
        elif [ "$r" -gt "$own" ]; then
            echo "check_layers: $1 ($2) includes $inc ($l), a layer above it"
            fail=1
        fi
    done
}

for layer in $LAYERS; do
    for f in src/"$layer"/*.c src/"$layer"/*.h; do
        [ -f "$f" ] && check "$f" "$layer"
    done
done
for f in include/jepa/*.h include/jepa/*.def include/jepa/ops/*.def; do
    [ -f "$f" ] || continue
    n=${f#include/jepa/}
    l=$(public_layer "${n%.*}")
    if [ "$l" = unknown ]; then
        echo "check_layers: $f is in no layer (add it to tests/check_layers.sh)"
        fail=1
    else
        check "$f" "$l"
    fi
done
[ $fail -eq 0 ] && echo "check_layers: every include stays in its layer or goes down"
exit $fail
