from hypothesis import given
from hypothesis import strategies as st

from guichet.text.similarity import fold, similarity, words

texts = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "Zs"]), max_size=60)


@given(texts, texts, texts, texts)
def test_similarity_is_a_symmetric_score_between_0_and_1(a, b, c, d):
    score = similarity(a, b, c, d)
    assert 0.0 <= score <= 1.0
    assert score == similarity(c, d, a, b)


@given(texts, texts)
def test_a_text_is_fully_similar_to_itself_when_it_has_words(subject, body):
    if words(subject):
        assert similarity(subject, body, subject, body) == 1.0


def test_fold_removes_case_and_accents():
    assert fold("Coupée À Évry") == "coupee a evry"


def test_common_words_do_not_make_tickets_alike():
    assert similarity("Bonjour, merci de nous aider", "", "Hello, please help us", "") < 0.2
