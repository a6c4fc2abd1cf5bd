"""A single-layer GRU over a packed batch, written out step by step with the
``nn.GRU``'s own weights.

Why: on the CPU, ``nn.GRU`` on a ``PackedSequence`` slices the packed input
once per time step, and the backward of each slice allocates and zero-fills a
gradient the size of the *whole* packed input: for the L loss's policy
(~13,000 valid steps of 518 features, up to 21 steps) that zero-filling took more
time than the GRU's arithmetic (and the same for the program encoder over
~11,000 tokens of a batch). Here the input projection is one matrix
product over all valid steps, split once into the steps' blocks (its backward
is one concatenation), and each step multiplies only the hidden states still
running. Same function as ``nn.GRU`` (gates r, z, n in PyTorch's order). On a
GPU it hands the batch to ``nn.GRU`` (cuDNN's fused kernel).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence


def packed_gru(
    gru: nn.GRU, packed: PackedSequence, h0: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``gru`` (one layer, one direction) over ``packed``, as ``gru(packed, h0)``: the outputs in
    ``packed.data``'s order, (N, hidden), and each sequence's last hidden state, (1, batch, hidden), in the batch's
    own order. ``h0`` is (1, batch, hidden) in the batch's own order."""
    if packed.data.is_cuda:  # cuDNN runs a packed batch in one fused call, without the CPU path's zero-filling
        out, last = gru(packed, h0)
        return out.data, last
    if gru.num_layers != 1 or gru.bidirectional:
        raise ValueError("packed_gru runs a single-layer, unidirectional GRU")
    sizes = packed.batch_sizes.tolist()
    if h0 is None:
        h = packed.data.new_zeros(sizes[0], gru.hidden_size)
    else:
        h = h0[0] if packed.sorted_indices is None else h0[0].index_select(0, packed.sorted_indices.to(h0.device))
    w_hh, b_hh = gru.weight_hh_l0, gru.bias_hh_l0
    inputs = torch.split(nn.functional.linear(packed.data, gru.weight_ih_l0, gru.bias_ih_l0), sizes)
    outputs, finished = [], []  # finished: the rows whose sequences ended, last rows first
    for gi, size in zip(inputs, sizes, strict=True):
        if size < h.shape[0]:
            finished.append(h[size:])
            h = h[:size]
        gh = nn.functional.linear(h, w_hh, b_hh)
        i_r, i_z, i_n = gi.chunk(3, dim=1)
        h_r, h_z, h_n = gh.chunk(3, dim=1)
        reset = torch.sigmoid(i_r + h_r)
        update = torch.sigmoid(i_z + h_z)
        new = torch.tanh(i_n + reset * h_n)
        h = new + update * (h - new)
        outputs.append(h)
    last = torch.cat([h, *reversed(finished)])
    if packed.unsorted_indices is not None:
        last = last.index_select(0, packed.unsorted_indices)
    return torch.cat(outputs), last[None]
