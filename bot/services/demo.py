"""Demo data: import the demo region and create its personas (residents, owners, staff)."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import menu_pack
from models.base import Role, utcnow
from models.region import Merchant, MerchantMember
from models.user import Address, User


@dataclass(frozen=True)
class Persona:
    key: str
    telegram_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str
    role: Role
    merchant: str | None
    title: str | None = None


def load_personas(path: Path) -> tuple[list[Persona], list[dict[str, Any]]]:
    """Read personas.json: the personas, and the raw entries (addresses, phones)."""
    raw = json.loads(path.read_text(encoding="utf-8"))["personas"]
    personas = [
        Persona(
            key=entry["key"],
            telegram_id=entry["telegram_id"],
            first_name=entry["first_name"],
            last_name=entry.get("last_name"),
            username=entry.get("username"),
            language_code=entry.get("language_code", "ko"),
            role=Role(entry["role"]),
            merchant=entry.get("merchant"),
            title=entry.get("title"),
        )
        for entry in raw
    ]
    return personas, raw


async def seed(session: AsyncSession, pack_path: Path, personas_path: Path) -> list[Persona]:
    """Import the demo pack and upsert its personas; running it twice changes nothing."""
    await menu_pack.import_pack(session, menu_pack.load_file(pack_path))
    personas, raw = load_personas(personas_path)
    merchants = {m.code: m for m in await session.scalars(select(Merchant))}
    for persona, entry in zip(personas, raw, strict=True):
        user = await session.scalar(select(User).where(User.telegram_id == persona.telegram_id))
        if user is None:
            user = User(
                telegram_id=persona.telegram_id,
                first_name=persona.first_name,
                username=persona.username,
                language_code=persona.language_code,
                role=persona.role,
                phone=entry.get("phone"),
            )
            session.add(user)
            if address := entry.get("address"):
                user.addresses = [
                    Address(
                        label=address.get("label"),
                        text=address["text"],
                        dong=address.get("dong"),
                        last_used_at=utcnow(),
                    )
                ]
            await session.flush()
        if persona.merchant and persona.merchant in merchants:
            merchant_id = merchants[persona.merchant].id
            linked = await session.scalar(
                select(MerchantMember).where(
                    MerchantMember.merchant_id == merchant_id, MerchantMember.user_id == user.id
                )
            )
            if linked is None:
                session.add(MerchantMember(merchant_id=merchant_id, user_id=user.id))
    await session.flush()
    return personas
