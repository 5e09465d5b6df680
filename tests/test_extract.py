from verifiers.extract import extract_answer


def test_boxed_with_nested_braces():
    assert extract_answer(r"so \boxed{\frac{1}{2}} ok") == r"\frac{1}{2}"
    assert extract_answer(r"\boxed{[[1, 2], {3}]}") == "[[1, 2], {3}]"


def test_answer_tags_unwrap_boxed():
    assert extract_answer(r"<answer>\boxed{42}</answer>") == "42"
    assert extract_answer("<ANSWER> 7 </ANSWER>") == "7"


def test_last_match_wins():
    text = "\\boxed{1}\nthen <answer>2</answer>\nFinal Answer: 3"
    assert extract_answer(text) == "3"
    assert extract_answer("Answer: 3\nwait, no: \\boxed{4}") == "4"
    assert extract_answer("\\boxed{4} and later <answer>5</answer>") == "5"


def test_answer_lines():
    assert extract_answer("blah\n**Final Answer:** 12") == "12"
    assert extract_answer("Final answer: \\boxed{No}") == "No"
    assert extract_answer("Answer:\nX.X\n.X.\n\ntrailing words") == "X.X\n.X."
    assert extract_answer("The answer is $\\text{Yes}$.\nAnswer: $\\text{Yes}$") == "Yes"


def test_no_match():
    assert extract_answer("I think it is 5") is None
    assert extract_answer("") is None
    assert extract_answer("\\boxed{unclosed") is None
    assert extract_answer(None) is None  # type: ignore[arg-type]


def test_large_input_is_linear():
    import time
    text = "{" * 200_000 + "\\boxed{" * 1000 + "x" * 500_000
    start = time.process_time()
    extract_answer(text)
    assert time.process_time() - start < 2.0
