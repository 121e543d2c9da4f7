"""What may go to councillors as meeting materials: documents and pictures, never programs."""

from __future__ import annotations

from pathlib import PurePath

# Programs and scripts that run when opened; they are never meeting materials.
EXECUTABLE_SUFFIXES = frozenset(
    {
        ".exe",
        ".com",
        ".bat",
        ".cmd",
        ".msi",
        ".msp",
        ".scr",
        ".pif",
        ".cpl",
        ".dll",
        ".js",
        ".jse",
        ".vbs",
        ".vbe",
        ".wsf",
        ".wsh",
        ".ps1",
        ".psm1",
        ".hta",
        ".lnk",
        ".sh",
        ".bash",
        ".run",
        ".bin",
        ".elf",
        ".jar",
        ".apk",
        ".app",
        ".dmg",
        ".iso",
        ".reg",
        ".inf",
    }
)
EXECUTABLE_MEDIA_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-ms-installer",
        "application/x-msi",
        "application/vnd.microsoft.portable-executable",
        "application/x-dosexec",
        "application/x-executable",
        "application/x-sharedlib",
        "application/x-sh",
        "application/x-bat",
        "application/javascript",
        "text/javascript",
        "application/java-archive",
        "application/vnd.android.package-archive",
    }
)
EXECUTABLE_SIGNATURES = (b"MZ", b"\x7fELF", b"#!")


def is_program(filename: str, media_type: str, content: bytes) -> bool:
    """True for a program or script, judged by name, declared type and the first bytes."""
    if PurePath(filename.lower()).suffix in EXECUTABLE_SUFFIXES:
        return True
    if media_type.lower().split(";")[0].strip() in EXECUTABLE_MEDIA_TYPES:
        return True
    return content.startswith(EXECUTABLE_SIGNATURES)
