#!/usr/bin/env bash
# Installs what building libtaskactors and running its tests needs on Debian 12 (as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  g++ cmake ninja-build ca-certificates \
  libcaf-dev libboost1.81-dev libspdlog-dev libfmt-dev libtomlplusplus-dev catch2 pkgconf \
  libcli11-dev nlohmann-json3-dev >/dev/null
