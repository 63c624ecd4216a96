#!/usr/bin/env bash
# Installs the CJK fonts Chinese output needs, so it renders in PDFs and charts, never boxes:
#   * Noto Sans/Serif CJK (OpenType/CFF) for charts (matplotlib) and general use;
#   * TrueType CJK fonts for PDFs, because ReportLab embeds TrueType outlines only:
#     AR PL UMing (Song/Ming: titles), AR PL UKai (Kai: body text, the closest free face to FangSong)
#     and WenQuanYi Zen Hei (Hei: headings), see docs/documents.md.
# Idempotent: does nothing when all of them are present.
set -euo pipefail
have() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list "$1" family 2>/dev/null | head -n 1)" ]; }
have_all() { have ":lang=zh" && have "AR PL UMing CN" && have "AR PL UKai CN" && have "WenQuanYi Zen Hei"; }
if have_all; then echo "CJK fonts: present ($(fc-list :lang=zh family | head -n 1); AR PL UMing/UKai; WenQuanYi Zen Hei)"; exit 0; fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "CJK fonts missing and no root/sudo: install fonts-noto-cjk fonts-arphic-uming fonts-arphic-ukai fonts-wqy-zenhei" >&2
  exit 1; fi
if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends fontconfig fonts-noto-cjk fonts-arphic-uming fonts-arphic-ukai \
    fonts-wqy-zenhei >/dev/null
elif command -v dnf >/dev/null 2>&1; then
  $SUDO dnf install -y -q fontconfig google-noto-sans-cjk-ttc-fonts google-noto-serif-cjk-ttc-fonts \
    cjkuni-uming-fonts cjkuni-ukai-fonts wqy-zenhei-fonts
else
  echo "CJK fonts missing: install Noto CJK, AR PL UMing/UKai and WenQuanYi Zen Hei with your package manager" >&2; exit 1
fi
fc-cache -f >/dev/null 2>&1 || true
have_all || { echo "CJK font installation did not provide every font needed" >&2; exit 1; }
echo "CJK fonts: installed ($(fc-list :lang=zh family | head -n 1); AR PL UMing/UKai; WenQuanYi Zen Hei)"
