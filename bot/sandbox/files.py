"""File store: uploaded photos and documents, addressed by file_id and file_path."""

import hashlib
import mimetypes
import struct

from bot.sandbox.records import StoredFile


def image_size(data: bytes) -> tuple[int, int]:
    """Read the width and height of a PNG, GIF or JPEG; (0, 0) when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            i += 2 + length
    return 0, 0


def sniff_mime(data: bytes) -> str | None:
    """Guess an image's MIME type from its first bytes."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:2] == b"\xff\xd8":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class FileStore:
    """Keep file bytes (or a remote URL) under Bot API style ids and paths."""

    def __init__(self) -> None:
        self.files: dict[str, StoredFile] = {}
        self.paths: dict[str, StoredFile] = {}
        self._counter = 0

    def add(
        self,
        *,
        folder: str,
        data: bytes | None = None,
        url: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Store bytes or a URL and return the new file record."""
        self._counter += 1
        digest = hashlib.sha256(data if data is not None else (url or "").encode()).hexdigest()
        if mime_type in (None, "application/octet-stream") and data is not None:
            mime_type = sniff_mime(data) or mime_type
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        extension = mimetypes.guess_extension(mime_type or "") or ".bin"
        if folder == "photos" and extension == ".bin":
            extension = ".jpg"
        width, height = image_size(data) if data is not None else (0, 0)
        if folder == "photos" and not width:
            width, height = 512, 512
        stored = StoredFile(
            file_id=f"SBX{folder[0].upper()}{self._counter:06d}{digest[:16]}",
            file_unique_id=f"U{digest[:15]}",
            file_path=f"{folder}/file_{self._counter}{extension}",
            data=data,
            url=url,
            mime_type=mime_type,
            file_name=file_name,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        self.paths[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """Find a file by file_id."""
        return self.files.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """Find a file by the file_path getFile returned."""
        return self.paths.get(file_path)
