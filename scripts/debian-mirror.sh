# Sourced by the scripts that fetch from Debian's archive: prints the Debian mirror the system's own apt sources
# name (deb822 or one-line format), else Debian's default, so they work wherever apt already does.
debian_mirror() {
  local uri
  uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list \
    | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ' || true)
  [ -n "$uri" ] || uri="http://deb.debian.org/debian"
  echo "${uri%/}"
}
