"""Closed word lists: particles, markers, fillers, slang and category words (ko and en)."""

# particles and endings stripped from the end of a Hangul word, longest first
PARTICLES: tuple[str, ...] = tuple(
    sorted(
        {
            "으로요", "으로", "로요", "로", "이랑", "랑", "하고", "이요", "에서", "은", "는", "이",
            "가", "을", "를", "도", "의", "만", "요", "씩", "와", "과", "만요", "에", "께",
            "으로해서", "로해서", "으로해주세요", "로해주세요", "로주세요", "으로주세요", "이랑요",
            "주세요", "줘", "줘요", "좀", "이나", "나", "두", "ㅎ", "ㅋ",
        },
        key=len,
        reverse=True,
    )
)  # fmt: skip
# a word ending in one of these ends a clause after it ("짜장이랑 짬뽕")
JOINING_PARTICLES = ("이랑", "랑", "하고", "와", "과", "이랑요")

EXTRA = {
    "추가", "추가요", "추가해주세요", "추가해서", "추가로", "추가하고", "많이", "많이요", "듬뿍", "왕창", "더", "넉넉히", "extra", "add", "more", "plus", "added", "adding",
}  # fmt: skip
LIGHT = {
    "조금", "조금만", "적게", "적게요", "살짝", "약간", "덜", "조금만요", "light", "lightly",
    "less", "little", "easy",
}  # fmt: skip
EXCLUDE = {
    "빼고", "빼주세요", "빼서", "빼", "빼요", "빼고요", "빼줘", "빼줘요", "없이", "없이요", "제외",
    "제외하고", "노", "no", "without", "hold", "minus", "skip", "sans", "nix",
}  # fmt: skip
CORRECT = {"말고", "대신", "대신에", "아니고", "아니라", "취소", "취소요", "취소해주세요"}
CORRECT_EN = {"instead", "cancel", "scratch", "not", "nevermind"}
EACH = {"씩", "each", "apiece"}
ORDER = {
    "주세요", "주문", "주문이요", "주문할게요", "주문해요", "시킬게요", "시켜요", "줘", "줘요",
    "주세여", "주라", "부탁해요", "부탁드려요", "부탁합니다", "할게요", "갈게요", "보내주세요",
    "please", "pls", "plz", "order", "want", "gimme", "give", "get", "like", "need", "ill",
    "id", "take", "bring", "send",
}  # fmt: skip
QUESTION = {
    "얼마", "얼마예요", "얼마에요", "얼마야", "얼마죠", "얼마인가요", "몇시", "언제", "어디",
    "뭐", "뭐예요", "무엇", "추천", "있나요", "있어요", "있어", "있니", "되나요", "돼요", "되요",
    "가능해요", "가능한가요", "맛있어요", "맵나요", "매워요", "how", "what", "when", "where",
    "which", "why", "much", "price", "cost", "open", "recommend", "is", "are", "does",
    "do", "menu", "메뉴", "영업", "가격",
}  # fmt: skip
# words that only carry politeness, greeting or glue; never unmatched, never a note
FILLER = {
    "주세요", "요", "좀", "네", "저", "저는", "제가", "저희", "우리", "여기", "거기", "그리고", "또",
    "이거", "그거", "저거", "것", "거", "걸로", "것도", "거요", "그럼", "음", "어", "아", "앗",
    "감사합니다", "감사해요", "고맙습니다", "고마워요", "안녕하세요", "안녕", "사장님", "수고하세요",
    "오늘", "지금", "빨리", "혹시", "일단", "다", "전부", "모두", "같이", "그냥", "해주세요",
    "해줘", "해줘요", "해주세여", "주문", "할게요", "합니다", "입니다", "이요", "이에요", "예요",
    "배달", "배달이요", "포장", "ㅎㅎ", "ㅋㅋ", "ㅠㅠ", "ㅎ", "ㅋ", "한번", "먹고", "싶어요",
    "시켜주세요", "부탁드립니다", "했어요", "하나요", "넣어주세요", "넣어서", "넣고", "넣어",
    "해서", "하고", "으로", "로", "네요", "please", "pls", "plz", "i", "id", "im", "ill", "want",
    "like", "to", "would", "can", "could", "get", "give", "me", "gimme", "order", "some",
    "the", "of", "with", "and", "also", "plus", "thanks", "thank", "you", "thx", "ty", "hi",
    "hello", "hey", "ok", "okay", "um", "uh", "lol", "yes", "yeah", "just", "we", "us",
    "need", "have", "take", "lets", "let", "go", "for", "my", "our", "be", "will", "in",
    "on", "it", "that", "this", "them", "too", "as", "well", "then", "both", "all",
    "bring", "send", "a", "an", "one", "is", "are", "there", "here", "good", "great",
    "evening", "morning", "tonight", "today", "now", "quick", "asap", "thankyou", "sir",
    "hiya", "yo", "sup", "what's", "up", "mate", "dear", "kindly", "actually", "wait",
    "요청", "요청사항", "메모", "주문할께요", "주문합니다", "부탁", "부탁해요", "부탁드려요",
    "먹을게요", "갈게요", "보내주세요", "시킬게요", "시켜요", "주문해요", "주문이요", "또는",
    "바꿔서", "바꿔", "바꿔주세요", "변경", "변경해주세요", "from", "at", "by", "or", "another", "more", "so", "much", "very", "really", "아니",
}  # fmt: skip
# delivery instructions: a clause holding one of these is not about an item
DELIVERY = {
    "문앞", "문", "앞에", "벨", "초인종", "노크", "경비실", "기사님", "라이더", "현관", "젓가락",
    "수저", "숟가락", "일회용", "도착", "전화", "연락", "문자", "door", "bell", "knock",
    "doorbell", "leave", "utensils", "chopsticks", "cutlery", "call", "text", "buzz",
    "lobby", "gate", "rider", "driver", "floor", "층", "호", "동", "아파트",
}  # fmt: skip
# words that make a leftover phrase a request about the item (a note)
NOTE_CUES = {
    "맵게", "안맵게", "덜", "바삭하게", "바삭", "따로", "따로요", "잘", "익혀", "익혀주세요",
    "뜨겁게", "차갑게", "싱겁게", "짜게", "달게", "달지", "않게", "넉넉히", "많이", "적게", "조금",
    "빼", "빼고", "빼주세요", "빼서", "없이", "안", "넣지", "말아", "말아주세요", "잘라", "잘라주세요",
    "썰어", "부드럽게", "꼬들꼬들하게", "바싹", "따뜻하게", "반만", "굽기",
    "less", "more", "extra", "no", "without", "well", "done", "crispy", "crunchy", "spicy",
    "mild", "side", "separate", "separately", "sliced", "cut", "sauce", "light", "hold",
    "rare", "medium", "not", "too", "sweet", "salty", "soft", "cooked",
}  # fmt: skip
# trailing words trimmed off a note ("덜 맵게 해주세요" -> "덜 맵게")
NOTE_TRIM = {
    "해주세요", "해주세여", "해줘", "해줘요", "해", "주세요", "부탁해요", "부탁드려요", "요",
    "please", "pls", "plz", "thanks", "thank", "you", "좀", "부탁드립니다", "해주시면",
    "감사하겠습니다", "감사합니다",
}  # fmt: skip

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
    frozenset(group)
    for group in (
        {"아이스", "ice", "iced", "차가운", "시원한", "차갑게", "icy", "cold", "아이스로"},
        {"핫", "hot", "따뜻한", "뜨거운", "따뜻하게", "뜨겁게", "따뜻", "warm", "따듯한"},
        {"라지", "large", "큰", "큰거", "l", "대", "대자", "big"},
        {"레귤러", "regular", "r", "보통사이즈", "기본사이즈"},
        {"곱빼기", "곱배기", "double portion", "large portion", "곱"},
        {"순살", "boneless", "뼈없는", "뼈없이", "순살로"},
        {"뼈", "bone-in", "뼈있는", "with bone", "bone", "뼈있게"},
        {"매운맛", "매운", "spicy", "매콤", "매콤하게"},
        {"순한맛", "순한", "mild"},
        {"보통맛", "보통", "medium", "중간맛"},
        {"샷추가", "extra shot", "샷", "shot", "add shot", "더블샷"},
        {"부먹", "sauce poured", "poured"},
        {"찍먹", "sauce on the side", "dipping"},
        {"계란", "달걀", "egg", "에그"},
        {"치즈", "cheese"},
        {"양파", "onion", "onions"},
        {"피클", "pickle", "pickles"},
        {"마요네즈", "마요", "mayo", "mayonnaise"},
        {"토마토", "tomato", "tomatoes"},
        {"베이컨", "bacon"},
        {"씬", "thin", "씬도우", "thin crust"},
        {"소", "small", "작은", "s", "소자"},
        {"중", "medium size", "중자"},
        {"생크림", "whipped cream", "cream"},
        {"바닐라", "vanilla"},
        {"초코", "chocolate", "choco", "초콜릿"},
        {"딸기", "strawberry"},
        {"두유", "soy milk", "soy"},
        {"오트밀크", "oat milk", "oat", "귀리우유"},
        {"얼음 없이", "no ice", "얼음빼고", "얼음 빼고"},
        {"내장", "with offal", "offal", "내장 섞어서"},
    )
)

# words for a category of items, keyed by the category codes packs use
CATEGORY_WORDS: dict[str, frozenset[str]] = {
    "coffee": frozenset({"커피", "coffee", "coffees"}),
    "chicken": frozenset({"치킨", "통닭", "chicken", "닭"}),
    "pizza": frozenset({"피자", "pizza", "pizzas"}),
    "burger": frozenset({"버거", "햄버거", "burger", "burgers", "hamburger"}),
    "drink": frozenset({"음료", "음료수", "마실거", "drink", "drinks", "beverage", "soda"}),
    "beverage": frozenset({"음료", "음료수", "마실거", "drink", "drinks", "beverage", "soda"}),
    "tea": frozenset({"차", "tea"}),
    "dessert": frozenset({"디저트", "dessert"}),
    "noodles": frozenset({"면", "면요리", "noodles"}),
}

# affixes that make a name the plain form of a dish ("카페라떼" is the plain 라떼)
PLAIN_PREFIXES = ("카페", "오리지널", "기본", "플레인", "일반", "cafe", "caffe", "original",
                  "plain", "basic")  # fmt: skip
PLAIN_SUFFIXES = ("면",)

# English glue words that never name a dish on their own
EN_STOP = {
    "a", "an", "the", "of", "and", "with", "for", "to", "me", "i", "some", "please", "pls",
    "plz", "can", "could", "would", "get", "give", "want", "like", "order", "one", "two",
    "also", "plus", "gimme", "id", "ill", "im", "it", "on", "in", "my", "x",
}  # fmt: skip

# generic words that never stand for an item by being part of its name ("소스" in 갈릭디핑소스)
PART_STOP = {"소스", "sauce", "side", "extra", "따로", "사이즈", "size", "맛", "flavor"}
