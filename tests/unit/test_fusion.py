"""Fusing the blendshape reading with the expression network: the rule and the resting level."""

from __future__ import annotations

import numpy as np
import pytest

from performance.config import Reader
from performance.core.types import EMOTIONS
from performance.emotion.fusion import Fusion, NetworkRest, softmax
from performance.emotion.mapping import EmotionMapping

K = len(EMOTIONS)
PRIOR = np.array([4965, 7215, 4830, 3995, 3171, 4097, 436], dtype=float)  # neutral..disgusted


def one_hot(name: str, strength: float = 0.8) -> np.ndarray:
    p = np.full(K, (1.0 - strength) / (K - 1))
    p[EMOTIONS.index(name)] = strength
    return p


def test_the_networks_training_prior_is_divided_out() -> None:
    """The network's uniform-looking reading favours nothing once its prior is taken out:
    an even 50/50 between happy (frequent in training) and disgusted (rare) tips to disgust."""
    network = np.zeros(K)
    network[EMOTIONS.index("happy")] = network[EMOTIONS.index("disgusted")] = 0.5
    with_prior = Fusion(0.0, 1.0, PRIOR, prior_power=1.0).combine(None, network)
    without = Fusion(0.0, 1.0, PRIOR, prior_power=0.0).combine(None, network)
    assert EMOTIONS[int(with_prior.argmax())] == "disgusted"
    assert without[EMOTIONS.index("happy")] == pytest.approx(without[EMOTIONS.index("disgusted")])


def test_weights_decide_which_reader_wins_and_the_offset_lifts_neutral() -> None:
    blend, network = one_hot("neutral", 0.6), one_hot("sad", 0.6)
    trust_blend = Fusion(2.0, 0.5, np.ones(K)).combine(blend, network)
    trust_net = Fusion(0.5, 2.0, np.ones(K)).combine(blend, network)
    assert EMOTIONS[int(trust_blend.argmax())] == "neutral"
    assert EMOTIONS[int(trust_net.argmax())] == "sad"
    offset = np.zeros(K)
    offset[0] = 4.0  # sad leads neutral by 1.5 * log(0.6 / (0.4 / 6)) = 3.3 in the logits
    lifted = Fusion(0.5, 2.0, np.ones(K), offset=offset).combine(blend, network)
    assert EMOTIONS[int(lifted.argmax())] == "neutral"
    assert trust_net.sum() == pytest.approx(1.0) and np.all(trust_net > 0)


def test_rows_combine_like_single_faces() -> None:
    fusion = Fusion(1.0, 1.0, PRIOR, offset=np.linspace(0, 1, K))
    blends = np.stack([one_hot("happy"), one_hot("angry")])
    nets = np.stack([one_hot("happy"), one_hot("fearful")])
    rows = fusion.combine(blends, nets)
    for i in range(2):
        assert rows[i] == pytest.approx(fusion.combine(blends[i], nets[i]))


def test_a_face_the_network_reads_as_sad_at_rest_is_learned_back_to_neutral() -> None:
    """The per-face resting level: a resting face the network reads a little sad (more than
    the population's resting faces) reads neutral once its level is learned; a real change
    (a smile) still reads after that."""
    population_rest = one_hot("neutral", 0.5)
    fusion = Fusion(1.0, 1.0, np.ones(K), rest_weight=1.0,
                    rest_level=Fusion(1.0, 1.0, np.ones(K)).network_evidence(population_rest))
    blend = one_hot("neutral", 0.4)
    sad_rest = one_hot("sad", 0.55)
    rest = NetworkRest(fusion.rest_level, rest_time=5.0)
    first = fusion.combine(blend, sad_rest,
                           rest.update(fusion.network_evidence(sad_rest), 0.0, resting=True))
    assert EMOTIONS[int(first.argmax())] == "sad"
    for _ in range(300):  # 30 s of a resting face at 10 readings a second
        level = rest.update(fusion.network_evidence(sad_rest), 0.1, resting=True)
    later = fusion.combine(blend, sad_rest, level)
    assert EMOTIONS[int(later.argmax())] == "neutral"
    smile = fusion.combine(one_hot("happy", 0.7), one_hot("happy", 0.9), level)
    assert EMOTIONS[int(smile.argmax())] == "happy"


def test_an_expression_held_is_not_learned_as_rest_and_the_level_is_limited() -> None:
    population = np.zeros(K)
    rest = NetworkRest(population, rest_time=1.0, max_shift=0.5)
    far = np.full(K, 10.0)
    for _ in range(100):  # 10 s of a held smile: the blendshapes do not read it as rest
        rest.update(far, 0.1, resting=False)
    assert np.allclose(rest.value, population) and rest.resting_seconds == 0.0
    for _ in range(100):
        rest.update(far, 0.1, resting=True)
    assert np.allclose(rest.value, 0.5)  # limited to max_shift


def test_softmax_is_safe_for_any_logits() -> None:
    p = softmax(np.array([np.inf, -np.inf, np.nan, 1e300, 0, 0, 0]))
    assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(1.0)


def test_the_mapping_reads_with_the_reader_it_is_asked_for() -> None:
    mapping = EmotionMapping.load()
    assert mapping.fusion is not None  # the shipped calibration has a [fusion] table
    features = mapping.population_baseline
    network = one_hot("surprised", 0.95)
    blend = mapping.predict_features(features, reader=Reader.BLENDSHAPES, expression=network)
    fused = mapping.predict_features(features, reader=Reader.FUSED, expression=network)
    alone = mapping.predict_features(features, reader=Reader.NETWORK, expression=network)
    assert blend.label == "neutral"  # the resting face's blendshapes
    assert alone.label == "surprised" and alone.arousal > blend.arousal
    assert fused.probability("surprised") > blend.probability("surprised")
    assert mapping.predict_features(features, expression=None) == blend  # no network reading


def test_a_resting_face_reads_neutral_near_the_origin_with_every_reader() -> None:
    """The population's resting face, read by the network as the resting development faces
    were on average, is neutral with valence and arousal near zero (the fused `rest_offset`
    is taken out), like the blendshapes' resting face."""
    mapping = EmotionMapping.load()
    fusion = mapping.fusion
    assert fusion is not None
    resting = np.exp(fusion.rest_level + fusion.prior_power * np.log(fusion.prior))
    resting /= resting.sum()
    for reader in Reader:
        r = mapping.predict_features(mapping.population_baseline, expression=resting,
                                     reader=reader)
        assert r.label == "neutral", reader
        assert abs(r.valence) < 0.2 and abs(r.arousal) < 0.2, (reader, r)
