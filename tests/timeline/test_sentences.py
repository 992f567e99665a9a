"""Which span of the page an event quotes: the sentence around the date, cut as the ask's
quotes are, even where the date is alone on a line or the splitter cuts through it."""

from casework.ask.sentences import split_sentences
from casework.timeline.enclosing import enclosing_sentence


def _quote(text, needle):
    start = text.index(needle)
    begin, end = enclosing_sentence(text, start, start + len(needle))
    return text[begin:end]


def test_the_sentence_around_a_date():
    text = "The lease was signed. Rent fell due on 3 April 2024 and was late. Then nothing."
    assert _quote(text, "3 April 2024") == "Rent fell due on 3 April 2024 and was late."


def test_a_date_alone_on_a_line_quotes_that_line():
    text = "HARBOUR LAW LLP\n\n2024-03-12\n\nDear Ms Kowalski, thank you for your letter."
    assert _quote(text, "2024-03-12") == "2024-03-12"


def test_a_date_the_splitter_cuts_through_takes_both_halves():
    text = "Intro sentence here. The works began on 5 June. 2024 saw them end. Done now."
    assert _quote(text, "5 June. 2024") == "The works began on 5 June. 2024 saw them end."


def test_deep_in_a_long_page_the_window_cuts_as_the_whole_page_would():
    filler = "".join(f"Sentence number {i} of the long record, with some words. "
                     for i in range(2000))
    text = filler + "The hearing was moved to 9 May 2024 by the court. " + filler
    start = text.index("9 May 2024")
    whole = next(s for s in split_sentences(text) if s.start <= start < s.end)
    assert enclosing_sentence(text, start, start + 10) == (whole.start, whole.end)
    assert _quote(text, "9 May 2024") == "The hearing was moved to 9 May 2024 by the court."
