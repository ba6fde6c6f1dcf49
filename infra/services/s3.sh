#!/usr/bin/env bash
# A real S3-compatible server for tests and local work: S3Proxy (org.gaul:s3proxy, jar-with-dependencies,
# from Maven Central) on its filesystem backend, so the documents' S3 store is tested against the S3 API
# itself, not a stand-in.
#   s3.sh install   install Java and Maven if missing, fetch the jar with Maven if missing, check its checksums
#   s3.sh start     install, then start (idempotent) and wait until it answers S3 requests
#   s3.sh stop | status | env
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# Below the kernel's ephemeral ports (32768-60999), as Kafka's (see kafka.sh).
PORT=${KENTRA_S3_PORT:-29000}
STATE=${KENTRA_SERVICES_DIR:-/tmp/kentra-services}/s3-$PORT
# 4.1.0 runs on Java 17 (its classes are at most Java 17's), the Java Debian's default-jre-headless gives
# and kafka.sh runs Kafka on; 2.6.0 would too, but 4.x is the maintained line (Jetty 12).
VERSION=4.1.0
ARTIFACT="org.gaul:s3proxy:$VERSION:jar:jar-with-dependencies"
JAR_NAME="s3proxy-$VERSION-jar-with-dependencies.jar"
# Pinned: the jar Maven Central serves for $ARTIFACT (its .sha1 there is checked too, by Maven and below).
JAR_SHA256=a4d025969aaf796616ed4b1e2491d87d455ce84bb28cb9db086b2e6aaa68b48d
CACHE=${KENTRA_S3PROXY_CACHE:-$ROOT/.cache/s3proxy/$VERSION}  # beside kafka.sh's .cache/kafka-libs
JAR=$CACHE/$JAR_NAME
MIN_JAVA=17
IDENTITY=kentra-test  # the test server's own credentials: published, never a real store's
CREDENTIAL=kentra-test-secret
APT_GET=${KENTRA_APT_GET:-apt-get}

NAME=s3
GIVE=KENTRA_TEST_S3_ENDPOINT_URL
# shellcheck source=java_service.sh
source "$HERE/java_service.sh"

tools() {  # Java to run the server; Maven only while the jar is still to be fetched
  local missing=() major
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  command -v mvn >/dev/null 2>&1 || [ -f "$JAR" ] || missing+=(maven)
  if [ ${#missing[@]} -gt 0 ]; then install_debian "${missing[@]}"; fi
  major=$(java_major)
  if ! [[ "$major" =~ ^[0-9]+$ ]] || [ "$major" -lt "$MIN_JAVA" ]; then
    echo "s3.sh: S3Proxy $VERSION needs Java $MIN_JAVA or newer; $(command -v java) is Java ${major:-of an unknown version}." \
      "Install Debian's default-jre-headless, or put a newer java first on PATH" >&2
    exit 1
  fi
}

checked() {  # the jar is the pinned one; and Central's SHA-1, where Maven kept it, agrees
  [ -f "$JAR" ] || return 1
  local sha256 central
  sha256=$(sha256sum "$JAR" | cut -d' ' -f1)
  if [ "$sha256" != "$JAR_SHA256" ]; then
    echo "s3.sh: $JAR has SHA-256 $sha256, not the pinned $JAR_SHA256: removed" >&2
    rm -f "$JAR"
    return 1
  fi
  central="${MAVEN_REPOSITORY:-$HOME/.m2/repository}/org/gaul/s3proxy/$VERSION/$JAR_NAME.sha1"
  if [ -f "$central" ] && [ "$(cut -c1-40 "$central")" != "$(sha1sum "$JAR" | cut -d' ' -f1)" ]; then
    echo "s3.sh: $JAR does not match Maven Central's SHA-1 ($central): removed" >&2
    rm -f "$JAR"
    return 1
  fi
}

install() {
  tools
  if checked; then return 0; fi
  echo "s3: fetching S3Proxy $VERSION from Maven Central (first run only)" >&2
  mkdir -p "$CACHE"
  # -C: Maven fails on a checksum that does not match Central's, instead of warning.
  mvn -q -B -C dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory="$CACHE" >&2
  checked || { echo "s3.sh: the fetched jar failed its checksums" >&2; exit 1; }
}

answers() {  # an S3 answer (any HTTP status: an unsigned request is refused with 403) on the port
  port_open "$PORT" || return 1
  local line
  line=$(exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && head -n 1 <&3) || return 1
  [[ "$line" == HTTP/* ]]
}

status() {
  [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null && answers
}

start() {
  if status; then echo "s3: already running on port $PORT"; return 0; fi
  install
  mkdir -p "$STATE/data"
  cat > "$STATE/s3proxy.conf" <<PROPS
s3proxy.endpoint=http://127.0.0.1:$PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$IDENTITY
s3proxy.credential=$CREDENTIAL
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$STATE/data
PROPS
  LOG_LEVEL=warn JETTY_LOG_LEVEL=warn nohup java -Xms64m -Xmx384m -jar "$JAR" --properties "$STATE/s3proxy.conf" \
    >"$STATE/stdout.log" 2>&1 &
  echo $! > "$STATE/pid"
  for _ in $(seq 1 240); do  # a generous 120 s: a loaded machine starts a JVM slowly
    if answers; then echo "s3: started on port $PORT"; return 0; fi
    if ! kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
      echo "s3: S3Proxy exited; last lines of its log:" >&2
      tail -n 20 "$STATE/stdout.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  echo "s3: not answering on port $PORT after 120 s" >&2
  exit 1
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  env)
    echo "export KENTRA_TEST_S3_ENDPOINT_URL=http://127.0.0.1:$PORT"
    echo "export KENTRA_TEST_S3_ACCESS_KEY_ID=$IDENTITY"
    echo "export KENTRA_TEST_S3_SECRET_ACCESS_KEY=$CREDENTIAL"
    ;;
  *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac
