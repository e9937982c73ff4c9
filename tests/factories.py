"""Builders of test data: small menu packs, residents."""

import copy
from datetime import datetime
from typing import Any

from models.user import User

SMALL_PACK: dict[str, Any] = {
    "region": {
        "code": "test-gu",
        "name": "테스트구",
        "name_en": "Test-gu",
        "currency": "test-won",
    },
    "merchants": [
        {
            "code": "hanbit-chicken",
            "name": "한빛치킨",
            "name_en": "Hanbit Chicken",
            "category": "chicken",
            "min_order": 15000,
            "delivery_fee": 2000,
            "hours": "11:00-24:00",
            "aliases": ["한빛"],
            "menu": [
                {
                    "code": "fried",
                    "name": "후라이드치킨",
                    "name_en": "Fried Chicken",
                    "aliases": ["후라이드", "프라이드"],
                    "price": 18000,
                    "category": "chicken",
                    "options": [
                        {
                            "code": "cut",
                            "name": "부위",
                            "name_en": "Cut",
                            "min": 0,
                            "max": 1,
                            "choices": [
                                {
                                    "code": "boneless",
                                    "name": "순살",
                                    "name_en": "Boneless",
                                    "price": 2000,
                                    "aliases": ["뼈없는", "boneless"],
                                }
                            ],
                        }
                    ],
                },
                {"code": "coke", "name": "콜라", "name_en": "Coke", "price": 2000},
            ],
        },
        {
            "code": "cheongna-banjeom",
            "name": "청라반점",
            "name_en": "Cheongna Banjeom",
            "category": "chinese",
            "min_order": 12000,
            "delivery_fee": 0,
            "hours": "16:00-02:00",
            "menu": [
                {"code": "jjajang", "name": "짜장면", "name_en": "Jajangmyeon", "price": 7000}
            ],
        },
    ],
}


def small_pack() -> dict[str, Any]:
    """A fresh copy of a two-shop pack, safe to modify."""
    return copy.deepcopy(SMALL_PACK)


def resident(
    telegram_id: int,
    *,
    at: datetime,
    locale: str = "ko",
    ads: bool = True,
    night: bool = False,
) -> User:
    """A resident row (not yet added) who answered the ads question at `at`: agreed to ads
    or not, and to night-time ads or not."""
    return User(
        telegram_id=telegram_id,
        first_name=f"Resident {telegram_id}",
        language_code=locale,
        locale=locale,
        marketing_consent=ads,
        marketing_consent_at=at,
        night_consent=ads and night,
        night_consent_at=at if ads and night else None,
    )
