#!/usr/bin/env bash
# Install the pinned python "oracle" tools the Rust test-suite calls
# (cfn-lint, checkov, python-hcl2, moto_server) and, when cheap, shellcheck.
#
#   scripts/install-tools.sh            # installs into ${XDG_CACHE_HOME:-$HOME/.cache}/iac-rs
#   IAC_CACHE_DIR=/some/dir scripts/install-tools.sh
#
# Layout under $IAC_CACHE_DIR:
#   venv-tools    -> venv-tools-<hash>    cfn-lint, python-hcl2, moto[server]  (requirements-tools.txt)
#   venv-checkov  -> venv-checkov-<hash>  checkov                              (requirements-checkov.txt)
#   venv-kube     -> venv-kube-<hash>     kubernetes-validate                  (requirements-kube.txt)
#   tools.env     KEY=absolute_path lines: IAC_CFN_LINT, IAC_CHECKOV, IAC_PYTHON,
#                 IAC_MOTO_SERVER, IAC_KUBERNETES_VALIDATE and, when available, IAC_SHELLCHECK, IAC_NGINX,
#                 IAC_CLOUD_INIT, IAC_SYSTEMD_ANALYZE, IAC_DOT (Graphviz) and IAC_TERRAFORM; the boot
#                 test's IAC_BOOT_ROOT, IAC_NSPAWN and IAC_APT_FTPARCHIVE
#
# The host-setup oracles come from the distribution (Debian 12), pinned to an upstream
# version (the Debian revision may move with security updates): nginx-light (`nginx -t` on
# rendered sites) and cloud-init (`cloud-init schema` on rendered user data); so does Graphviz
# (`dot`, which turns `synth --target graph` into SVG and checks its DOT).
#
# terraform (`terraform fmt -check` on the rendered Terraform) is in no package registry this
# script uses (not Debian, PyPI or npm): it is used where it is installed, on PATH or named by
# $IAC_TERRAFORM, when its version is a 1.x from 1.5 on (the rendered `required_version`).
# Elsewhere its test is skipped with a message (a failure when CI=true). cloud-init is
# disabled on this machine right after it is installed (/etc/cloud/cloud-init.disabled): only
# its schema check is used. systemd-analyze comes with systemd.
#
# Two venvs because checkov depends on bc-python-hcl2, which installs the same
# top-level `hcl2` package as python-hcl2.
#
# Each venv is built in its own directory named after the hash of its stamp
# (requirements sha256 + pip pin + interpreter). The stamp file is written only
# after the install and a smoke test succeed, and only then is the `venv-NAME`
# symlink switched over (atomic rename). A failed build is deleted, so the next
# run retries; the previous good venv stays in use. A second run with unchanged
# inputs only checks the stamps and is near-instant.
#
# Environment:
#   IAC_CACHE_DIR          cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/iac-rs)
#   IAC_BOOTSTRAP_PYTHON   interpreter used to create the venvs (default python3; CPython >= 3.11.5, < 3.15)
#   IAC_SKIP_SHELLCHECK=1  do not try to install shellcheck with apt-get
#   IAC_SKIP_APT_TOOLS=1   do not try to install nginx-light, cloud-init and the boot test's tools with apt-get
#   IAC_SKIP_BOOT_ROOT=1   do not build the boot test's Linux root
set -euo pipefail

PIP_PIN="pip==26.3"
LAYOUT_VERSION=1

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
PY="${IAC_BOOTSTRAP_PYTHON:-python3}"

IAC_CACHE_DIR="${IAC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/iac-rs}"
mkdir -p "$IAC_CACHE_DIR"
IAC_CACHE_DIR="$(cd "$IAC_CACHE_DIR" && pwd -P)"

log() { printf 'install-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# A directory being built right now; removed if the script exits before it is complete.
BUILDING=""
cleanup() {
    if [ -n "$BUILDING" ] && [ -e "$BUILDING" ]; then
        log "removing incomplete venv $BUILDING"
        rm -rf -- "$BUILDING"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One installer at a time per cache dir (tests may call it concurrently).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$IAC_CACHE_DIR/.install.lock"
    flock 9
fi

command -v "$PY" >/dev/null 2>&1 || die "$PY not found (set IAC_BOOTSTRAP_PYTHON)"
"$PY" - <<'EOF' || die "$PY is not CPython >= 3.11.5, < 3.15 (the pins in scripts/requirements-*.txt need it; set IAC_BOOTSTRAP_PYTHON)"
import sys
ok = sys.implementation.name == "cpython" and (3, 11, 5) <= sys.version_info[:3] and sys.version_info[:2] < (3, 15)
sys.exit(0 if ok else 1)
EOF
"$PY" -c 'import venv, ensurepip' 2>/dev/null || die "$PY lacks the venv/ensurepip modules (Debian: apt-get install python3-venv)"
PY_ID="$("$PY" -c 'import os, platform, sys; print(platform.python_implementation(), platform.python_version(), platform.machine(), os.path.realpath(sys.executable))')"

# stamp_for NAME REQFILE: the exact content the stamp of that venv must have.
stamp_for() {
    local req="$2" sum
    sum="$(sha256sum "$req" | cut -d' ' -f1)"
    printf '%s sha256=%s\npip=%s\npython=%s\nlayout=%s\n' \
        "$(basename "$req")" "$sum" "$PIP_PIN" "$PY_ID" "$LAYOUT_VERSION"
}

# smoke_test NAME DIR: fail unless the venv's tools actually run.
smoke_test() {
    local dir="$2"
    case "$1" in
        tools)
            "$dir/bin/cfn-lint" --version >/dev/null
            "$dir/bin/python" -c 'import hcl2, moto, cfnlint' >/dev/null
            "$dir/bin/moto_server" --help >/dev/null
            ;;
        checkov)
            "$dir/bin/checkov" --version >/dev/null
            ;;
        kube)
            "$dir/bin/kubernetes-validate" --version >/dev/null
            ;;
    esac
}

# ensure_venv NAME REQFILE: make $IAC_CACHE_DIR/venv-NAME a complete venv for REQFILE.
ensure_venv() {
    local name="$1" req="$2" stamp hash dir link tmp_link old
    [ -f "$req" ] || die "missing $req"
    stamp="$(stamp_for "$name" "$req")"
    hash="$(printf '%s' "$stamp" | sha256sum | cut -c1-16)"
    dir="$IAC_CACHE_DIR/venv-$name-$hash"
    link="$IAC_CACHE_DIR/venv-$name"

    if [ -f "$dir/.iac-stamp" ] && [ "$(cat "$dir/.iac-stamp")" = "$stamp" ] \
        && "$dir/bin/python" -c '' >/dev/null 2>&1; then
        log "venv-$name up to date ($(basename "$dir"))"
    else
        [ -e "$dir" ] && { log "discarding incomplete or stale $dir"; rm -rf -- "$dir"; }
        log "building venv-$name from $(basename "$req") ..."
        BUILDING="$dir"
        "$PY" -m venv "$dir"
        "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$PIP_PIN"
        "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
            --no-deps --only-binary=:all: --no-warn-script-location -r "$req"
        "$dir/bin/python" -m pip check >/dev/null || {
            "$dir/bin/python" -m pip check >&2 || true
            die "pip check failed for venv-$name: $(basename "$req") is not a complete, consistent lock"
        }
        smoke_test "$name" "$dir"
        printf '%s' "$stamp" >"$dir/.iac-stamp.tmp"
        mv -f "$dir/.iac-stamp.tmp" "$dir/.iac-stamp"
        BUILDING=""
        log "venv-$name built"
    fi

    # Point venv-NAME at the good build (rename of a fresh symlink is atomic).
    if [ "$(readlink "$link" 2>/dev/null || true)" != "$(basename "$dir")" ]; then
        if [ -e "$link" ] && [ ! -L "$link" ]; then rm -rf -- "$link"; fi
        tmp_link="$IAC_CACHE_DIR/.venv-$name.link.$$"
        ln -sfn "$(basename "$dir")" "$tmp_link"
        mv -fT "$tmp_link" "$link"
    fi
    # Drop builds that are no longer referenced.
    for old in "$IAC_CACHE_DIR/venv-$name-"*; do
        [ -d "$old" ] && [ ! -L "$old" ] && [ "$old" != "$dir" ] && rm -rf -- "$old"
    done
    return 0
}

# Prints the path of shellcheck if present (installing it with apt-get when
# cheap: root, apt-get available); prints nothing and returns 0 otherwise.
ensure_shellcheck() {
    local p
    if p="$(command -v shellcheck 2>/dev/null)"; then printf '%s\n' "$p"; return 0; fi
    if [ "${IAC_SKIP_SHELLCHECK:-0}" = 1 ]; then log "shellcheck: not on PATH, IAC_SKIP_SHELLCHECK=1, skipping"; return 0; fi
    if [ "$(id -u)" != 0 ]; then log "shellcheck: not on PATH and not root, skipping (install it with your package manager)"; return 0; fi
    if ! command -v apt-get >/dev/null 2>&1; then log "shellcheck: not on PATH and apt-get unavailable, skipping"; return 0; fi
    log "shellcheck: installing with apt-get ..."
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null 2>&1; then
            log "shellcheck: apt-get install failed, skipping"
            return 0
        fi
    fi
    if p="$(command -v shellcheck 2>/dev/null)"; then printf '%s\n' "$p"; fi
    return 0
}

# Debian packages of the host-setup oracles: name=upstream version (any Debian revision).
APT_PINS=("nginx-light=1.22.1-*" "cloud-init=22.4.2-*" "graphviz=2.42.2-*")

# apt_pin_installed PIN: true when the package is installed at the pinned upstream version.
apt_pin_installed() {
    local name="${1%%=*}" want="${1#*=}" have
    have="$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)"
    case "$have" in
        "install ok installed "*) have="${have##* }" ;;
        *) return 1 ;;
    esac
    # shellcheck disable=SC2053 # $want is a glob on purpose
    [[ "$have" == $want ]]
}

# Installs the pinned Debian packages when they are missing (root and apt-get only); prints
# nothing, the tools are looked up afterwards.
ensure_apt_tools() {
    local missing=() pin
    for pin in "${APT_PINS[@]}"; do
        apt_pin_installed "$pin" || missing+=("$pin")
    done
    if [ "${#missing[@]}" -eq 0 ]; then log "apt tools: ${APT_PINS[*]} installed"; return 0; fi
    if [ "${IAC_SKIP_APT_TOOLS:-0}" = 1 ]; then log "apt tools: IAC_SKIP_APT_TOOLS=1, skipping ${missing[*]}"; return 0; fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        log "apt tools: not root or no apt-get, skipping ${missing[*]} (install them with your package manager)"
        return 0
    fi
    log "apt tools: installing ${missing[*]} ..."
    # cloud-init must never act on this machine: only its schema check is used.
    mkdir -p /etc/cloud && touch /etc/cloud/cloud-init.disabled
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
            log "apt tools: apt-get install ${missing[*]} failed, skipping"
            return 0
        fi
    fi
    return 0
}

# Prints the path of terraform when it is installed at a version the rendered Terraform accepts
# (1.x, x >= 5); prints nothing otherwise (it cannot be installed from a package registry).
ensure_terraform() {
    local p version
    p="${IAC_TERRAFORM:-$(command -v terraform 2>/dev/null || true)}"
    if [ -z "$p" ] || [ ! -x "$p" ]; then
        log "terraform: not installed, skipping its fmt check (install terraform >= 1.5 to run it)"
        return 0
    fi
    version="$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$p" version -json 2>/dev/null \
        | sed -n 's/.*"terraform_version": *"\([0-9.]*\)".*/\1/p')"
    case "$version" in
        1.[5-9].* | 1.[1-9][0-9].*) printf '%s\n' "$p" ;;
        *) log "terraform: $p is version '${version:-unknown}', not 1.x from 1.5; skipping its fmt check" ;;
    esac
    return 0
}

# The boot test's Linux root (tests/tests/boot.rs): a Debian 12 root made from Debian's packages
# with mmdebstrap, booted with systemd-nspawn. It stands in for an Ubuntu cloud image (systemd,
# cloud-init, curl, git, python3, ufw...); every other package a host of the stacks installs is
# in a local mirror inside it (/srv/iac-mirror, Debian's own .debs, listed in BOOT_MIRROR), so
# that cloud-init installs them for real, offline. Pinned: the suite, the package lists and
# cloud-init's upstream version; the versions installed are listed in the root's
# /var/lib/iac-boot-root/manifest. Cached as $IAC_CACHE_DIR/boot-root-<hash> (~600 MB; about two
# minutes to build), `boot-root` points at the good build.
BOOT_SUITE="bookworm"
BOOT_BASE=(systemd systemd-sysv dbus cloud-init curl ca-certificates python3 git cron procps iproute2
    util-linux ufw iptables sudo netbase locales apt-utils kmod less)
BOOT_MIRROR=(nginx supervisor jq make python3-pip php-fpm php-cli php-redis composer redis-server
    nodejs npm influxdb collectd collectd-utils)
BOOT_PIN_CLOUD_INIT="22.4.2-*"
BOOT_LAYOUT=2

# The host tools the boot test runs: mmdebstrap (build), systemd-nspawn (boot), apt-ftparchive
# (the stand-in packages' index), unshare and nsenter (util-linux).
ensure_boot_tools() {
    local missing=()
    command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
    command -v systemd-nspawn >/dev/null 2>&1 || missing+=(systemd-container)
    command -v apt-ftparchive >/dev/null 2>&1 || missing+=(apt-utils)
    if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
    if [ "${IAC_SKIP_APT_TOOLS:-0}" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        log "boot test: ${missing[*]} missing and cannot be installed here, skipping"
        return 0
    fi
    log "boot test: installing ${missing[*]} ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
            || log "boot test: apt-get install ${missing[*]} failed, skipping"
    }
}

# Prints the path of the boot root when it is (or was just) built; nothing otherwise.
ensure_boot_root() {
    local stamp hash dir link
    if [ "${IAC_SKIP_BOOT_ROOT:-0}" = 1 ]; then log "boot root: IAC_SKIP_BOOT_ROOT=1, skipping"; return 0; fi
    if [ "$(id -u)" != 0 ] || ! command -v mmdebstrap >/dev/null 2>&1; then
        log "boot root: needs root and mmdebstrap, skipping"
        return 0
    fi
    stamp="$(printf 'suite=%s\nbase=%s\nmirror=%s\ncloud-init=%s\nlayout=%s\n' "$BOOT_SUITE" "${BOOT_BASE[*]}" \
        "${BOOT_MIRROR[*]}" "$BOOT_PIN_CLOUD_INIT" "$BOOT_LAYOUT")"
    hash="$(printf '%s' "$stamp" | sha256sum | cut -c1-16)"
    dir="$IAC_CACHE_DIR/boot-root-$hash"
    link="$IAC_CACHE_DIR/boot-root"
    if [ -f "$dir/var/lib/iac-boot-root/stamp" ] && [ "$(cat "$dir/var/lib/iac-boot-root/stamp")" = "$stamp" ]; then
        log "boot root up to date ($(basename "$dir"))"
    else
        [ -e "$dir" ] && rm -rf -- "$dir"
        log "boot root: building $(basename "$dir") with mmdebstrap ($BOOT_SUITE) ..."
        BUILDING="$dir"
        local base mirror
        base="$(IFS=,; echo "${BOOT_BASE[*]}")"
        mirror="${BOOT_MIRROR[*]}"
        # shellcheck disable=SC2016 # mmdebstrap runs each hook with the root as $1
        mmdebstrap --quiet --variant=minbase --include="$base" \
            --customize-hook='echo "en_US.UTF-8 UTF-8" > "$1/etc/locale.gen"; chroot "$1" locale-gen >/dev/null; echo "LANG=en_US.UTF-8" > "$1/etc/default/locale"' \
            --customize-hook="chroot \"\$1\" apt-get install -qq --download-only -y --no-install-recommends $mirror" \
            --customize-hook='mkdir -p "$1/srv/iac-mirror" && mv "$1"/var/cache/apt/archives/*.deb "$1/srv/iac-mirror/"' \
            --customize-hook='chroot "$1" sh -c "cd /srv/iac-mirror && apt-ftparchive packages . > Packages"' \
            --customize-hook='printf "deb [trusted=yes] file:/srv/iac-mirror ./\ndeb [trusted=yes] file:/srv/iac-fakes ./\n" > "$1/etc/apt/sources.list"; rm -f "$1"/etc/apt/sources.list.d/*' \
            --customize-hook='printf "datasource_list: [ NoCloud, None ]\n" > "$1/etc/cloud/cloud.cfg.d/90_iac_boot_test.cfg"' \
            --customize-hook='rm -f "$1/etc/machine-id" "$1/var/lib/dbus/machine-id"' \
            "$BOOT_SUITE" "$dir" "http://deb.debian.org/debian"
        mkdir -p "$dir/var/lib/iac-boot-root"
        # shellcheck disable=SC2016 # dpkg-query's format, not the shell's
        chroot "$dir" dpkg-query -W -f='${Package} ${Version}\n' > "$dir/var/lib/iac-boot-root/manifest"
        local ci
        ci="$(awk '$1 == "cloud-init" {print $2}' "$dir/var/lib/iac-boot-root/manifest")"
        # shellcheck disable=SC2053 # the pin is a glob on purpose
        [[ "$ci" == $BOOT_PIN_CLOUD_INIT ]] || die "boot root: cloud-init is $ci, the pin is $BOOT_PIN_CLOUD_INIT"
        printf '%s' "$stamp" > "$dir/var/lib/iac-boot-root/stamp"
        BUILDING=""
        log "boot root built ($(du -sh "$dir" | cut -f1))"
    fi
    if [ "$(readlink "$link" 2>/dev/null || true)" != "$(basename "$dir")" ]; then
        ln -sfn "$(basename "$dir")" "$IAC_CACHE_DIR/.boot-root.link.$$"
        mv -fT "$IAC_CACHE_DIR/.boot-root.link.$$" "$link"
    fi
    for old in "$IAC_CACHE_DIR/boot-root-"*; do
        [ -d "$old" ] && [ ! -L "$old" ] && [ "$old" != "$dir" ] && rm -rf -- "$old"
    done
    printf '%s\n' "$link"
}

ensure_venv tools "$SCRIPT_DIR/requirements-tools.txt"
ensure_venv checkov "$SCRIPT_DIR/requirements-checkov.txt"
ensure_venv kube "$SCRIPT_DIR/requirements-kube.txt"
SHELLCHECK="$(ensure_shellcheck)"
ensure_apt_tools
NGINX="$(command -v nginx 2>/dev/null || true)"
CLOUD_INIT="$(command -v cloud-init 2>/dev/null || true)"
SYSTEMD_ANALYZE="$(command -v systemd-analyze 2>/dev/null || true)"
DOT="$(command -v dot 2>/dev/null || true)"
TERRAFORM="$(ensure_terraform)"
ensure_boot_tools
BOOT_ROOT="$(ensure_boot_root)"
NSPAWN="$(command -v systemd-nspawn 2>/dev/null || true)"
APT_FTPARCHIVE="$(command -v apt-ftparchive 2>/dev/null || true)"

TOOLS="$IAC_CACHE_DIR/venv-tools/bin"
CHECKOV_BIN="$IAC_CACHE_DIR/venv-checkov/bin"
KUBE_BIN="$IAC_CACHE_DIR/venv-kube/bin"

# moto_server with the local fixes of scripts/moto_server_iac.py, run by the venv's python.
moto_tmp="$TOOLS/.moto_server_iac.$$"
{ printf '#!%s\n' "$TOOLS/python"; cat "$SCRIPT_DIR/moto_server_iac.py"; } >"$moto_tmp"
chmod 0755 "$moto_tmp"
mv -f "$moto_tmp" "$TOOLS/moto_server_iac"
"$TOOLS/moto_server_iac" --help >/dev/null || die "moto_server_iac does not start"

# tools.env, written atomically.
env_tmp="$IAC_CACHE_DIR/.tools.env.$$"
{
    printf 'IAC_CFN_LINT=%s\n' "$TOOLS/cfn-lint"
    printf 'IAC_CHECKOV=%s\n' "$CHECKOV_BIN/checkov"
    printf 'IAC_PYTHON=%s\n' "$TOOLS/python"
    printf 'IAC_MOTO_SERVER=%s\n' "$TOOLS/moto_server_iac"
    printf 'IAC_KUBERNETES_VALIDATE=%s\n' "$KUBE_BIN/kubernetes-validate"
    if [ -n "$SHELLCHECK" ]; then printf 'IAC_SHELLCHECK=%s\n' "$SHELLCHECK"; fi
    if [ -n "$NGINX" ]; then printf 'IAC_NGINX=%s\n' "$NGINX"; fi
    if [ -n "$CLOUD_INIT" ]; then printf 'IAC_CLOUD_INIT=%s\n' "$CLOUD_INIT"; fi
    if [ -n "$SYSTEMD_ANALYZE" ]; then printf 'IAC_SYSTEMD_ANALYZE=%s\n' "$SYSTEMD_ANALYZE"; fi
    if [ -n "$DOT" ]; then printf 'IAC_DOT=%s\n' "$DOT"; fi
    if [ -n "$TERRAFORM" ]; then printf 'IAC_TERRAFORM=%s\n' "$TERRAFORM"; fi
    if [ -n "$BOOT_ROOT" ] && [ -n "$NSPAWN" ] && [ -n "$APT_FTPARCHIVE" ]; then
        printf 'IAC_BOOT_ROOT=%s\n' "$BOOT_ROOT"
        printf 'IAC_NSPAWN=%s\n' "$NSPAWN"
        printf 'IAC_APT_FTPARCHIVE=%s\n' "$APT_FTPARCHIVE"
    fi
} >"$env_tmp"
mv -f "$env_tmp" "$IAC_CACHE_DIR/tools.env"

# One line per tool: name, version, absolute path. Versions come from the
# installed package metadata (fast); the executables were smoke-tested at build.
pkg_version() { # VENV_BIN PACKAGE
    "$1/python" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$2"
}
printf '%-12s %-10s %s\n' cfn-lint "$(pkg_version "$TOOLS" cfn-lint)" "$TOOLS/cfn-lint"
printf '%-12s %-10s %s\n' checkov "$(pkg_version "$CHECKOV_BIN" checkov)" "$CHECKOV_BIN/checkov"
printf '%-12s %-10s %s\n' python-hcl2 "$(pkg_version "$TOOLS" python-hcl2)" "$TOOLS/python"
printf '%-12s %-10s %s\n' moto_server "$(pkg_version "$TOOLS" moto)" "$TOOLS/moto_server_iac"
printf '%-12s %-10s %s\n' k8s-validate "$(pkg_version "$KUBE_BIN" kubernetes-validate)" "$KUBE_BIN/kubernetes-validate"
if [ -n "$SHELLCHECK" ]; then
    printf '%-12s %-10s %s\n' shellcheck "$("$SHELLCHECK" --version | awk '/^version:/ {print $2}')" "$SHELLCHECK"
fi
if [ -n "$NGINX" ]; then
    printf '%-12s %-10s %s\n' nginx "$("$NGINX" -v 2>&1 | sed 's|.*/||')" "$NGINX"
fi
if [ -n "$CLOUD_INIT" ]; then
    printf '%-12s %-10s %s\n' cloud-init "$("$CLOUD_INIT" --version 2>&1 | awk '{print $2}')" "$CLOUD_INIT"
fi
if [ -n "$SYSTEMD_ANALYZE" ]; then
    printf '%-12s %-10s %s\n' systemd "$("$SYSTEMD_ANALYZE" --version | awk 'NR==1 {print $2}')" "$SYSTEMD_ANALYZE"
fi
if [ -n "$DOT" ]; then
    printf '%-12s %-10s %s\n' graphviz "$("$DOT" -V 2>&1 | awk '{print $5}')" "$DOT"
fi
if [ -n "$TERRAFORM" ]; then
    printf '%-12s %-10s %s\n' terraform "$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$TERRAFORM" version -json 2>/dev/null \
        | sed -n 's/.*"terraform_version": *"\([0-9.]*\)".*/\1/p')" "$TERRAFORM"
fi
log "wrote $IAC_CACHE_DIR/tools.env"
