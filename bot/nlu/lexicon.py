"""Closed word lists: particles, markers, fillers, slang and category words (ko and en).

Lists are whitespace-separated words; a synonym group is one line of "|"-separated phrases.
"""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# particles and endings stripped from the end of a Hangul word, longest first
PARTICLES: tuple[str, ...] = tuple(
    sorted(
        _words(
            """
            ㅋ ㅎ 가 과 께 나 는 도 두 랑 로 로요 로주세요 로해서 로해주세요 를 만
            만요 씩 에 에서 와 요 으로 으로요 으로주세요 으로해서 으로해주세요 은 을 의
            이 이나 이랑 이랑요 이요 좀 주세요 줘 줘요 하고
            """
        ),
        key=len,
        reverse=True,
    )
)
# a word ending in one of these ends a clause after it ("짜장이랑 짬뽕")
JOINING_PARTICLES = ("이랑", "랑", "하고", "와", "과", "이랑요")

EXTRA = _words(
    """
    add added adding extra more plus 넉넉히 더 듬뿍 많이
    많이요 왕창 추가 추가로 추가요 추가하고 추가해서 추가해주세요
    """
)
LIGHT = _words(
    """
    easy less light lightly little 덜 살짝 약간 적게
    적게요 조금 조금만 조금만요
    """
)
EXCLUDE = _words(
    """
    hold minus nix no sans skip without 노 빼 빼고
    빼고요 빼서 빼요 빼주세요 빼줘 빼줘요 없이 없이요 제외 제외하고
    """
)
CORRECT = _words(
    """
    대신 대신에 말고 아니고 아니라 취소 취소요 취소해주세요
    """
)
CORRECT_EN = _words(
    """
    cancel instead nevermind not scratch
    """
)
EACH = _words(
    """
    apiece each 씩
    """
)
ORDER = _words(
    """
    bring get gimme give id ill like need order
    please pls plz send take want 갈게요 보내주세요
    부탁드려요 부탁합니다 부탁해요 시켜요 시킬게요 주라 주문 주문이요 주문할게요
    주문해요 주세여 주세요 줘 줘요 할게요
    """
)
QUESTION = _words(
    """
    are cost do does how is menu much open price
    recommend what when where which why 가격 가능한가요
    가능해요 돼요 되나요 되요 맛있어요 매워요 맵나요 메뉴 몇시 무엇 뭐 뭐예요
    어디 언제 얼마 얼마야 얼마에요 얼마예요 얼마인가요 얼마죠 영업 있나요 있니
    있어 있어요 추천
    """
)
# words that only carry politeness, greeting or glue; never unmatched, never a note
FILLER = _words(
    """
    a actually all also an and another are as
    asap at be both bring by can could dear
    evening for from get gimme give go good
    great have hello here hey hi hiya i id ill
    im in is it just kindly let lets like lol
    mate me more morning much my need now of ok
    okay on one or order our please pls plus plz
    quick really send sir so some sup take thank
    thanks thankyou that the them then there
    this thx to today tonight too ty uh um up us
    very wait want we well what's will with
    would yeah yes yo you ㅋ ㅋㅋ ㅎ ㅎㅎ ㅠㅠ 갈게요 감사합니다
    감사해요 같이 거 거기 거요 걸로 것 것도 고마워요 고맙습니다 그거 그냥 그럼
    그리고 넣고 넣어 넣어서 넣어주세요 네 네요 다 또 또는 로 먹고 먹을게요 메모
    모두 바꿔 바꿔서 바꿔주세요 배달 배달이요 변경 변경해주세요 보내주세요 부탁
    부탁드려요 부탁드립니다 부탁해요 빨리 사장님 수고하세요 시켜요 시켜주세요
    시킬게요 싶어요 아 아니 안녕 안녕하세요 앗 어 여기 예요 오늘 요 요청
    요청사항 우리 으로 음 이거 이에요 이요 일단 입니다 저 저거 저는 저희 전부
    제가 좀 주문 주문이요 주문할께요 주문합니다 주문해요 주세요 지금 포장 하고
    하나요 한번 할게요 합니다 해서 해주세여 해주세요 해줘 해줘요 했어요 혹시
        make it
    """
)
# delivery instructions: a clause holding one of these is not about an item
DELIVERY = _words(
    """
    bell buzz call chopsticks cutlery door
    doorbell driver floor gate knock leave lobby
    rider text utensils 경비실 기사님 노크 도착 동 라이더 문 문앞
    문자 벨 수저 숟가락 아파트 앞에 연락 일회용 전화 젓가락 초인종 층 현관 호
    """
)
# words that make a leftover phrase a request about the item (a note)
NOTE_CUES = _words(
    """
    cooked crispy crunchy cut done extra hold
    less light medium mild more no not rare
    salty sauce separate separately side sliced
    soft spicy sweet too well without 굽기 꼬들꼬들하게
    넉넉히 넣지 달게 달지 덜 따뜻하게 따로 따로요 뜨겁게 많이 말아 말아주세요
    맵게 바삭 바삭하게 바싹 반만 부드럽게 빼 빼고 빼서 빼주세요 싱겁게 썰어 안
    안맵게 않게 없이 익혀 익혀주세요 잘 잘라 잘라주세요 적게 조금 짜게 차갑게
    """
)
# trailing words trimmed off a note ("덜 맵게 해주세요" -> "덜 맵게")
NOTE_TRIM = _words(
    """
    please pls plz thank thanks you 감사하겠습니다
    감사합니다 부탁드려요 부탁드립니다 부탁해요 요 좀 주세요 해 해주세여 해주세요
    해주시면 해줘 해줘요
    """
)

# slang that stands for an item with choices: rewritten before matching
SLANG: dict[str, str] = {
    "아아": "아이스 아메리카노",
    "뜨아": "핫 아메리카노",
    "아샷추": "아이스티 샷 추가",
    "아바라": "아이스 바닐라라떼",
    "아카라": "아이스 카페라떼",
    "뜨라": "핫 카페라떼",
    "아라": "아이스 카페라떼",
    "ice americano": "아이스 아메리카노",
    "iced americano": "아이스 아메리카노",
}

# choice words that mean the same thing; a choice named by one is also named by the others
SYNONYMS: tuple[frozenset[str], ...] = tuple(
    frozenset(line.split("|"))
    for line in """
cold|ice|iced|icy|시원한|아이스|아이스로|차가운|차갑게
hot|warm|따듯한|따뜻|따뜻하게|따뜻한|뜨거운|뜨겁게|핫
big|l|large|대|대자|라지|큰|큰거|큰걸|큰걸루|큰사이즈
r|regular|기본사이즈|레귤러|보통사이즈
double portion|large portion|곱|곱배기|곱빼기
boneless|뼈없는|뼈없이|순살|순살로
bone|bone-in|with bone|뼈|뼈있게|뼈있는
spicy|매운|매운맛|매콤|매콤하게
mild|순한|순한맛
보통|보통맛|중간맛
add shot|extra shot|shot|더블샷|샷|샷추가
poured|sauce poured|부먹
dipping|sauce on the side|찍먹
egg|계란|달걀|에그
cheese|치즈
onion|onions|양파
pickle|pickles|피클
mayo|mayonnaise|마요|마요네즈
tomato|tomatoes|토마토
bacon|베이컨
thin|thin crust|씬|씬도우
s|small|소|소자|작은
medium size|중|중자
cream|whipped cream|생크림
vanilla|바닐라
choco|chocolate|초코|초콜릿
strawberry|딸기
soy|soy milk|두유
oat|oat milk|귀리우유|오트밀크
no ice|얼음 빼고|얼음 없이|얼음빼고
offal|with offal|내장|내장 섞어서
""".strip().splitlines()
)

# words for a category of items, keyed by the category codes packs use
CATEGORY_WORDS: dict[str, frozenset[str]] = {
    "coffee": _words("coffee coffees 커피"),
    "chicken": _words("chicken 닭 치킨 통닭"),
    "pizza": _words("pizza pizzas 피자"),
    "burger": _words("burger burgers hamburger 버거 햄버거"),
    "drink": _words("beverage drink drinks soda 마실거 음료 음료수"),
    "beverage": _words("beverage drink drinks soda 마실거 음료 음료수"),
    "tea": _words("tea 차"),
    "dessert": _words("dessert 디저트"),
    "noodles": _words("noodles 면 면요리"),
}

# affixes that make a name the plain form of a dish ("카페라떼" is the plain 라떼)
PLAIN_PREFIXES = (
    "카페",
    "오리지널",
    "기본",
    "플레인",
    "일반",
    "cafe",
    "caffe",
    "original",
    "plain",
    "basic",
)
PLAIN_SUFFIXES = ("면",)

# English glue words that never name a dish on their own
EN_STOP = _words(
    """
    a also an and can could for get gimme give i
    id ill im in it like me my of on one order
    please pls plus plz some the to two want
    with would x
    """
)
# generic words that never stand for an item by being part of its name ("소스")
PART_STOP = _words(
    """
    extra flavor sauce side size 따로 맛 사이즈 소스
    """
)
