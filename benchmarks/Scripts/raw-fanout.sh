#!/bin/sh
# Builds and runs raw-fanout.c, the floor for writing one message to N loopback TCP sockets.
# Run from the repository root; every option goes to the program (--help lists them), e.g.
#   benchmarks/Scripts/raw-fanout.sh --connections 10000 --rate 5 --size 900 --writer-threads 2
set -eu
cc -O2 -Wall -Wextra -pthread -o /tmp/raw-fanout "$(dirname "$0")/raw-fanout.c"
exec /tmp/raw-fanout "$@"
