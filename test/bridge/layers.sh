#!/usr/bin/env bash
# The bridge's layer rule, checked on its #include lines (docs/architecture.md draws it):
#   core < protocol < presence < chat < http < main.c
# a file includes headers of its own folder or of a folder below it, always folder-qualified
# ("core/log.h"), so protocol/ sees only core/ and nothing includes what stands above it. Every
# source sits in a layer folder; only main.c, which wires the layers together, sits in bridge/.
#   test/bridge/layers.sh [bridge folder (default: the checkout's bridge/)]
# Prints each breach and exits 1 if there is one.
set -uo pipefail
root=${1:-"$(dirname "${BASH_SOURCE[0]}")/../../bridge"}
layers=(core protocol presence chat http)
breaches=0
breach() { echo "layers: $1"; breaches=$((breaches + 1)); }

for file in "$root"/*.c "$root"/*.h; do
  [ -e "$file" ] || continue
  [ "$(basename "$file")" = main.c ] || breach "${file#"$root"/} is in no layer folder (put it in one of: ${layers[*]})"
done
for dir in "$root"/*/; do
  name=$(basename "$dir")
  [ "$name" = build ] && continue
  [[ " ${layers[*]} " == *" $name "* ]] || breach "$name/ is not a layer (add it to test/bridge/layers.sh and docs/architecture.md)"
done

# every quoted include as FILE:HEADER (one grep), judged in one awk pass that first reads the
# headers there are
includes() {
  (cd "$root" && grep -HE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' main.c */*.c */*.h 2>/dev/null |
    sed -E 's/^([^:]+):[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1\t\2/')
}
while IFS= read -r line; do breach "$line"; done < <(includes | awk -F'\t' -v layers="${layers[*]}" -v headers="$(cd "$root" && echo */*.h)" '
  BEGIN {
    n = split(layers, names, " "); for (i = 1; i <= n; i++) rank[names[i]] = i
    split(headers, present, " "); for (i in present) exists[present[i]] = 1
  }
  {
    file = $1; header = $2
    split(file, parts, "/"); own = (file == "main.c") ? n + 1 : rank[parts[1]]
    if (index(header, "/") == 0) { printf "%s includes \"%s\" without its folder\n", file, header; next }
    split(header, target, "/")
    if (!(target[1] in rank)) printf "%s includes \"%s\", which is in no layer\n", file, header
    else if (rank[target[1]] > own) printf "%s includes \"%s\": %s/ stands above %s\x27s layer\n", file, header, target[1], file
    else if (!(header in exists)) printf "%s includes \"%s\", which does not exist\n", file, header
  }')

if [ "$breaches" -gt 0 ]; then
  echo "layers: $breaches breach(es) of core < protocol < presence < chat < http"
  exit 1
fi
echo "layers: every include follows core < protocol < presence < chat < http"
