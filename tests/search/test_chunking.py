"""Every token of a page reaches the model: passages fit its window, cover the page, and
keep exact offsets; repeated running heads are left out of what the model reads."""

import itertools

import pytest

from casework.search.boilerplate import repeated_lines
from casework.search.chunking import Chunker, load_chunker, normalize_page_text
from casework.search.model_tokenizer import MODEL_WINDOW_TOKENS, load_tokenizer

MODEL = "all-MiniLM-L6-v2"
PROSE = " ".join(f"Sentence number {i} says something about topic {i % 7}." for i in range(400))

# A dense technical page: code, a table, a hex dump, CJK text, a long unbroken string.
TECHNICAL = normalize_page_text("\n".join([
    "Configuring the controller",
    "",
    "def checksum(frame: bytes) -> int:",
    "    return sum(b ^ 0x5A for b in frame[4:-2]) & 0xFFFF  # see §4.2.1",
    "",
    "| Register | Offset | Reset  | Description                  |",
    "|----------|--------|--------|------------------------------|",
    *(f"| CTRL_{i:03d} | 0x{i * 4:04X} | 0x{i * 2654435761 % 2**32:08X} | "
      f"mode={i % 3}, irq={i % 5}, dma={i % 2} |" for i in range(60)),
    "",
    *(f"{i * 16:08x}  " + " ".join(f"{(i * 31 + j * 7) % 256:02x}" for j in range(16))
      + "  |" + "".join(chr(33 + (i + j) % 90) for j in range(16)) + "|" for i in range(80)),
    "",
    "設定ファイルを編集してから、サービスを再起動してください。" * 12,
    "控制器在启动时读取配置文件，并校验每个寄存器的默认值。" * 12,  # noqa: RUF001
    "sha512:" + "".join(f"{(i * 2654435761) % 2**32:08x}" for i in range(300)),
    "Ende der Seite: Überprüfen Sie die Prüfsumme (CRC-16/CCITT) vor dem Schreiben.",
]))


@pytest.fixture(scope="module")
def chunker() -> Chunker:
    return load_chunker(MODEL, MODEL_WINDOW_TOKENS, 16)


def _model_tokens(text: str) -> int:
    return len(load_tokenizer(MODEL).encode(text, add_special_tokens=True).ids)


def _uncovered_tokens(text: str, passages) -> list[tuple[int, int]]:
    offsets = load_tokenizer(MODEL).encode(text, add_special_tokens=False).offsets
    return [(s, e) for s, e in offsets
            if not any(p.start_char <= s and e <= p.end_char for p in passages)]


@pytest.mark.parametrize("text", [PROSE, TECHNICAL], ids=["prose", "technical"])
def test_every_passage_fits_the_window_and_together_they_cover_every_token(chunker, text):
    passages = chunker.chunk_page(text, page=4)
    assert len(passages) > 3
    assert max(_model_tokens(p.text) for p in passages) <= MODEL_WINDOW_TOKENS  # [CLS]/[SEP]
    assert _uncovered_tokens(text, passages) == []
    assert all(text[p.start_char:p.end_char] == p.text for p in passages)
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    assert all(p.page == 4 for p in passages)
    for before, after in itertools.pairwise(passages):
        assert before.start_char < after.start_char < before.end_char  # progress, overlap


def test_overlap_stays_small(chunker):
    passages = chunker.chunk_page(TECHNICAL, page=1)
    total = sum(_model_tokens(p.text) - 2 for p in passages)
    page = _model_tokens(TECHNICAL) - 2
    assert total / page < 1.15


def test_passages_end_at_sentence_boundaries_when_possible():
    passages = load_chunker(MODEL, 128, 0).chunk_page(PROSE, page=1)
    assert all(p.text.endswith(".") for p in passages[:-1])


def test_a_long_unbroken_string_is_cut_between_word_pieces_and_still_fits(chunker):
    blob = "/".join(f"seg{i:x}q{i * 7:x}z" for i in range(3000))  # a path without spaces
    passages = chunker.chunk_page(blob, page=1)
    assert len(passages) > 5
    assert max(_model_tokens(p.text) for p in passages) <= MODEL_WINDOW_TOKENS
    assert _uncovered_tokens(blob, passages) == []
    assert passages[0].start_char == 0 and passages[-1].end_char == len(blob)


def test_a_word_past_the_tokenizers_word_limit_is_one_unknown_token(chunker):
    """WordPiece reads a word of over 100 characters as one [UNK]: no cut could show the
    model more of it, so it stays whole (and keyword-searchable)."""
    blob = "".join(f"{i:x}g" for i in range(3000))
    [passage] = chunker.chunk_page(f"digest {blob} end", page=1)
    assert _model_tokens(passage.text) == 5  # [CLS] digest [UNK] end [SEP]


def test_blank_page_gives_no_passage(chunker):
    assert chunker.chunk_page("   \n\n  ", page=1) == []


def test_running_heads_stay_in_the_text_but_not_in_what_the_model_reads(chunker):
    pages = [normalize_page_text(
        f"ACME X200 Service Manual - Confidential\nSection {n}: the pump seals wear out "
        f"after {n * 100} hours; replace seal kit {n} and check the pressure.\nPage {n} of 9")
        for n in range(1, 10)]
    repeated = repeated_lines(pages)
    passages = [p for n, text in enumerate(pages, 1)
                for p in chunker.chunk_page(text, page=n, repeated=repeated)]
    assert all("Confidential" in p.text and "Page" in p.text for p in passages)  # displayed
    assert all("Confidential" not in p.model_text and "Page" not in p.model_text
               for p in passages)
    assert passages[2].model_text.startswith("Section 3: the pump seals")
    # and a document too short to tell boilerplate from content keeps everything
    assert repeated_lines(pages[:2]) == frozenset()


def test_a_page_of_nothing_but_running_heads_has_nothing_to_embed(chunker):
    pages = ["Quarterly report\nDraft", "Quarterly report\nDraft", "Quarterly report\nDraft",
             "Quarterly report\nrevenue grew in every region\nDraft"]
    repeated = repeated_lines(pages)
    [blank] = chunker.chunk_page(pages[0], page=1, repeated=repeated)
    assert blank.text == "Quarterly report\nDraft" and blank.model_text == ""
    [last] = chunker.chunk_page(pages[3], page=4, repeated=repeated)
    assert last.model_text == "revenue grew in every region"


def test_pages_split_together_are_split_as_one_by_one(chunker):
    pages = [(1, PROSE), (2, TECHNICAL), (3, ""), (4, "Page 4 of 9\nshort closing line")]
    repeated = frozenset({"Page 4 of 9"})
    assert chunker.chunk_pages(pages, repeated=repeated) == [
        chunker.chunk_page(text, page=number, repeated=repeated) for number, text in pages]
