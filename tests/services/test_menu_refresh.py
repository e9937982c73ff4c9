"""A menu changed through one instance reaches the parser index of every instance."""

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_deps
from bot.config import local_settings
from bot.services import menu_pack
from models import db
from models.region import Merchant
from tests.conftest import BACKENDS, scratch_database
from tests.factories import small_pack


@pytest.mark.parametrize("backend", BACKENDS)
async def test_other_instances_rebuild_their_index(backend: str, tmp_path: Path) -> None:
    async with scratch_database(backend, tmp_path) as url:
        engine = db.create_engine(url)
        try:
            await db.upgrade(engine)
            settings = local_settings(tmp_path / "unused.sqlite3")
            first, second = build_deps(settings, engine), build_deps(settings, engine)
            async with first.sessions.begin() as session:
                await menu_pack.import_pack(session, small_pack())
            for deps in (first, second):
                await deps.load_menu_index()
            assert not await second.refresh_menu_index()  # nothing changed yet

            async with first.sessions.begin() as session:  # the owner's upload, on `first`
                shop = await session.scalar(
                    select(Merchant).where(Merchant.code == "hanbit-chicken")
                )
                assert shop is not None
                menu = [*small_pack()["merchants"][0]["menu"]]
                menu.append(
                    {"code": "gizzard", "name": "똥집튀김", "name_en": "Gizzards", "price": 9000}
                )
                report = await menu_pack.import_menu(session, shop.id, menu)
            assert report.changed
            assert second.menu_index is not None
            assert "똥집튀김" not in second.menu_index.names
            assert await second.refresh_menu_index()
            assert "똥집튀김" in second.menu_index.names
            assert not await second.refresh_menu_index()  # once is enough
        finally:
            await engine.dispose()
