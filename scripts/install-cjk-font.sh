#!/usr/bin/env bash
# Installs a CJK font (Noto Sans/Serif CJK) so Chinese renders in PDFs and charts, never boxes.
# Idempotent: does nothing when a font covering Chinese is already installed.
set -euo pipefail
have_font() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null | head -n 1)" ]; }
if have_font; then echo "CJK font: present ($(fc-list :lang=zh family | head -n 1))"; exit 0; fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "CJK font missing and no root/sudo: install fonts-noto-cjk with your package manager" >&2; exit 1; fi
if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends fontconfig fonts-noto-cjk >/dev/null
elif command -v dnf >/dev/null 2>&1; then
  $SUDO dnf install -y -q fontconfig google-noto-sans-cjk-ttc-fonts google-noto-serif-cjk-ttc-fonts
else
  echo "CJK font missing: install Noto CJK fonts with your package manager" >&2; exit 1
fi
fc-cache -f >/dev/null 2>&1 || true
have_font || { echo "CJK font installation did not provide a Chinese font" >&2; exit 1; }
echo "CJK font: installed ($(fc-list :lang=zh family | head -n 1))"
