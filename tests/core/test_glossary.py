"""The glossary: the shipped file explains every word the app's controls point to, and a bad file says why."""

import unicodedata

import pytest

from nnstudio.core.errors import NNStudioError
from nnstudio.core.teaching.glossary import load_glossary, parse_glossary, term_key

# What a student alone asked to have explained (issue 13, point 10).
REQUIRED = [
    "loss",
    "sse and mse",
    "gradient",
    "epoch and step",
    "batch",
    "learning rate",
    "momentum",
    "Adam",
    "MSE, RMSE and R²",
    "standardised units",
    "training and test points",
    "overfitting",
]


def test_the_shipped_glossary_explains_every_required_word_in_plain_text():
    entries = load_glossary()
    keys = [entry.key for entry in entries]
    assert all(term_key(term) in keys for term in REQUIRED), set(map(term_key, REQUIRED)) - set(keys)
    adam = next(entry for entry in entries if entry.key == "adam")
    assert " m, " in " ".join(adam.paragraphs) and " v, " in " ".join(adam.paragraphs)  # m and v in plain words
    for entry in entries:
        words = " ".join(entry.paragraphs)
        assert len(words) > 80 and "tutorial" not in words.lower() and "<" not in words, entry.term
        # combining marks (m̂) are drawn over the wrong letters where the help window wraps a line
        assert not any(unicodedata.combining(c) for c in words), entry.term


def test_entries_keep_their_paragraphs_and_the_note_before_them_is_left_out():
    entries = parse_glossary("A note.\n\n## loss\nOne\nnumber.\n\nSecond paragraph.\n## MSE, RMSE and R²\nFit.\n")
    assert [(e.term, e.key, e.paragraphs) for e in entries] == [
        ("loss", "loss", ("One number.", "Second paragraph.")),
        ("MSE, RMSE and R²", "mse-rmse-and-r²", ("Fit.",)),
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        ("## loss\n\n## gradient\nText.\n", "'loss' has no text"),
        ("## Loss\nA.\n## loss\nB.\n", "explains 'loss' twice"),
        ("##   \nText.\n", "names no term"),
    ],
)
def test_a_bad_glossary_is_refused_in_one_sentence(text, message):
    with pytest.raises(NNStudioError, match=message):
        parse_glossary(text)
