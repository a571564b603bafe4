# Helpers shared by the scripts that start a throwaway server (sourced, not run).

# ensure_debian_packages PKG...: installs the Debian packages that are missing,
# through apt-get (as root, or with sudo otherwise). Safe to run again.
ensure_debian_packages() {
  local missing=() p sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "==> installing ${missing[*]}" >&2
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# json_field JSON KEY: a top-level field of a JSON object (the output of `argus bootstrap --json`).
json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# listening_url FILE [TRIES]: waits (0.1 s a try, 100 tries unless given) for the
# "listening on URL" line a server started with --port 0 prints to FILE, and prints URL;
# fails with the file's last lines if it never comes.
listening_url() {
  local file=$1 tries=${2:-100} url=
  for _ in $(seq "$tries"); do grep -q '^listening on ' "$file" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$file" | head -1)
  if [ -z "$url" ]; then
    echo "no server listening (see $file):" >&2
    tail -5 "$file" >&2 2>/dev/null || true
    return 1
  fi
  echo "$url"
}
