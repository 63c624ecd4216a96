"""Fonts of official documents: the DOCX font names and the TrueType CJK faces embedded in PDFs.

DOCX files name the real official fonts (the reader's Word has them); PDFs must embed outlines, and
ReportLab embeds TrueType outlines only (Noto CJK is CFF), so PDFs use free TrueType substitutes:

======  ==========================  =====================  ===============================
role    DOCX (``w:eastAsia``)       PDF substitute         Debian package
======  ==========================  =====================  ===============================
title   方正小标宋简体              AR PL UMing CN (Song)  fonts-arphic-uming
body    仿宋_GB2312                 AR PL UKai CN (Kai)    fonts-arphic-ukai
h1      黑体                        WenQuanYi Zen Hei      fonts-wqy-zenhei
h2      楷体_GB2312                 AR PL UKai CN          fonts-arphic-ukai
page    宋体                        AR PL UMing CN         fonts-arphic-uming
======  ==========================  =====================  ===============================

Faces are found through fontconfig (``fc-match``), with the Debian paths as fallback; a missing face
is a :class:`FontMissingError` naming the package to install. Every lookup and every ReportLab
registration is cached for the life of the process (registering costs ~50 ms a face).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

# Names written into DOCX files (w:eastAsia); Latin text and digits use LATIN_FONT.
DOCX_TITLE_FONT = "方正小标宋简体"
DOCX_BODY_FONT = "仿宋_GB2312"
DOCX_HEI_FONT = "黑体"
DOCX_KAI_FONT = "楷体_GB2312"
DOCX_SONG_FONT = "宋体"
LATIN_FONT = "Times New Roman"


class FontMissingError(RuntimeError):
    """A TrueType CJK face needed for PDFs is not installed."""


@dataclass(frozen=True)
class FontFace:
    key: str  # ReportLab font name registered for this face
    family: str  # fontconfig family
    fallback_path: str
    package: str  # Debian/Ubuntu package that installs it


_TT = "/usr/share/fonts/truetype"
SONG = FontFace("FtSong", "AR PL UMing CN", f"{_TT}/arphic/uming.ttc", "fonts-arphic-uming")
KAI = FontFace("FtKai", "AR PL UKai CN", f"{_TT}/arphic/ukai.ttc", "fonts-arphic-ukai")
HEI = FontFace("FtHei", "WenQuanYi Zen Hei", f"{_TT}/wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei")
FACES: dict[str, FontFace] = {f.key: f for f in (SONG, KAI, HEI)}

# PDF role → face. There is no bold Kai face: bold runs (level-3 headings, bold paragraphs and table
# headers) use the Hei face, the usual way bold is expressed in Chinese print.
PDF_ROLES: dict[str, FontFace] = {
    "title": SONG, "body": KAI, "h1": HEI, "h2": KAI, "h3": HEI, "h4": KAI, "bold": HEI, "page": SONG,
    "table": KAI, "table_header": HEI, "caption": HEI, "subtitle": KAI,
}
# Fallback order for characters the face of a run lacks (rare characters in names).
FALLBACK_ORDER = (HEI, SONG, KAI)
# Optional faces tried after those, when installed: DejaVu Sans has many symbols and emoji the CJK faces
# lack (😀 …). A character no face has is drawn as SUBSTITUTE (never dropped silently).
DEJAVU = FontFace("FtDejaVu", "DejaVu Sans", f"{_TT}/dejavu/DejaVuSans.ttf", "fonts-dejavu-core")
OPTIONAL_FACES: dict[str, FontFace] = {DEJAVU.key: DEJAVU}
#: What a PDF shows for a character no installed face can draw (U+FFFD REPLACEMENT CHARACTER).
SUBSTITUTE = "\ufffd"

_lock = threading.Lock()


def _fc_match(family: str) -> tuple[str, int] | None:
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}", family], capture_output=True,
                             text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.strip().split("|", 2)
    if len(parts) != 3:
        return None
    path, index, families = parts
    # fc-match always answers with *something*: accept it only if it is the family asked for.
    if family.lower() not in [f.strip().lower() for f in families.split(",")]:
        return None
    if Path(path).suffix.lower() not in (".ttf", ".ttc") or not Path(path).is_file():
        return None
    try:
        return path, int(index or 0)
    except ValueError:
        return path, 0


def _index_in_collection(path: str, family: str) -> int:
    if not path.lower().endswith(".ttc"):
        return 0
    from fontTools.ttLib import TTCollection

    for i, font in enumerate(TTCollection(path, lazy=True).fonts):
        if font["name"].getDebugName(1) == family:
            return i
    return 0


@functools.cache
def face_file(key: str) -> tuple[str, int]:
    """(path, index in the collection) of a face; :class:`FontMissingError` when it is not installed."""
    face = FACES.get(key) or OPTIONAL_FACES[key]
    found = _fc_match(face.family)
    if found:
        return found
    if Path(face.fallback_path).is_file():
        return face.fallback_path, _index_in_collection(face.fallback_path, face.family)
    raise FontMissingError(
        f"TrueType CJK font {face.family!r} not found (fontconfig and {face.fallback_path}); PDFs need it to "
        f"render Chinese. Install the package {face.package} (apt-get install {face.package}) or run "
        f"scripts/install-cjk-font.sh. 缺少中文字体 {face.family}，请安装 {face.package}。"
    )


@functools.cache
def face_codepoints(key: str) -> frozenset[int]:
    """Code points the face has glyphs for (its best cmap)."""
    from fontTools.ttLib import TTCollection, TTFont

    path, index = face_file(key)
    if path.lower().endswith(".ttc"):
        font = TTCollection(path, lazy=True).fonts[index]
    else:
        font = TTFont(path, lazy=True)
    return frozenset(font.getBestCmap())


@functools.cache
def optional_faces() -> tuple[FontFace, ...]:
    """The optional fallback faces installed here (found at run time, like the others)."""
    out = []
    for face in OPTIONAL_FACES.values():
        try:
            face_file(face.key)
        except FontMissingError:
            continue
        out.append(face)
    return tuple(out)


def fallback_faces() -> tuple[FontFace, ...]:
    """Faces tried, in order, for a character the face of a run lacks."""
    return FALLBACK_ORDER + optional_faces()


def missing_glyphs(text: str, key: str) -> set[str]:
    """Characters of ``text`` (other than whitespace) the face has no glyph for."""
    cps = face_codepoints(key)
    return {ch for ch in text if not ch.isspace() and ord(ch) not in cps}


_registered = False

# Word lays body text on the document grid: 28 characters of 16 pt type in 156 mm, i.e. a pitch of
# 15.79 pt (``w:charSpace="-848"``). ReportLab has no character grid, so the faces used on the grid in
# Word (body Kai, heading Hei) get full-width advances of 987/1000 em instead of 1000/1000: the glyphs
# are still drawn at 16 pt and a line holds 28 characters, as in the DOCX.
GRID_FACES = ("FtKai", "FtHei")
GRID_ADVANCE = 1000.0 * (156.0 / 25.4 * 72.0 / 28) / 16.0  # ≈ 987.06


def _memoize_tables(face) -> None:
    """Keep the tables ReportLab slices out of the collection for every subset (glyf, loca, hmtx …):
    re-slicing megabytes per subset was a third of a PDF's rendering time. Costs the tables' size
    in memory once per process (~40 MB for the three faces)."""
    original = face.get_table
    cache: dict[str, bytes] = {}

    def get_table(tag):
        data = cache.get(tag)
        if data is None:
            data = cache[tag] = original(tag)
        return data

    face.get_table = get_table


def _fit_to_grid(font) -> None:
    widths = font.face.charWidths
    for cp, w in widths.items():
        if w >= 990.0:
            widths[cp] = GRID_ADVANCE


def _utf16_hex(code: int) -> str:
    return chr(code).encode("utf-16-be", "surrogatepass").hex().upper()


def to_unicode_cmap(fontname: str, subset) -> str:
    """ReportLab's ToUnicode CMap with every code point as UTF-16BE, as the PDF reference wants.

    ReportLab writes ``<%04X>``, so a character beyond U+FFFF (😀 U+1F600, CJK Extension B) came out
    as five hex digits and a PDF reader extracted another character (U+1F60): the text was lost for
    search, copy and screen readers though the glyph was drawn."""
    lines = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo", f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def",
        "1 begincodespacerange", f"<00> <{len(subset) - 1:02X}>", "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(f"<{i:02X}> <{_utf16_hex(v)}>" for i, v in enumerate(subset)),
        "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end",
    ]
    return "\n".join(lines)


def register_pdf_fonts() -> dict[str, str]:
    """Register the three faces (and the optional fallbacks installed) with ReportLab once per process;
    returns role → ReportLab font name."""
    global _registered
    if not _registered:
        with _lock:
            if not _registered:
                from reportlab.pdfbase import pdfmetrics, ttfonts
                from reportlab.pdfbase.ttfonts import TTFont

                ttfonts.makeToUnicodeCMap = to_unicode_cmap

                for key in (*FACES, *(f.key for f in optional_faces())):
                    path, index = face_file(key)
                    font = TTFont(key, path, subfontIndex=index)
                    if key in GRID_FACES:
                        _fit_to_grid(font)
                    _memoize_tables(font.face)
                    pdfmetrics.registerFont(font)
                _registered = True
    return {role: face.key for role, face in PDF_ROLES.items()}
