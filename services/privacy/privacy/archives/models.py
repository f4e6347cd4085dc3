"""Export parts (sealed answers), export archives on disk, and their downloads."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UtcDateTime, new_id
from kit.privacy.declarations import not_personal
from privacy.base import ID, WHEN, Base


class ExportPart(Base):
    """A service's export, still sealed for us, until the archive is built."""

    __tablename__ = "export_parts"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True, info=ID
    )
    service: Mapped[str] = mapped_column(String(40), primary_key=True, info=not_personal("a name"))
    sealed: Mapped[str] = mapped_column(
        Text, info=not_personal("ciphertext only the privacy service opens; deleted once used")
    )
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)


class Archive(Base):
    """An export archive on disk (encrypted), downloadable by the person until ``expires_at``."""

    __tablename__ = "archives"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True, info=ID
    )
    file_name: Mapped[str] = mapped_column(String(100), info=not_personal("a random file name"))
    size: Mapped[int] = mapped_column(Integer, info=not_personal("a size"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, info=WHEN)
    downloads: Mapped[int] = mapped_column(Integer, default=0, info=not_personal("a count"))


class Download(Base):
    """Each download of an archive (who is implied: only the requester can download)."""

    __tablename__ = "downloads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, info=ID)
    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True, info=ID
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, info=WHEN)
