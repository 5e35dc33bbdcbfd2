# Helpers shared by the load benchmarks (sourced from the repository root).

# need COMMAND PACKAGE: installs a Debian package when its command is missing.
need() { command -v "$1" >/dev/null || { echo "installing $2"; apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }

# build_release: the release binary; sets BIN (honours CARGO_TARGET_DIR).
build_release() {
  cargo build --release --locked -p rampart >/dev/null
  BIN="${CARGO_TARGET_DIR:-target}/release/rampart"
}

# port: a free TCP port on loopback.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_port PORT: waits up to 15 s for something to listen on PORT.
wait_port() { for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
