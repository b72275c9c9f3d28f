"""Attack (issue 13): a summary is cut at a sentence end in every script, also where a sentence
ends without a space after it (Chinese and Japanese 。！？, Devanagari ।, Urdu ۔), and in text
with no spaces at all (Thai, Japanese) at a grapheme, never inside one."""

from __future__ import annotations

import pytest
import regex

from hrc_outreach.curate.shown import ELLIPSIS, clean_cut


@pytest.mark.parametrize(
    ("sentence", "mark"),
    [
        ("人権都市は住民一人ひとりの権利を守ります。", "。"),
        ("人权城市保护每一位居民的权利！", "！"),
        ("誰が街の権利を守るのでしょうか？", "？"),
        ("「人権は街から始まる。」", "」"),
        ("मानव अधिकार शहर सभी निवासियों की रक्षा करते हैं।", "।"),
        ("انسانی حقوق کے شہر سب کی حفاظت کرتے ہیں۔", "۔"),
        ("هل تحمي المدينة حقوق الجميع؟", "؟"),
    ],
)
def test_a_sentence_end_without_a_space_is_where_the_cut_goes(sentence: str, mark: str) -> None:
    text = sentence * 6  # no space between the sentences (or only the script's own)
    limit = len(sentence) * 2 + 5
    cut = clean_cut(text, limit)
    assert cut == sentence * 2, cut  # two whole sentences, no ellipsis
    assert cut.endswith(mark)


def test_a_sentence_end_with_a_space_after_it_still_counts() -> None:
    sentence = "मानव अधिकार शहर सभी की रक्षा करते हैं। "
    cut = clean_cut(sentence * 5, len(sentence) * 2 + 4)
    assert cut == (sentence * 2).strip(), cut


def test_a_point_inside_a_number_is_not_a_sentence_end() -> None:
    text = "The budget grew to 3.5 million euros over three years in eleven cities of the network"
    cut = clean_cut(text, 40)
    assert cut.endswith(ELLIPSIS) and len(cut) <= 40
    assert cut != "The budget grew to 3." and "3.5" in cut, cut


def test_text_without_spaces_is_cut_at_a_grapheme_near_the_limit() -> None:
    # Japanese with one early space: the cut stays near the limit instead of going back to it
    text = "人権都市ネットワークのニュースから 人権都市ネットワークは住民の権利を守るために活動を続けています"
    cut = clean_cut(text, 40)
    assert cut.endswith(ELLIPSIS) and 38 <= len(cut) <= 40, cut


@pytest.mark.parametrize(
    "text",
    [
        "สิทธิมนุษยชนในเมืองเป็นของทุกคนที่อาศัยอยู่ที่นี่" * 6,  # Thai: vowel and tone marks
        "人権都市ネットワーク👩‍👩‍👧‍👦は住民の権利を守ります" * 6,
        "ສິດທິມະນຸດໃນເມືອງ" * 10,  # Lao
        "មនុស្សធម៌ក្នុងទីក្រុង" * 10,  # Khmer: subscript consonants (coeng)
    ],
)
def test_no_break_opportunity_cuts_at_a_grapheme_with_an_ellipsis(text: str) -> None:
    graphemes = regex.findall(r"\X", text)
    for limit in range(20, 70, 3):
        cut = clean_cut(text, limit)
        assert len(cut) <= limit and cut.endswith(ELLIPSIS), (limit, cut)
        body = regex.findall(r"\X", cut.removesuffix(ELLIPSIS))
        assert body == graphemes[: len(body)], (limit, cut)
        assert len(cut) >= limit - 8, (limit, cut)  # near the limit: no empty cut
