"""The official adapters of the graph tasks: hamiltonian_path, topological_sort, shortest_path,
max_flow, isomorphism (eulerian_* and hamiltonian_cycle share helix's shape and need none).

- the cells to_official writes have the official structure (bare adjacency dicts written exactly as
  the public generator writes them; helix's canonical JSON for the three simple_str_match tasks);
- both question wordings (official image/text, helix image/text) give the same state;
- malformed cells and questions are one-line AdapterErrors naming the problem.
"""

from __future__ import annotations

import json

import pytest

from tests.tasks.checklist import instance
from tests.test_official import by_official, sample_rows
from verifiers import official
from verifiers import registry as verifiers

EMPTY_CELL = ("shortest_path", "max_flow", "isomorphism")
SAME_SHAPE = ("eulerian_cycle", "eulerian_path", "hamiltonian_cycle")


def _rows(task: str) -> list[dict]:
    return [r for r in sample_rows() if by_official().get(r["category"]) == task]


def _error(task: str, cell: str, question: str = "") -> str:
    with pytest.raises(official.AdapterError) as caught:
        official.to_helix(task, cell, question)
    message = str(caught.value)
    assert message and "\n" not in message.strip()
    return message


# -- structure of the cells to_official writes -------------------------------------------------

@pytest.mark.parametrize("task", ["hamiltonian_path", "topological_sort"])
def test_bare_adjacency_cell_is_written_as_the_public_generator_writes_it(task):
    rows = _rows(task)
    if not rows:
        pytest.skip("official sample not present")
    for row in rows:
        state = official.to_helix(task, row["initial_state"], row["question"])
        # byte for byte: string keys 0..n-1 in order, sorted lists, json.dumps default separators
        assert official.to_official(task, state, row["answer"]) == row["initial_state"]


@pytest.mark.parametrize("task", ["hamiltonian_path", "topological_sort"])
@pytest.mark.parametrize("level", [1, 5])
def test_helix_bare_adjacency_cell_reads_as_the_official_evaluator_reads_it(task, level):
    for index in range(2):
        inst = instance(task, level, index)
        cell = official.to_official(task, inst.initial_state, inst.solution.answer)
        graph = json.loads(cell)
        n = len(graph)
        assert list(graph) == [str(v) for v in range(n)]  # no helix wrapper keys reach the cell
        assert all(isinstance(nbrs, list) and nbrs == sorted(nbrs) for nbrs in graph.values())
        assert cell == json.dumps(graph, ensure_ascii=False)
        answer = inst.solution.answer
        if answer != "No":  # the official evaluators look up graph[str(u)] for each step
            route = json.loads(answer)
            assert sorted(route) == list(range(n))
            if task == "hamiltonian_path":  # each step is an edge of the cell's graph
                assert all(str(b) in [str(x) for x in graph[str(a)]]
                           for a, b in zip(route, route[1:]))
            else:  # every edge u -> v of the cell points forward in the order
                where = {v: i for i, v in enumerate(route)}
                assert all(where[int(u)] < where[v] for u, heads in graph.items() for v in heads)


@pytest.mark.parametrize("task", EMPTY_CELL)
@pytest.mark.parametrize("level", [1, 5])
def test_simple_str_match_cell_is_helix_canonical_json(task, level):
    inst = instance(task, level, 0)
    cell = official.to_official(task, inst.initial_state, inst.solution.answer)
    assert cell == json.dumps(inst.initial_state, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False)
    assert official.to_helix(task, cell, "") == inst.initial_state


@pytest.mark.parametrize("task", SAME_SHAPE)
def test_adjacency_tasks_without_adapter_keep_the_official_shape(task):
    assert task not in official.adapted_tasks()
    inst = instance(task, 1, 0)
    graph = inst.initial_state
    n = len(graph)
    assert list(graph) == [str(v) for v in range(n)]
    assert all(nbrs == sorted(nbrs) for nbrs in graph.values())
    for row in _rows(task):
        cell = json.loads(row["initial_state"])
        assert list(cell) == [str(v) for v in range(len(cell))]
        assert all(isinstance(v, int) for nbrs in cell.values() for v in nbrs)


# -- both question wordings ------------------------------------------------------------------

@pytest.mark.parametrize("task", EMPTY_CELL)
@pytest.mark.parametrize("level", [1, 5])
def test_helix_text_question_alone_rebuilds_helix_state(task, level):
    """An empty cell with helix's own text question gives exactly helix's state (pair_id too)."""
    for index in range(2):
        inst = instance(task, level, index)
        assert official.to_helix(task, "", inst.question_text) == inst.initial_state
        # the JSON cell and helix's questions agree
        cell = official.to_official(task, inst.initial_state, inst.solution.answer)
        for question in (inst.question_image, inst.question_text):
            assert official.to_helix(task, cell, question) == inst.initial_state


@pytest.mark.parametrize("task", EMPTY_CELL)
def test_official_text_question_rebuilds_the_graph(task):
    rows = _rows(task)
    if not rows:
        pytest.skip("official sample not present")
    for row in rows:
        state = official.to_helix(task, "", row["question_text"])
        assert verifiers.verify_answer(task, state, row["answer"]).correct
        # the image question followed by the text question (a row's two questions together)
        both = row["question"] + "\n\n" + row["question_text"]
        assert official.to_helix(task, "", both) == state
        # export and re-import through the JSON cell, with either question
        cell = official.to_official(task, state, row["answer"])
        for question in (row["question"], row["question_text"]):
            assert official.to_helix(task, cell, question) == state
        # the image question alone has no graph: a named error, pointing at question_text
        assert "question_text" in _error(task, "", row["question"])


def test_official_isomorphism_rows_carry_no_pair_id_and_helix_rows_keep_theirs():
    for row in _rows("isomorphism"):
        assert "pair_id" not in official.to_helix("isomorphism", "", row["question_text"])
    inst = instance("isomorphism", 3, 0)
    assert official.to_helix("isomorphism", "", inst.question_text)["pair_id"] == \
        inst.initial_state["pair_id"]


def test_isomorphism_json_without_pair_id_is_read_and_normalised():
    cell = json.dumps({"graph1": {"nodes": 4, "edges": [[2, 0], [0, 1], [1, 2], [2, 3]]},
                       "graph2": {"nodes": 4, "edges": [[3, 2], [2, 1], [1, 3], [1, 0]]}})
    state = official.to_helix("isomorphism", cell, "Question (see the picture).")
    assert state == {"graph1": {"nodes": 4, "edges": [[0, 1], [0, 2], [1, 2], [2, 3]]},
                     "graph2": {"nodes": 4, "edges": [[0, 1], [1, 2], [1, 3], [2, 3]]}}
    assert verifiers.verify_answer("isomorphism", state, "Yes").correct


def test_max_flow_layers_are_the_longest_path_depths():
    for row in _rows("max_flow"):
        state = official.to_helix("max_flow", "", row["question_text"])
        n = state["nodes"]
        assert state["layers"][0] == [0] and state["layers"][-1] == [n - 1]
    for level in (1, 5):
        inst = instance("max_flow", level, 1)
        assert official.to_helix("max_flow", "", inst.question_text)["layers"] == \
            inst.initial_state["layers"]


HP_QUESTIONS = {
    "official-image": ("Given an undirected graph below, determine whether a Hamiltonian path "
                       "starting from vertex 1 (marked in red) exists. If it exists, output the "
                       "path as a list (e.g., [0,1,2,3]). If not, output 'No'."),
    "official-text": ("Given an undirected graph with adjacency list below, determine whether a "
                      "Hamiltonian path starting from vertex 1 exists. If it exists, output the "
                      "path as a list (e.g., [0,1,2,3]). If not, output 'No'.\n0: [1]\n1: [0, 2]\n"
                      "2: [1]\n\n"),
    "helix-image": ("Hamiltonian path. ... The start vertex 1 is the red circle.\n\nDoes a "
                    "Hamiltonian path begin at vertex 1? Answer with ..."),
    "helix-text": ("Hamiltonian path. ...\n0: [1]\n1: [0, 2]\n2: [1]\nThe start vertex is 1.\n\n"
                   "Does a Hamiltonian path begin at vertex 1? Answer with ..."),
}
PATH_3 = '{"0": [1], "1": [0, 2], "2": [1]}'


@pytest.mark.parametrize("wording", list(HP_QUESTIONS))
def test_hamiltonian_path_start_comes_from_either_wording(wording):
    state = official.to_helix("hamiltonian_path", PATH_3, HP_QUESTIONS[wording])
    assert state == {"adjacency": {"0": [1], "1": [0, 2], "2": [1]}, "start_vertex": 1}
    # no Hamiltonian path begins at the middle vertex: the official "No" is right there ...
    assert verifiers.verify_answer("hamiltonian_path", state, "No").correct
    # ... although one exists from an end, which the start vertex rules out
    assert not verifiers.verify_answer("hamiltonian_path", state, "[0, 1, 2]").correct
    assert official.to_official("hamiltonian_path", state, "No") == PATH_3


def test_hamiltonian_path_without_start_only_for_the_official_no_start_wording():
    question = ("Given an undirected graph below, determine whether a Hamiltonian path exists. "
                "If it exists, output the path as a list (e.g., [0,1,2,3]). If not, output 'No'.")
    state = official.to_helix("hamiltonian_path", PATH_3, question)
    assert state["start_vertex"] is None
    assert verifiers.verify_answer("hamiltonian_path", state, "[0, 1, 2]").correct
    assert "start vertex" in _error("hamiltonian_path", PATH_3, "")


def test_hamiltonian_path_accepts_helix_shaped_cell():
    cell = json.dumps({"adjacency": json.loads(PATH_3), "start_vertex": 0})
    assert official.to_helix("hamiltonian_path", cell, "")["start_vertex"] == 0
    assert "says 1" in _error("hamiltonian_path", cell, HP_QUESTIONS["official-text"])


# -- malformed cells and questions -----------------------------------------------------------

HP_Q = HP_QUESTIONS["official-text"]


@pytest.mark.parametrize("cell, question, words", [
    ("", HP_Q, "empty"),
    ("{0: [1]}", HP_Q, "not valid JSON"),
    ("[[1], [0]]", HP_Q, "adjacency object"),
    ('{"0": [1], "2": [0]}', HP_Q, "keys"),
    ('{"0": [1], "1": [0, 5]}', HP_Q, "lists 5"),
    ('{"0": [0], "1": []}', HP_Q, "lists 0"),
    ('{"0": "1", "1": [0]}', HP_Q, "must be a list"),
    (PATH_3, HP_Q.replace("vertex 1", "vertex 7"), "not a vertex"),
    (PATH_3, HP_Q + " The start vertex is 2.", "several start vertices"),
])
def test_hamiltonian_path_malformed(cell, question, words):
    assert words in _error("hamiltonian_path", cell, question)


@pytest.mark.parametrize("cell, words", [
    ("", "empty"),
    ('{"0": [1], "1": [0]}', "directed cycle"),
    ('{"0": [1], "1": [], "3": []}', "keys"),
    ('{"0": [true], "1": []}', "lists True"),
    ('{"nodes": 3, "adjacency": {"0": [1], "1": []}}', "'nodes' is 3"),
])
def test_topological_sort_malformed(cell, words):
    assert words in _error("topological_sort", cell, "")


SP_Q = ("Given a weighted undirected graph with adjacency list below (format: node: [(neighbor, "
        "weight), ...]), what is the shortest distance from node 0 to node 2? Answer with a number "
        "(can be integer or decimal).0: [(1, 4)]\n1: [(0, 4), (2, 3)]\n2: [(1, 3)]\n")


def test_shortest_path_official_question():
    state = official.to_helix("shortest_path", "", SP_Q)
    assert state == {"nodes": 3, "edges": [[0, 1, 4], [1, 2, 3]], "source": 0, "target": 2}
    assert verifiers.verify_answer("shortest_path", state, "7").correct


@pytest.mark.parametrize("question, words", [
    (SP_Q.replace("(2, 3)]", "(2, 2.5)]"), "integer weight"),
    (SP_Q.replace("(1, 3)]", "(1, 5)]"), "weights 3 and 5"),
    (SP_Q.replace("2: [(1, 3)]", "3: [(1, 3)]"), "in order"),
    (SP_Q.replace("(0, 4), (2, 3)", "(0, 4), (9, 3)"), "neighbour 9"),
    (SP_Q.replace("from node 0 to node 2", "between 0 and 2"), "distance from node"),
    (SP_Q.replace("to node 2", "to node 8"), "target 8"),
    ("Given a weighted undirected graph below, what is the shortest distance from node 0 to "
     "node 2?", "question_text"),
])
def test_shortest_path_malformed_question(question, words):
    assert words in _error("shortest_path", "", question)


@pytest.mark.parametrize("cell, words", [
    ("not json", "neither empty nor"),
    ('{"nodes": 3, "edges": []}', "missing"),
    ('{"nodes": 3, "edges": [[0, 1]], "source": 0, "target": 2}', "expected [u, v, weight]"),
    ('{"nodes": 3, "edges": [[0, 1, 4], [1, 0, 4]], "source": 0, "target": 2}', "listed twice"),
    ('{"nodes": 3, "edges": [[0, 1, 0]], "source": 0, "target": 2}', "positive weight"),
    ('{"nodes": 3, "edges": [[0, 1, 4], [1, 2, 9]], "source": 0, "target": 2}', "differs"),
])
def test_shortest_path_malformed_cell(cell, words):
    assert words in _error("shortest_path", cell, SP_Q)


MF_Q = ("Below is a layered directed acyclic graph (DAG) adjacency list (with capacities). Compute "
        "the maximum flow from node 0 to node 3. Answer with the maximum flow value (an integer)."
        "\n\n0: [(1,8), (2,7)]\n1: [(3,9)]\n2: [(3,3)]\n3: []\n")


def test_max_flow_official_question():
    state = official.to_helix("max_flow", "", MF_Q)
    assert state == {"nodes": 4, "edges": [[0, 1, 8], [0, 2, 7], [1, 3, 9], [2, 3, 3]],
                     "source": 0, "sink": 3, "layers": [[0], [1, 2], [3]]}
    assert verifiers.verify_answer("max_flow", state, "11").correct


@pytest.mark.parametrize("question, words", [
    (MF_Q.replace("(3,9)", "(3,x)"), "integer capacity"),
    (MF_Q.replace("3: []", "3: [(1,2)]"), "directed cycle"),
    (MF_Q.replace("[(1,8), (2,7)]", "[(1,8), (1,7)]"), "listed twice"),
    (MF_Q.replace("to node 3", "to node 4"), "sink 4"),
    (MF_Q.replace("1: [(3,9)]", "2: [(3,9)]"), "in order"),
    ("Below is a layered directed acyclic graph (DAG) with capacities on each edge. Compute the "
     "maximum flow from node 0 to node 3.", "question_text"),
])
def test_max_flow_malformed_question(question, words):
    assert words in _error("max_flow", "", question)


@pytest.mark.parametrize("cell, words", [
    ('{"nodes": 4}', "missing"),
    ('{"nodes": 2, "edges": [[0, 1, 5]], "source": 0, "sink": 1, "layers": [[0]]}', "layers"),
    ('{"nodes": 2, "edges": [[0, 1, -1]], "source": 0, "sink": 1}', "non-negative"),
])
def test_max_flow_malformed_cell(cell, words):
    assert words in _error("max_flow", cell, "")


ISO_Q = ("Given two connected undirected planar graphs G1 and G2 with the adjacency lists below "
         "(with varying shapes and not just triangles), determine if they are isomorphic by "
         "analyzing their planar structure. Answer with 'Yes' or 'No'.G1:\n0: [1]\n1: [0, 2]\n"
         "2: [1]\n\nG2:\n0: [2]\n1: [2]\n2: [0, 1]\n")


def test_isomorphism_official_question():
    state = official.to_helix("isomorphism", "", ISO_Q)
    assert state == {"graph1": {"nodes": 3, "edges": [[0, 1], [1, 2]]},
                     "graph2": {"nodes": 3, "edges": [[0, 2], [1, 2]]}}
    assert verifiers.verify_answer("isomorphism", state, "Yes").correct


@pytest.mark.parametrize("question, words", [
    (ISO_Q.replace("G2:\n0: [2]\n1: [2]\n2: [0, 1]\n", "G2:\n"), "G2 has no"),
    (ISO_Q.replace("1: [0, 2]", "1: [0; 2]"), "separated by commas"),
    (ISO_Q.replace("0: [1]\n1: [0, 2]", "1: [0, 2]\n0: [1]"), "in order"),
    (ISO_Q.replace("2: [0, 1]", "2: [0, 7]"), "edge"),
    ("Both graphs have 3 nodes numbered 0 to 2.\nG1 edges: 0-1, 1-2\n", "G2 edges"),
    ("Both graphs have 3 nodes.\nG1 edges: 0-1, 1~2\nG2 edges: 0-2", "expected 'u-v'"),
    ("Given two connected undirected planar graphs G1 and G2 shown below, determine if they are "
     "isomorphic. Answer with 'Yes' or 'No'.", "question_text"),
])
def test_isomorphism_malformed_question(question, words):
    assert words in _error("isomorphism", "", question)


@pytest.mark.parametrize("cell, words", [
    ('{"graph1": {"nodes": 3, "edges": []}}', "missing"),
    ('{"graph1": {"nodes": 3, "edges": [[0, 3]]}, "graph2": {"nodes": 3, "edges": []}}', "edge"),
    ('{"graph1": {"nodes": 0, "edges": []}, "graph2": {"nodes": 3, "edges": []}}', "positive"),
    ('{"graph1": {"nodes": 3, "edges": []}, "graph2": {"nodes": 3, "edges": []}, "pair_id": 5}',
     "pair_id"),
    ('{"graph1": {"nodes": 3, "edges": []}, "graph2": {"nodes": 3, "edges": []}}', "differ"),
])
def test_isomorphism_malformed_cell(cell, words):
    assert words in _error("isomorphism", cell, ISO_Q)
