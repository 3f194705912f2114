#!/bin/sh
# mirrorctl installer: downloads a release for this machine, checks its SHA-256 (and its minisign signature when
# minisign is installed), and installs the binary, the man pages and the shell completions.
#
#   curl -fsSL <release page>/install.sh | sh
#   sh install.sh [--version X] [--base URL]... [--pubkey KEY] [--prefix DIR] [--dry-run] [--uninstall]
#
# POSIX sh only (dash, busybox ash, bash --posix): it runs on the oldest servers mirrorctl supports.
set -u

# ---- the places a release is fetched from, in order (the project's release page first, then mirrors of it that
# users in mainland China can reach). Each holds <base>/latest/download/VERSION and <base>/download/v<X>/<file>,
# the layout of a GitHub release page. MIRRORCTL_DOWNLOAD_BASE or --base replaces the whole list.
DEFAULT_BASES="https://github.com/mirrorctl/mirrorctl/releases
https://ghfast.top/https://github.com/mirrorctl/mirrorctl/releases
https://gh-proxy.com/https://github.com/mirrorctl/mirrorctl/releases"

# ---- the project's public key (the same key mirrorctl pins for signed catalogues; `--pubkey` for a team's own).
PUBKEY="RWSjEvTiAV6fzN2eh/Fk9ZnRBgR3zdHjny3Yt2Xxdr9XFEAMNPZ8vdeo"

# ---- messages: Chinese under a zh locale, English otherwise.
lang=${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}
case $lang in zh* | ZH*) zh=1 ;; *) zh=0 ;; esac
# say EN ZH: one line on stderr in the user's language.
say() { if [ "$zh" = 1 ]; then printf '%s\n' "$2" >&2; else printf '%s\n' "$1" >&2; fi; }
# die EN ZH [HINT_EN HINT_ZH]: an error, what to do next, exit 1.
die() {
  if [ "$zh" = 1 ]; then printf '错误：%s\n' "$2" >&2; else printf 'error: %s\n' "$1" >&2; fi
  if [ $# -ge 4 ]; then
    if [ "$zh" = 1 ]; then printf '提示：%s\n' "$4" >&2; else printf 'hint: %s\n' "$3" >&2; fi
  fi
  exit 1
}

usage() {
  if [ "$zh" = 1 ]; then
    cat <<'EOF'
mirrorctl 安装脚本

用法：sh install.sh [选项]

选项：
  --version X     安装版本 X（默认：最新版本）
  --base URL      从这个地址下载（可重复，按顺序尝试；默认：项目发布页，然后是它的国内镜像）
  --pubkey KEY    用这个 minisign 公钥校验签名（团队自己构建的版本）
  --prefix DIR    安装到 DIR（默认：root 为 /usr/local，否则为 ~/.local）
  --dry-run       只打印将要做什么，不下载安装包，不写入任何文件
  --uninstall     卸载已安装的 mirrorctl
  -h, --help      显示帮助

环境变量：MIRRORCTL_DOWNLOAD_BASE（以空格分隔的下载地址）、MIRRORCTL_VERSION、MIRRORCTL_PREFIX
EOF
  else
    cat <<'EOF'
mirrorctl installer

Usage: sh install.sh [options]

Options:
  --version X     install version X (default: the latest)
  --base URL      download from this place (repeatable, tried in order; default: the project's release page,
                  then its mirrors in mainland China)
  --pubkey KEY    check the signature against this minisign public key (a team's own builds)
  --prefix DIR    install under DIR (default: /usr/local as root, else ~/.local)
  --dry-run       print what would be done; download no package, write nothing
  --uninstall     remove an installed mirrorctl
  -h, --help      print this help

Environment: MIRRORCTL_DOWNLOAD_BASE (download places, space-separated), MIRRORCTL_VERSION, MIRRORCTL_PREFIX
EOF
  fi
}

# ---- arguments
version=${MIRRORCTL_VERSION:-}
bases=${MIRRORCTL_DOWNLOAD_BASE:-}
prefix=${MIRRORCTL_PREFIX:-}
given_bases=""
dry_run=0
uninstall=0
while [ $# -gt 0 ]; do
  case $1 in
    --version) [ $# -ge 2 ] || die "--version needs a value" "--version 需要一个值"; version=$2; shift 2 ;;
    --version=*) version=${1#*=}; shift ;;
    --base) [ $# -ge 2 ] || die "--base needs a URL" "--base 需要一个地址"; given_bases="$given_bases $2"; shift 2 ;;
    --base=*) given_bases="$given_bases ${1#*=}"; shift ;;
    --pubkey) [ $# -ge 2 ] || die "--pubkey needs a key" "--pubkey 需要一个公钥"; PUBKEY=$2; shift 2 ;;
    --pubkey=*) PUBKEY=${1#*=}; shift ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory" "--prefix 需要一个目录"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --dry-run) dry_run=1; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1" "未知选项：$1" "sh install.sh --help lists the options" "sh install.sh --help 列出所有选项" ;;
  esac
done
[ -n "$given_bases" ] && bases=$given_bases
[ -n "$bases" ] || bases=$DEFAULT_BASES
version=${version#v}
case $version in
  '' ) ;;
  *[!0-9A-Za-z.+-]* | .* ) die "not a version: $version" "不是版本号：$version" "e.g. --version 0.2.0" "例如 --version 0.2.0" ;;
esac
case $PUBKEY in
  RW*) ;;
  *) die "not a minisign public key: $PUBKEY" "不是 minisign 公钥：$PUBKEY" "the key is the second line of a minisign .pub file (RW…)" "公钥是 minisign .pub 文件的第二行（RW…）" ;;
esac

# ---- where things go
if [ -z "$prefix" ]; then
  if [ "$(id -u)" = 0 ]; then prefix=/usr/local; else prefix=${HOME:?}/.local; fi
fi
case $prefix in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
bindir=$prefix/bin
mandir=$prefix/share/man/man1
docdir=$prefix/share/doc/mirrorctl
bashdir=$prefix/share/bash-completion/completions
zshdir=$prefix/share/zsh/site-functions
fishdir=$prefix/share/fish/vendor_completions.d
# What this script installed, one path a line: what --uninstall removes, and nothing else.
record=$docdir/installed-files

# run CMD...: do it, or in a dry run say it.
run() {
  if [ "$dry_run" = 1 ]; then printf '  %s\n' "$*" >&2; else "$@"; fi
}

# ---- uninstall
if [ "$uninstall" = 1 ]; then
  if [ ! -f "$record" ]; then
    [ -e "$bindir/mirrorctl" ] || { say "mirrorctl is not installed under $prefix: nothing to do" "$prefix 下没有安装 mirrorctl：无需操作"; exit 0; }
    die "$bindir/mirrorctl was not installed by this script (no $record)" "$bindir/mirrorctl 不是本脚本安装的（没有 $record）" \
      "remove it with the tool that installed it (dpkg -r mirrorctl, rpm -e mirrorctl, pip uninstall mirrorctl)" \
      "请用安装它的工具卸载（dpkg -r mirrorctl、rpm -e mirrorctl、pip uninstall mirrorctl）"
  fi
  [ "$dry_run" = 1 ] && say "would remove:" "将删除："
  while IFS= read -r f; do
    case $f in "$prefix"/*) ;; *) continue ;; esac
    if [ -e "$f" ] || [ -L "$f" ]; then run rm -f "$f" || die "cannot remove $f" "无法删除 $f" "run as the user who installed it (root: sudo)" "请用安装时的用户运行（root：sudo）"; fi
  done <"$record"
  run rm -f "$record"
  [ "$dry_run" = 1 ] || rmdir "$docdir" 2>/dev/null
  [ "$dry_run" = 1 ] || say "mirrorctl removed from $prefix" "已从 $prefix 卸载 mirrorctl"
  exit 0
fi

# ---- this machine
case $(uname -s) in
  Linux) ;;
  *) die "mirrorctl's releases are for Linux; this is $(uname -s)" "mirrorctl 的发布包只支持 Linux；这台机器是 $(uname -s)" \
       "on macOS or Windows, configure Docker Desktop's mirrors in its settings" "macOS 或 Windows 上请在 Docker Desktop 的设置里配置镜像加速器" ;;
esac
case $(uname -m) in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64 | armv8*) arch=aarch64 ;;
  *) die "no release for this processor: $(uname -m)" "没有适用于此处理器的发布包：$(uname -m)" \
       "build from source: cargo install --locked mirrorctl" "请从源码构建：cargo install --locked mirrorctl" ;;
esac

if command -v curl >/dev/null 2>&1; then
  # fetch URL FILE: nothing but the file, bounded in time and size; any failure (404, reset, truncation) fails.
  fetch() { curl -fsSL --connect-timeout 10 --max-time 600 --max-filesize 268435456 -o "$2" "$1" 2>/dev/null; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -T 30 -t 1 -O "$2" "$1" 2>/dev/null; }
else
  die "neither curl nor wget is installed" "没有安装 curl 或 wget" "install one (yum install curl, apt-get install curl)" "请先安装其中一个（yum install curl、apt-get install curl）"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  die "neither sha256sum nor shasum is installed" "没有安装 sha256sum 或 shasum" "install coreutils" "请安装 coreutils"
fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t mirrorctl) || die "cannot make a temporary directory" "无法创建临时目录"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# ---- find a place that answers, and the version
base=""
for b in $bases; do
  b=${b%/}
  if [ -z "$version" ]; then
    fetch "$b/latest/download/VERSION" "$tmp/VERSION" || { say "no answer from $b, trying the next place" "$b 没有响应，尝试下一个地址"; continue; }
    v=$(head -c 64 "$tmp/VERSION" | tr -d ' \r\n')
    case $v in
      '' | *[!0-9A-Za-z.+-]* | .*) say "$b does not name a version, trying the next place" "$b 没有给出有效的版本号，尝试下一个地址"; continue ;;
    esac
    version=${v#v}
  fi
  base=$b
  break
done
# shellcheck disable=SC2086,SC2116 # the list on one line, split as the loop above splits it
places=$(echo $bases)
[ -n "$base" ] || die "no download place answered: $places" "所有下载地址都没有响应：$places" \
  "name one that this machine reaches: sh install.sh --base URL (or MIRRORCTL_DOWNLOAD_BASE)" \
  "请指定这台机器能访问的地址：sh install.sh --base URL（或设置 MIRRORCTL_DOWNLOAD_BASE）"

tarball=mirrorctl-$version-$arch-linux.tar.gz
url=$base/download/v$version

installed=""
[ -x "$bindir/mirrorctl" ] && installed=$("$bindir/mirrorctl" --version 2>/dev/null | head -n 1)

if [ "$dry_run" = 1 ]; then
  say "dry run: nothing is downloaded or written" "试运行：不下载安装包，不写入任何文件"
  say "would download $url/$tarball, SHA256SUMS and SHA256SUMS.minisig" "将下载 $url/$tarball、SHA256SUMS 和 SHA256SUMS.minisig"
  say "would check the SHA-256 and the signature (key $PUBKEY)" "将校验 SHA-256 和签名（公钥 $PUBKEY）"
  say "would install mirrorctl $version:" "将安装 mirrorctl $version："
  for f in "$bindir/mirrorctl" "$mandir/mirrorctl*.1" "$bashdir/mirrorctl" "$zshdir/_mirrorctl" "$fishdir/mirrorctl.fish" "$docdir/"; do
    printf '  %s\n' "$f" >&2
  done
  [ -n "$installed" ] && say "now installed: $installed" "当前已安装：$installed"
  exit 0
fi

# ---- download and check, from the one place that answered (a mismatch is refused, not retried elsewhere)
say "downloading mirrorctl $version ($arch) from $base" "正在从 $base 下载 mirrorctl $version（$arch）"
fetch "$url/SHA256SUMS" "$tmp/SHA256SUMS" || die "cannot download $url/SHA256SUMS" "无法下载 $url/SHA256SUMS" \
  "check that version $version exists there, or choose another place with --base" "请确认该地址有 $version 版本，或用 --base 换一个地址"
fetch "$url/$tarball" "$tmp/$tarball" || die "cannot download $url/$tarball (or it was cut short)" "无法下载 $url/$tarball（或下载不完整）" \
  "try again, or choose another place with --base" "请重试，或用 --base 换一个地址"

want=$(awk -v f="$tarball" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/SHA256SUMS")
case $want in
  [0-9a-f]*) [ ${#want} -eq 64 ] || want="" ;;
  *) want="" ;;
esac
[ -n "$want" ] || die "SHA256SUMS has no checksum for $tarball: nothing installed" "SHA256SUMS 中没有 $tarball 的校验和：未安装任何文件"
got=$(sha256 "$tmp/$tarball")
[ "$got" = "$want" ] || die "checksum mismatch for $tarball (a damaged, cut-short or altered download): nothing installed" \
  "$tarball 的校验和不符（下载损坏、不完整或被篡改）：未安装任何文件" \
  "try again later or from another place (--base URL); report it if it persists" "请稍后重试或换一个地址（--base URL）；如果一直如此，请报告问题"

if command -v minisign >/dev/null 2>&1; then
  fetch "$url/SHA256SUMS.minisig" "$tmp/SHA256SUMS.minisig" || die "the release has no signature (SHA256SUMS.minisig): nothing installed" \
    "发布包没有签名（SHA256SUMS.minisig）：未安装任何文件" "a release of ours is always signed; use another place (--base URL)" "我们的发布包都有签名；请换一个地址（--base URL）"
  minisign -V -q -P "$PUBKEY" -m "$tmp/SHA256SUMS" -x "$tmp/SHA256SUMS.minisig" >/dev/null 2>&1 || die \
    "the signature of SHA256SUMS does not verify with key $PUBKEY: nothing installed" "SHA256SUMS 的签名无法用公钥 $PUBKEY 验证：未安装任何文件" \
    "a team's own build: pass its key with --pubkey KEY" "如果是团队自己构建的版本，请用 --pubkey KEY 指定它的公钥"
  say "checksum and minisign signature verified" "已校验 SHA-256 校验和与 minisign 签名"
else
  say "minisign is not installed: only the SHA-256 checksum was checked, not the signature" "未安装 minisign：只校验了 SHA-256 校验和，没有校验签名"
fi

# ---- unpack and try it here before anything is replaced
if ! { mkdir "$tmp/x" && tar -xzf "$tmp/$tarball" -C "$tmp/x" 2>/dev/null; }; then
  die "cannot unpack $tarball: nothing installed" "无法解压 $tarball：未安装任何文件"
fi
src=$tmp/x/mirrorctl-$version-$arch-linux
[ -f "$src/mirrorctl" ] || die "$tarball holds no mirrorctl binary: nothing installed" "$tarball 中没有 mirrorctl 可执行文件：未安装任何文件"
chmod 755 "$src/mirrorctl"
"$src/mirrorctl" --version >/dev/null 2>&1 || die "the downloaded mirrorctl does not run on this machine: nothing installed" \
  "下载的 mirrorctl 无法在这台机器上运行：未安装任何文件" "report your distribution and \`ldd --version\`" "请报告发行版和 \`ldd --version\` 的输出"

if [ -f "$record" ] && [ -x "$bindir/mirrorctl" ] && [ "$(sha256 "$bindir/mirrorctl")" = "$(sha256 "$src/mirrorctl")" ]; then
  say "mirrorctl $version is already installed in $bindir: nothing changed" "mirrorctl $version 已安装在 $bindir：没有改动"
  exit 0
fi

# ---- install: each file through a temporary name beside it, then renamed, so a reader sees old or new
mkdir -p "$bindir" "$mandir" "$docdir" "$bashdir" "$zshdir" "$fishdir" 2>/dev/null || die \
  "cannot create the directories under $prefix" "无法在 $prefix 下创建目录" \
  "run as root (sudo sh install.sh) or choose another --prefix" "请用 root 运行（sudo sh install.sh）或换一个 --prefix"
# put FROM TO MODE
put() {
  if ! { cp "$1" "$2.mirrorctl-new" && chmod "$3" "$2.mirrorctl-new" && mv -f "$2.mirrorctl-new" "$2"; }; then
    rm -f "$2.mirrorctl-new"
    die "cannot write $2" "无法写入 $2" "run as root (sudo sh install.sh) or choose another --prefix" "请用 root 运行（sudo sh install.sh）或换一个 --prefix"
  fi
  printf '%s\n' "$2" >>"$tmp/record"
}
: >"$tmp/record"
put "$src/mirrorctl" "$bindir/mirrorctl" 755
for page in "$src"/man/*.1; do
  [ -f "$page" ] && put "$page" "$mandir/${page##*/}" 644
done
[ -f "$src/completions/mirrorctl.bash" ] && put "$src/completions/mirrorctl.bash" "$bashdir/mirrorctl" 644
[ -f "$src/completions/_mirrorctl" ] && put "$src/completions/_mirrorctl" "$zshdir/_mirrorctl" 644
[ -f "$src/completions/mirrorctl.fish" ] && put "$src/completions/mirrorctl.fish" "$fishdir/mirrorctl.fish" 644
for doc in LICENSE README.md README.zh-CN.md; do
  [ -f "$src/$doc" ] && put "$src/$doc" "$docdir/$doc" 644
done
# Pages an older release had and this one has not stay listed, so --uninstall still removes them.
[ -f "$record" ] && cat "$record" >>"$tmp/record"
sort -u "$tmp/record" >"$tmp/record.sorted"
put "$tmp/record.sorted" "$record" 644

if [ -n "$installed" ]; then
  say "upgraded $installed → mirrorctl $version in $bindir" "已将 $installed 升级为 mirrorctl $version（$bindir）"
else
  say "installed mirrorctl $version in $bindir" "已安装 mirrorctl $version 到 $bindir"
fi
case ":${PATH:-}:" in
  *":$bindir:"*) ;;
  *) say "$bindir is not on your PATH: add it, e.g. export PATH=\"$bindir:\$PATH\"" "$bindir 不在 PATH 中，请添加，例如：export PATH=\"$bindir:\$PATH\"" ;;
esac
other=$(command -v mirrorctl 2>/dev/null || true)
if [ -n "$other" ] && [ "$other" != "$bindir/mirrorctl" ]; then
  say "note: \`mirrorctl\` on your PATH is $other, found before this one" "注意：PATH 中先找到的 \`mirrorctl\` 是 $other，不是这一个"
fi
say "next: mirrorctl probe" "下一步：mirrorctl probe"
