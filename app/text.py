"""Every sentence the explorer shows. Claims about the default streams are tested in
tests/test_streams.py (test_claim_*) across many seeds."""

from __future__ import annotations

UPDATE_RULE_MATHML = (
    '<math display="block" aria-label="theta becomes theta minus eta times m-hat over root v-hat plus epsilon">'
    "<mi>θ</mi><mo>←</mo><mi>θ</mi><mo>−</mo><mi>η</mi><mo>·</mo>"
    '<mfrac><mover><mi style="color:var(--av-blue)">m</mi><mo>^</mo></mover>'
    '<mrow><msqrt><mover><mi style="color:var(--av-orange)">v</mi><mo>^</mo></mover></msqrt>'
    "<mo>+</mo><mi>ε</mi></mrow></mfrac></math>"
    '<math display="block" aria-label="m-hat is m over one minus beta one to the t, v-hat is v over one minus '
    'beta two to the t">'
    "<mover><mi>m</mi><mo>^</mo></mover><mo>=</mo>"
    "<mfrac><mi>m</mi><mrow><mn>1</mn><mo>−</mo><msubsup><mi>β</mi><mn>1</mn><mi>t</mi></msubsup></mrow></mfrac>"
    "<mo>,</mo><mspace width='0.8em'/>"
    "<mover><mi>v</mi><mo>^</mo></mover><mo>=</mo>"
    "<mfrac><mi>v</mi><mrow><mn>1</mn><mo>−</mo><msubsup><mi>β</mi><mn>2</mn><mi>t</mi></msubsup></mrow></mfrac>"
    "</math>"
)
"""The update rule as MathML: Chromium, Firefox and Safari render it natively, with no script or network."""

INTRO = (
    "Adam keeps two running averages for every parameter: <b class='av-m'>m̂</b>, where the gradient has "
    "been pointing lately, and <b class='av-v'>√v̂</b>, how large it has been regardless of sign. Their "
    "ratio, the <b>learning-rate scale</b>, decides how far a step goes: near ±1 when the two agree, near 0 "
    "when the gradient keeps changing its mind. Each card below feeds Adam a different gradient stream."
)

CARD_TEXT = {
    "consistent": (
        "Steady gradients",
        "The gradient keeps its sign, so its mean and its root-mean-square agree: m̂ ≈ √v̂ and the scale "
        "stays near 1. Adam takes steps of about η, whatever the gradient's size.",
    ),
    "noisy": (
        "Pure noise",
        "The gradient is noise around zero: the signs cancel in m̂ but not in √v̂, so the scale shrinks "
        "toward 0 and the parameter barely wanders — Adam refuses to chase noise.",
    ),
    "reversal": (
        "A reversing trend",
        "Every 50 iterations the gradient flips sign. m̂ follows within a few steps and drops through zero "
        "while √v̂ barely moves, so the scale falls through 0 and rebuilds with the opposite sign.",
    ),
}

LEGEND_NOTE = "Faded curves show the previous setting until the next change."

LEGEND_HTML = (
    "<ul class='av-legend' aria-label='legend'>"
    "<li><span class='av-key av-key-g'></span>gradient g</li>"
    "<li><span class='av-key av-key-m'></span>m̂</li>"
    "<li><span class='av-key av-key-v'></span>√v̂</li>"
    "<li><span class='av-key av-key-eps'></span>ε</li>"
    "<li><span class='av-key av-key-scale'></span>scale m̂/(√v̂+ε)</li>"
    "<li><span class='av-key av-key-theta'></span>θ (right axis)</li>"
    "</ul>"
)
"""The plots' key in HTML (canvas legends cost a CSS lookup per item per frame); line styles as well as
colours tell the curves apart."""


DECK = [
    {
        "title": "Steady gradients",
        "scenario": "consistent",
        "settings": {},
        "iteration": 0,
        "text": [
            "Every gradient points the same way, so the running mean m̂ and the running size √v̂ agree.",
            "Their ratio, the scale, sits near 1: Adam steps about η per iteration, however large g is.",
        ],
    },
    {
        "title": "Pure noise",
        "scenario": "noisy",
        "settings": {},
        "iteration": 0,
        "text": [
            "Now the gradient is noise around zero. Its signs cancel in m̂ but not in √v̂.",
            "The scale shrinks toward 0 and θ barely wanders: Adam does not chase noise.",
        ],
    },
    {
        "title": "A reversing trend",
        "scenario": "reversal",
        "settings": {},
        "iteration": 40,
        "text": [
            "Every 50 iterations the gradient flips. m̂ turns within a few steps; √v̂ hardly notices.",
            "So the scale falls through 0 and rebuilds with the other sign — watch iteration 50.",
        ],
    },
    {
        "title": "Bias correction",
        "scenario": "consistent",
        "settings": {"bias_correction": False},
        "iteration": 0,
        "text": [
            "Both averages start at zero. Without correction √v̂ starts relatively smaller than m̂ "
            "(1 − β₂ᵗ ≪ 1 − β₁ᵗ), so the first steps come out up to three times too large.",
            "Press B to divide by 1 − βᵗ again: the scale is near 1 from the very first step.",
        ],
    },
    {
        "title": "A long memory",
        "scenario": "reversal",
        "settings": {"beta1": 0.99},
        "iteration": 40,
        "text": [
            "With β₁ = 0.99, m̂ averages over about 100 steps instead of 10.",
            "After a flip it takes several times longer to turn, and θ keeps moving the old way meanwhile.",
        ],
    },
    {
        "title": "When ε takes over",
        "scenario": "noisy",
        "settings": {"eps": 0.5},
        "iteration": 0,
        "text": [
            "ε is meant to guard against dividing by zero. Make it comparable to √v̂ (the dotted line) "
            "and it, not the gradient history, sets the step size.",
            "The scale shrinks for every stream: Adam drifts toward momentum SGD with a smaller rate.",
        ],
    },
]
"""The lecture: each slide shows one scenario with its settings (on top of the defaults)."""
