"""packed_gru computes what nn.GRU computes on a packed batch: outputs, last hidden states and gradients."""

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from leaps.models.packed_gru import packed_gru


def _case(seed: int, enforce_sorted: bool):
    g = torch.Generator().manual_seed(seed)
    gru = torch.nn.GRU(12, 10, batch_first=True)
    x = torch.randn(6, 8, 12, generator=g, requires_grad=True)
    lengths = torch.tensor([8, 6, 6, 3, 2, 1]) if enforce_sorted else torch.tensor([3, 8, 1, 6, 2, 6])
    h0 = torch.randn(1, 6, 10, generator=g, requires_grad=True)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    return gru, x, h0, packed


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_h0", [True, False])
def test_outputs_last_hidden_and_gradients_match_nn_gru(enforce_sorted, with_h0):
    gru, x, h0, packed = _case(0, enforce_sorted)
    start = h0 if with_h0 else None
    ref_out, ref_last = gru(packed, start)
    out, last = packed_gru(gru, packed, start)
    assert out.shape == ref_out.data.shape and last.shape == ref_last.shape == (1, 6, 10)
    assert torch.allclose(out, ref_out.data, atol=1e-6) and torch.allclose(last, ref_last, atol=1e-6)

    weights = torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
    inputs = [x, gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_hh_l0] + ([h0] if with_h0 else [])
    ref_grads = torch.autograd.grad((ref_out.data * weights).sum() + ref_last.sum(), inputs, retain_graph=True)
    grads = torch.autograd.grad((out * weights).sum() + last.sum(), inputs)
    for ref, got in zip(ref_grads, grads, strict=True):
        assert torch.allclose(got, ref, atol=1e-5)


def test_last_hidden_is_each_sequences_own_last_step():
    gru, _, _, packed = _case(2, enforce_sorted=False)
    last = packed_gru(gru, packed)[1][0]
    out = packed_gru(gru, packed)[0]
    # row i of the batch (length 3, 8, 1, ...) ends at its own step: find it in packed order
    sizes = packed.batch_sizes.tolist()
    offsets = [sum(sizes[:t]) for t in range(len(sizes))]
    for i, length in enumerate([3, 8, 1, 6, 2, 6]):
        row = int((packed.sorted_indices == i).nonzero())
        assert torch.equal(last[i], out[offsets[length - 1] + row])


def test_only_a_single_layer_unidirectional_gru():
    _, _, _, packed = _case(0, enforce_sorted=True)
    with pytest.raises(ValueError, match="single-layer, unidirectional"):
        packed_gru(torch.nn.GRU(12, 10, num_layers=2), packed)
