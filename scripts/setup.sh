#!/usr/bin/env bash
# Installs what building Switchboard needs on a Debian machine: libxml2's and SQLite's headers (the
# server's feedback store, through GRDB) and pkg-config.
# Swift itself is expected on the PATH. Safe to run again: installs only what is missing.
set -euo pipefail
if ! pkg-config --exists libxml-2.0 2>/dev/null || ! pkg-config --exists sqlite3 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq libxml2-dev libsqlite3-dev pkg-config >/dev/null
fi
