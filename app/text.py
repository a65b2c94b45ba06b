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

DESCRIPTION = (
    "An interactive explorer of how the Adam optimizer adapts each parameter's learning rate: running "
    "averages m̂ and √v̂ of seeded gradient streams, and the step they make, next to SGD, momentum and "
    "RMSProp."
)
"""The page's description for search engines and link previews (meta description, og:description)."""

INTRO = (
    "Adam keeps two running averages for every parameter: <b class='av-m'>m̂</b>, where the gradient has "
    "been pointing lately, and <b class='av-v'>√v̂</b>, how large it has been regardless of sign. Their "
    "ratio, the <b>learning-rate scale</b>, decides how far a step goes: near ±1 when the two agree, near 0 "
    "when the gradient keeps changing its mind. Each card below feeds Adam a different gradient stream; "
    "<i>Many parameters</i> feeds it a thousand at once."
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
    "sparse": (
        "A rare gradient",
        "The gradient is 1 on one step in ten and 0 otherwise, like the embedding row of a rare word. √v̂ "
        "averages the squares, about 0.1, so √v̂ ≈ 0.3: each rare gradient gets about 3 (1/√0.1) times "
        "the step a parameter with a gradient of 1 on every step would get — 2½ to 5 times, as the rare "
        "gradients happen to fall.",
    ),
    "shrinking": (
        "A gradient that shrinks",
        "After step 100 the gradient drops 100-fold. m̂ follows within a few dozen steps; √v̂ remembers "
        "the large gradients for hundreds, so the scale collapses and only slowly climbs back.",
    ),
    "bowl": (
        "A bowl: the gradient answers to θ",
        "f(θ) = ½θ², no noise: the gradient is θ itself, so every step changes the next gradient. Gradient "
        "descent's step is the gradient and slides to 0; Adam's stays near η however small the slope gets, "
        "so θ runs past 0 and swings back across it, and m̂ turns with every crossing.",
    ),
    "mlp": (
        "A real network's weight",
        "One first-layer weight of a small network (64 → 32 → 10) learning scikit-learn's handwritten "
        "digits, recorded from torch.optim.Adam at its defaults. Its gradient flips sign on nearly half "
        "the steps, so m̂ stays far below √v̂: over the last 500 steps Adam moves it by less than a fifth "
        "of η on average. Faded: what the run itself had.",
    ),
    "transformer": (
        "A rare character's embedding entry",
        "One entry of the row for ‘ (a curly quote: 32 of the 465,000 characters) in the token embedding of a "
        "small character-level transformer, recorded every 20th step of its AdamW run (warmup, then cosine). "
        "Most batches hold no ‘, so on most steps its gradient is 0 and m̂ fades until the next one. Its "
        "gradients are 8 to 16 times smaller than those of the rows of space, e, t and a, yet when it does "
        "appear its median step, 0.28 of that step's learning rate, is larger than theirs (0.11–0.15): "
        "Adam divides each entry by its own history, so a rare row is not drowned out by the frequent ones.",
    ),
    "x": (
        "Coordinate x",
        "The path's x: the gradient the loop met at each step (lollipops), m̂, √v̂ and the step it took.",
    ),
    "y": (
        "Coordinate y",
        "The path's y, the valley's steep direction: gradients many times larger than x's, yet Adam's step "
        "is about η on both — each coordinate divided by its own √v̂.",
    ),
    "y@valley-rotated": (
        "Coordinate y",
        "The path's y. Turned 45°, the valley's steep and shallow directions each mix x and y, so both "
        "coordinates meet the steep wall's large gradients, and Adam's per-coordinate division helps less.",
    ),
    "x@rosenbrock": (
        "Coordinate x",
        "The path's x: the gradient the loop met at each step (lollipops), m̂, √v̂ and the step it took. "
        "The valley's floor is the curve y = x²; x travels along it toward a.",
    ),
    "y@rosenbrock": (
        "Coordinate y",
        "The path's y. The wall across the curved floor y = x² is b = 100 times steeper than the floor's "
        "slope, so y's gradient is large whenever the path leaves the floor.",
    ),
    "θ": (
        "θ",
        "The bowl's one coordinate: the gradient it met at each step, m̂, √v̂ and the step it took.",
    ),
}

STEP_AXIS_LABEL = "step / η"
STEP_AXIS_SYMLOG = "step / η (symlog)"
"""The lower panel's axis. Each optimizer's step in units of η: for Adam without weight decay that is
the scale m̂/(√v̂+ε). When a compared optimizer's steps dwarf the main one's (SGD at 10⁶× gradients),
the step and θ axes turn symmetric-logarithmic — linear within ±1 (θ: within the main optimizer's
largest |θ|), one decade per tick beyond — and the label says so."""

PRESETS_TITLE = "Presets:"

ADAMW_VS_L2 = {
    "optimizer": "adamw",
    "compare": ["adam"],
    "weight_decay": 0.5,
    "grad_scale": 2,
    "iterations": 1000,
}
"""Gradients of ~100 and a strong decay: where L2 and decoupled decay part ways (a preset and a slide)."""

FLOAT16_EPS = {"precision": "float16", "grad_scale": -4, "eps": 1e-6}
"""Gradients of ~1e-4 in float16, with ε raised to 1e-6: v is 0, the steps m̂/ε (a preset and a slide)."""

PRESETS = [
    {
        "name": "sign-descent",
        "label": "Sign descent",
        "key": "1",
        "settings": {"beta1": 0.0, "beta2": 0.0},
        "about": "β₁ = β₂ = 0: the scale is g/(|g|+ε), the sign of the gradient.",
    },
    {
        "name": "equal-betas",
        "label": "β₁ = β₂",
        "key": "2",
        "settings": {"beta1": 0.99, "beta2": 0.99},
        "about": "Both averages over one window: |m̂| ≤ √v̂, so |scale| < 1 on every step.",
    },
    {
        "name": "adam-vs-sgd",
        "label": "Adam vs SGD",
        "key": "3",
        "settings": {"optimizer": "adam", "compare": ["sgd"], "grad_scale": 2},
        "about": "Gradients ×100: Adam's steps stay about η; SGD's grow 100-fold.",
    },
    {
        "name": "adamw-vs-l2",
        "label": "AdamW vs Adam + L2",
        "key": "4",
        "settings": ADAMW_VS_L2,
        "about": "With L2 the decay w·θ is divided by √v̂ (here ~100): barely any decay. AdamW decays θ alike.",
    },
    {
        "name": "adam-then-sgd",
        "label": "Adam, then SGD",
        "key": "6",
        "settings": {"switch_at": 100},
        "about": "Adam for 100 steps, then SGD with momentum from a fresh buffer, at a rate matching Adam's steps.",
    },
    {
        "name": "warmup-cosine",
        "label": "Warmup + cosine",
        "key": "5",
        "settings": {"schedule": "cosine", "warmup": 20, "min_lr": 0.1},
        "about": "20 steps of warmup, then a cosine down to η/10: every step is lr_t × the same scale.",
    },
    {
        "name": "float16-eps",
        "label": "float16 and ε",
        "key": "7",
        "settings": FLOAT16_EPS,
        "about": "Gradients of ~1e-4 in float16: v rounds to 0, so each step is m̂/ε. At ε = 1e-8 (0 in float16), θ is lost at once.",
    },
]
"""One click (or key, in a focused explorer) each; in the URL as ``preset=NAME``. A preset resets the
optimizer settings to their defaults, then applies its own; seed, speed and window stay."""

POPULATION = {
    "title": "Many parameters at once",
    "text": (
        "Each dot is one parameter with its own gradient: sizes from 0.001 to 1,000, spreads from steady "
        "to mostly noise, one in ten sparse. Left: the 10th, 50th and 90th percentile of r = |m̂|/(√v̂+ε), "
        "each parameter's step in units of η. Right: every parameter's step against its gradient's spread "
        "γ = σ/|μ|, coloured by size; the dashed curve is 1/√(γ²+1)."
    ),
    "bands_axis": "r = |m̂|/(√v̂+ε)",
    "step_axis": "effective step η·r",
    "scatter_axis": "|step|/η",
    "spread_true": "spread γ = σ/|μ| (true)",
    "spread_estimated": "spread γ̂ = √(v̂ − m̂²)/|m̂| (Adam's estimate)",
    "spread_none": "spread γ = σ/|μ| (true; this optimizer keeps no v̂)",
    "magnitude_bar": "log₁₀ gradient RMS",
    "noise_label": "pure noise",  # the legend and the readout say what it is: its RMS, √((1−β₁)/(1+β₁))
    "equal_betas": "β₁ = β₂ ⇄ (E)",
    "spread_options": ["true γ", "Adam's γ̂"],
    "view_options": ["Cards", "Many parameters", "Closed loop", "Layers"],
}
"""The many-parameters view's words (assets/views/population.js writes the readout from these and numbers)."""

LAYERS = {
    "title": "Every layer at a glance",
    "text": (
        "One row per recorded tensor of the loaded run, in the model's order; one column per recorded step. "
        "The colour is the median over the tensor's entries of r = |m̂|/(√v̂+ε), each entry's step in units "
        "of the learning rate: dark rows barely move. Above, the learning rate each group stepped with; "
        "below, the p10–p90 band of r for the row under the pointer. Click a row to open its coordinates' cards."
    ),
    "rate_axis": "lr_t",
    "step_axis": "training step",
    "colour_bar": "r_t p50",
    "band_axis": "r_t p10–p90",
    "empty": (
        "No training run is loaded. Load a trace recorded with adamviz.record (the button below the "
        "transport, or drop the file here), or open the page with ?trace=transformer."
    ),
    "no_percentiles": "{source} is a gradient log: it records no r_t, so there is nothing to map.",
    "frozen_some": (
        "Frozen by the denominator — nine entries in ten stepping under {threshold} of the learning rate "
        "over the last 10% of the records (p90 of r_t), outlined: {count} group(s):"
    ),
    "frozen_none": (
        "No group is frozen by the denominator: in every one, at least one entry in ten still steps "
        "{threshold} of the learning rate or more over the last 10% of the records (p90 of r_t)."
    ),
    "frozen_word": "frozen by the denominator",
    "hint": "point at a row for its numbers; click it to open its coordinates' cards",
    "click": "click to open its coordinates' cards",
}
"""The Layers view's words (assets/views/layers.js writes its findings and readout from these and the run)."""

VALLEY = {
    "title": "A closed loop: the gradient answers to θ",
    "text": {
        "valley": (
            "A narrow valley, κ times steeper across than along. Each path starts at the ring (click the map "
            "to move it) and follows its optimizer's steps; the cards below show each coordinate's "
            "gradients, m̂, √v̂ and steps. Gradient descent's step is the gradient: large across, tiny along. "
            "Adam divides each coordinate by its own √v̂, so both get steps of about η."
        ),
        "rosenbrock": (
            "Rosenbrock's banana: a curved valley whose floor leads slowly to the minimum (the cross). Click "
            "the map to start elsewhere. Adam's steps stay about η long while the slope changes a "
            "thousandfold along the way."
        ),
        "bowl": (
            "The plain bowl f(θ) = ½·h·θ². Gradient descent's step is proportional to the slope and fades "
            "as it nears the bottom. Adam's step is about η/√(γ̂²+1), set by how much the recent gradients "
            "disagree (γ̂ = √(v̂ − m̂²)/|m̂|), not by their size, so it does not fade: θ nears the bottom "
            "far sooner, and given more iterations it runs past and keeps crossing it."
        ),
    },
    "problem_options": ["bowl", "valley", "rosenbrock"],
    "loss_axis": "loss f(θ)",
    "m_axis": "|m̂|",
    "step_axis": "|step|",
    "spread_axis": "γ̂ = √(v̂ − m̂²)/|m̂|",
    "law_axis": "|step|/η",
    "law_label": "1/√(γ̂² + 1)",
    "loss_title": "Loss",
    "moment_title": "|m̂| against |step|",
    "law_title": "|step|/η against γ̂",  # the x axis says what γ̂ is
    "iteration_bar": "iteration",
    "start": "start",
    "minimum": "minimum",
}
"""The closed-loop view's words (assets/views/valley.js writes the readout from these and numbers)."""

KEYS = (
    ("Space", "play / pause"),
    ("← / →", "one step back / forward"),
    ("Shift + ← / →", "ten steps"),
    ("Home / End", "first / last iteration"),
    ("PageUp / PageDown, P / N", "previous / next slide"),
    ("R", "reset to iteration 0"),
    ("B", "bias correction on / off"),
    ("E", "β₁ = β₂ and back (the many-parameters view's scatter tightens)"),
    (
        "1 – 7",
        "presets: sign descent, β₁ = β₂, Adam vs SGD, AdamW vs Adam + L2, warmup + cosine, Adam then SGD, float16 and ε",
    ),
    ("C", "on a slide: every control, or only those the slide names"),
    ("F", "full screen"),
    ("?", "this help (Esc closes)"),
)
"""The keyboard, as the page's help lists it (assets/views/lecture.js binds them) and the docs show it."""

LEGEND_NOTE = "Faded curves show the previous setting until the next change."
RECORDED_NOTE = (
    "Faded curves show what the recorded run had on its cards (elsewhere, the previous setting until "
    "the next change)."
)
"""The legend note once a training run's coordinates are cards (a page opened on one, or a file loaded)."""

LEGEND_ITEMS = [
    ("moments", "<li><span class='av-key av-key-g'></span>gradient g</li>"),
    ("moments", "<li><span class='av-key av-key-m'></span>m̂</li>"),
    ("moments", "<li><span class='av-key av-key-v'></span>√v̂</li>"),
    ("moments", "<li><span class='av-key av-key-eps'></span>ε</li>"),
    ("step", "<li><span class='av-key av-key-scale'></span>step/η (Adam: the scale m̂/(√v̂+ε))</li>"),
    ("step@schedule", "<li><span class='av-key av-key-scale'></span>step/η = lr_t/η × (Adam) the scale</li>"),
    ("theta", "<li><span class='av-key av-key-theta'></span>θ (right axis)</li>"),
    ("step@schedule", "<li><span class='av-key av-key-rate'></span>lr_t/η: the schedule</li>"),
]
"""The plots' key in HTML (canvas legends cost a CSS lookup per item per frame); line styles as well as
colours tell the curves apart. Each item belongs to a panel: the page lists only the panels shown;
``step@schedule`` items replace the ``step`` one while a schedule changes the learning rate."""


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
        "title": "Why warm up",
        "scenario": "noisy",
        "settings": {"warmup": 20, "iterations": 200},
        "iteration": 9,
        "text": [
            "On noise Adam's first step is a full η (m̂ and √v̂ come from one gradient) and the first ten "
            "average 0.2–0.8 η: more than the 0.1–0.3 η it settles to after step 100, when √v̂ knows more.",
            "A 20-step warmup (dotted) multiplies step t by t/20: those ten shrink to 0.04–0.2 η. Slide "
            "Warmup to 0 to compare.",
        ],
    },
    {
        "title": "Schedules multiply, Adam divides",
        "scenario": "consistent",
        "settings": {"schedule": "cosine", "warmup": 40, "min_lr": 0.1, "iterations": 400, "window": 0},
        "iteration": 399,
        "text": [
            "lr_t (dotted): 40 steps of warmup, then a cosine from η down to η/10.",
            "The scale m̂/(√v̂+ε) is the same as without it, near 1: each step is lr_t times it.",
        ],
    },
    {
        "title": "Adam, then SGD",
        "scenario": "consistent",
        "settings": {"switch_at": 100, "iterations": 200, "window": 0},
        "iteration": 199,
        "text": [
            "Adam for 100 steps, then SGD with momentum μ = 0.9 from a fresh buffer b (dashed rule; then blue).",
            "Its rate lr′ ≈ η/10 matches Adam's steps once b has grown to g/(1 − μ) ≈ 10 g: within 12%.",
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
    {
        "title": "Half precision and ε",
        "scenario": "consistent",
        "settings": FLOAT16_EPS,
        "controls": ["eps"],
        "iteration": 30,
        "text": [
            "In float16, (1 − β₂)·g² ≈ 1e-11 rounds to 0: v stays 0, and each step is m̂/ε, 100 η here.",
            "At ε = 1e-8, itself 0 in float16, θ = −∞ after one step: raise ε, or keep the state in float32.",
        ],
    },
    {
        "title": "Adam vs SGD: the size of the gradient",
        "scenario": "consistent",
        "settings": {"compare": ["sgd"], "grad_scale": 2},
        "iteration": 30,
        "text": [
            "The same gradients, 100 times larger. SGD's step is η·g: about 100 η now (red).",
            "Adam's step/η stays near 1, the same to seven digits: m̂ and √v̂ grow together.",
        ],
    },
    {
        "title": "Momentum is Adam's m, undamped",
        "scenario": "consistent",
        "settings": {"optimizer": "momentum", "compare": ["adam"]},
        "iteration": 60,
        "text": [
            "Momentum SGD keeps b = μ·b + g: Adam's m without the (1 − β₁) and without √v̂.",
            "On a steady gradient its steps build up to about 1/(1 − μ) = 10 g; Adam's stay near η.",
        ],
    },
    {
        "title": "RMSProp: Adam without m",
        "scenario": "noisy",
        "settings": {"optimizer": "rmsprop", "compare": ["adam"]},
        "iteration": 40,
        "text": [
            "RMSProp divides g by √v — no m, no bias correction: its first step is 1/√(1 − β₂) ≈ 32 η.",
            "On noise nothing averages the signs away: its steps are over ten times Adam's.",
        ],
    },
    {
        "title": "Sparse gradients get big steps",
        "scenario": "sparse",
        "settings": {},
        "iteration": 150,
        "text": [
            "A gradient of 1 on one step in ten, else 0: a rare word's embedding row.",
            "√v̂ ≈ √0.1 ≈ 0.3, so η/(√v̂+ε) is about 3 times (2½ to 5) that of a gradient of 1 every step.",
        ],
    },
    {
        "title": "A shrinking gradient and β₂",
        "scenario": "shrinking",
        "settings": {"beta2": 0.99, "iterations": 1500, "window": 0},
        "iteration": 90,
        "text": [
            "After step 100 g drops 100-fold. m̂ follows in a few dozen steps; √v̂ needs ~100 to halve.",
            "The scale falls to ~0.01, back past 0.5 only at step 800–950 (β₂ = 0.999: below 0.2 at 1,500).",
        ],
    },
    {
        "title": "AdamW vs Adam + L2",
        "scenario": "consistent",
        "settings": {**ADAMW_VS_L2, "window": 0},
        "iteration": 999,
        "text": [
            "Gradients ~100, decay w = 0.5. AdamW shrinks θ by 1 − ηw every step: θ settles near −2.",
            "Adam + L2 adds w·θ to g and divides it by √v̂ ≈ 100: θ is past −9 by step 1,000.",
        ],
    },
    {
        "title": "Which parameters learn?",
        "scenario": "noisy",
        "settings": {"view": "population", "iterations": 1000},
        "iteration": 999,
        "text": [
            "A thousand parameters, each with its own gradient: sizes from 0.001 to 1,000, spreads from "
            "steady to mostly noise, one in ten sparse. The band: the 10th to 90th percentile of "
            "r = |m̂|/(√v̂+ε), the step in units of η.",
            "After 1,000 steps the median r is about two thirds and the 90th percentile about 1, though the "
            "gradients differ a millionfold; most of the bottom tenth are sparse or mostly noise. In a real "
            "run, watch these per layer: a low median means steps held back by a large √v̂.",
        ],
    },
    {
        "title": "Spread, not size, sets the step",
        "scenario": "noisy",
        "settings": {"view": "population", "iterations": 3000, "beta1": 0.999, "beta2": 0.999},
        "iteration": 2999,
        "text": [
            "Each dot: one parameter after 3,000 steps at β₁ = β₂ = 0.999, its step against its gradient's "
            "spread γ = σ/|μ|, coloured by the gradient's size. Every colour falls on one curve, "
            "1/√(γ²+1): nine in ten within 8% of it.",
            "Press E for β₁ = 0.9: m̂ now averages fewer steps than √v̂, and the same parameters spread from "
            "about half to nearly twice the curve. Against Adam's own estimate γ̂ at β₁ = β₂, every dot "
            "sits on the curve.",
        ],
    },
    {
        "title": "A narrow valley",
        "scenario": "consistent",
        "settings": {
            "view": "valley",
            "problem": "valley",
            "condition": 1000.0,
            "compare": ["sgd"],
            "iterations": 400,
        },
        "iteration": 30,
        "text": [
            "A valley a thousand times steeper across (y) than along (x). Gradient descent's step is η·g: "
            "across, it overshoots the floor on every step and zig-zags; along, the slope is so slight that in "
            "400 steps it covers only about half the way (press Space).",
            "Adam divides each coordinate's m̂ by that coordinate's own √v̂, so both take steps of about η "
            "(the readout's |step|/η: near 1 for x and for y): its path leaves at 45° and covers over 85% of "
            "the way in 400 steps.",
        ],
    },
    {
        "title": "Near the bottom",
        "scenario": "consistent",
        "settings": {
            "view": "valley",
            "problem": "bowl",
            "start_x": 1.0,
            "beta1": 0.99,
            "beta2": 0.99,
            "compare": ["sgd"],
            "iterations": 3000,
            "window": 0,
        },
        "iteration": 2999,
        "text": [
            "The plain bowl f(θ) = ½θ², no noise. Gradient descent's step is η·θ: it shrinks with θ, which "
            "slides to 0 and never crosses it.",
            "Adam's step is η/√(γ̂²+1), every dot on the curve (right): near η until the recent gradients "
            "disagree. So θ runs past the bottom, m̂ turns, and θ crosses back — 580 times in these 3,000 steps.",
        ],
    },
]
"""The lecture: each slide shows one scenario with its settings (on top of the defaults) and the controls
of those settings (or those its ``controls`` names); the
many-parameters and closed-loop slides show their view instead (their scenario is not drawn)."""
