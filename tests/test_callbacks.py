"""callback_data codec: compact, at most 64 bytes, refused when forged or for another chat."""

import pytest

from handlers import callbacks as cb
from handlers.callbacks import InvalidCallback, Signer

SIGNER = Signer(b"test-secret")


@pytest.mark.parametrize(
    "action",
    [
        cb.SetLanguage("ko"),
        cb.Home(),
        cb.Category("chicken", 3),
        cb.ShopMenu(12, 1),
        cb.ItemDetail(2147483647, 99),
    ],
    ids=["lang", "home", "category", "shop", "item-big-id"],
)
def test_round_trip_fits_64_bytes(action: cb.Callback) -> None:
    data = action.pack(SIGNER, chat_id=700001)
    assert len(data.encode()) <= 64
    assert type(action).unpack(data, SIGNER, 700001) == action


@pytest.mark.parametrize(
    "data",
    [
        "ct:chicken:0:AAAAAAAA",
        "ct:chicken:0",
        "",
        "ct",
        "x" * 64,
        "ct:chicken:zero:{tag}",
        "sh:1:0:{tag}",
    ],
    ids=["bad-tag", "no-tag", "empty", "prefix-only", "junk", "bad-int", "wrong-action"],
)
def test_forged_data_is_refused(data: str) -> None:
    body = data.rsplit(":", 1)[0]
    data = data.replace("{tag}", SIGNER.tag(700001, body))
    with pytest.raises(InvalidCallback):
        cb.Category.unpack(data, SIGNER, 700001)


def test_button_of_another_chat_is_refused() -> None:
    data = cb.ShopMenu(5).pack(SIGNER, chat_id=700001)
    with pytest.raises(InvalidCallback):
        cb.ShopMenu.unpack(data, SIGNER, 700002)


def test_too_long_data_is_refused_when_packing() -> None:
    with pytest.raises(ValueError, match="over 64 bytes"):
        cb.Category("치킨" * 10).pack(SIGNER, chat_id=1)
