# Sourced (not run) by kafka.sh and s3.sh: what their Java services' scripts share. Before sourcing,
# the script sets NAME (its messages' prefix: kafka, s3) and GIVE (the variable that names a server of
# one's own instead), and APT_GET and STATE. Only bash's builtins, sed and head: the tests run the
# scripts on a PATH holding little more.

install_debian() {  # install_debian PACKAGE...: as root from Debian's packages (as postgres.sh); else say what
  if [ "$(id -u)" != 0 ]; then
    echo "$NAME.sh: missing $*; install Debian's $* (apt-get install $*) or give $GIVE" >&2
    exit 1
  fi
  echo "$NAME.sh: installing $* from Debian's packages" >&2
  "$APT_GET" update -qq >&2
  DEBIAN_FRONTEND=noninteractive "$APT_GET" install -y -qq --no-install-recommends "$@" >&2
}

java_major() {  # the major version `java -version` reports: "17.0.15" -> 17, "1.8.0_392" -> 8
  local version
  version=$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  case "$version" in 1.*) version=${version#1.} ;; esac
  echo "${version%%[.+_-]*}"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stop() {
  if [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
    local pid
    pid=$(cat "$STATE/pid")
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    rm -f "$STATE/pid"
    echo "$NAME: stopped"
  fi
}
