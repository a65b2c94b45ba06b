"""Regenerate assets/transformer_trace.npz: every layer of a small transformer, recorded while it trains.

A character-level transformer (token and position embeddings, 4 blocks of causal self-attention and an
MLP with LayerNorm before each, a final LayerNorm and a head; about 1.0 M parameters) learns to predict
the next character of Python's own reference documentation — the text ``pydoc_data.topics`` ships
inside every Python installation, so nothing is downloaded. torch.optim.AdamW, two param groups as a
practitioner sets them (weight decay 0.1 on the matrices; none on embeddings, LayerNorm and biases),
β = (0.9, 0.99), a linear warmup over the first 5% of steps then cosine decay to a tenth of η
(``SequentialLR(LinearLR, CosineAnnealingLR)``), batches of 32 × 64 characters, 2,000 steps.

adamviz.record.Recorder keeps every group's r_t percentiles and 8 coordinates each every 20th step; the
token embedding's 8 are rows of the four most frequent characters and of four rare ones (one entry
each), so the cards can set a frequent character's row beside a rare one's.

    pip install torch==2.13.0 && python tests/make_transformer_trace.py
"""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional

from adamviz.record import Recorder

OUT = Path(__file__).resolve().parent.parent / "assets" / "transformer_trace.npz"
STEPS = 2000
WARMUP = STEPS // 20
BATCH, CONTEXT = 32, 64
WIDTH, HEADS, BLOCKS = 144, 4, 4
LR, MIN_LR = 3e-3, 0.1
EVERY = 20
FREQUENT, RARE = 4, 4
RARE_COUNT = 30
"""The rare characters are the four seen nearest this often in the text (of ~465,000): a batch draws one
in about one step in eight, so their rows' gradients are zero on most steps."""


def corpus() -> str:
    """Python's reference documentation (pydoc's topics), in a fixed order."""
    from pydoc_data.topics import topics

    return "\n".join(topics[key] for key in sorted(topics))


class Block(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.proj = nn.Linear(width, width, bias=False)
        self.ln2 = nn.LayerNorm(width)
        self.fc = nn.Linear(width, 4 * width, bias=False)
        self.out = nn.Linear(4 * width, width, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        attended = functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(attended.transpose(1, 2).reshape(b, t, c))
        return x + self.out(functional.gelu(self.fc(self.ln2(x))))


class CharTransformer(nn.Module):
    """A GPT-style decoder: token and position embeddings, ``blocks`` pre-LayerNorm blocks, a head."""

    def __init__(
        self,
        vocabulary: int,
        width: int = WIDTH,
        heads: int = HEADS,
        blocks: int = BLOCKS,
        context: int = CONTEXT,
    ) -> None:
        super().__init__()
        self.tok_emb = nn.Embedding(vocabulary, width)
        self.pos_emb = nn.Embedding(context, width)
        self.blocks = nn.Sequential(*(Block(width, heads) for _ in range(blocks)))
        self.ln_f = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocabulary, bias=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                residual = name.endswith(("proj.weight", "out.weight"))
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * blocks) if residual else 0.02)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(tokens.shape[1])
        x = self.blocks(self.tok_emb(tokens) + self.pos_emb(positions))
        return self.head(self.ln_f(x))


def main() -> None:
    torch.manual_seed(0)
    text = corpus()
    counts = Counter(text)
    characters = sorted(counts)
    code = {c: i for i, c in enumerate(characters)}
    data = torch.tensor([code[c] for c in text], dtype=torch.long)
    model = CharTransformer(len(characters))
    named = list(model.named_parameters())
    decay = [(n, p) for n, p in named if p.dim() == 2 and "emb" not in n]
    no_decay = [(n, p) for n, p in named if not (p.dim() == 2 and "emb" not in n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=LR,
        betas=(0.9, 0.99),
    )
    schedule = torch.optim.lr_scheduler.SequentialLR(
        optimizer,
        [
            torch.optim.lr_scheduler.LinearLR(optimizer, 1 / WARMUP, 1.0, WARMUP - 1),
            torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, STEPS - WARMUP - 1, MIN_LR * LR),
        ],
        milestones=[WARMUP - 1],
    )
    # the token embedding's rows of the most frequent and of the rarest characters, one entry each
    frequent = sorted(characters, key=lambda c: (-counts[c], c))[:FREQUENT]
    rare = sorted(characters, key=lambda c: (abs(counts[c] - RARE_COUNT), c))[:RARE]
    rows = [code[c] for c in frequent + rare]
    columns = torch.randperm(WIDTH, generator=torch.Generator().manual_seed(1))[: len(rows)]
    chosen = {"tok_emb.weight": [row * WIDTH + int(col) for row, col in zip(rows, columns, strict=True)]}
    order = torch.Generator().manual_seed(0)
    params = sum(p.numel() for p in model.parameters())
    started = time.monotonic()
    with Recorder(optimizer, OUT, every=EVERY, seed=0, model=model, coordinates=chosen, flush_seconds=1e9):
        for step in range(STEPS):
            starts = torch.randint(len(data) - CONTEXT - 1, (BATCH,), generator=order)
            x = torch.stack([data[s : s + CONTEXT] for s in starts])
            y = torch.stack([data[s + 1 : s + CONTEXT + 1] for s in starts])
            loss = functional.cross_entropy(model(x).reshape(-1, len(characters)), y.reshape(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if step % 200 == 0 or step == STEPS - 1:
                print(
                    f"step {step + 1}: loss {loss.item():.3f} ({time.monotonic() - started:.0f} s)",
                    flush=True,
                )
    shown = ", ".join(f"{c!r} ({counts[c]:,})" for c in frequent + rare)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes): {params:,} parameters, characters {shown}")


if __name__ == "__main__":
    main()
