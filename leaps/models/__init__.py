"""Stage 1: the program VAE, the latent behaviour policy, the grammar mask,
and the LightningModule that trains them."""

from leaps.models.checkpoint import CheckpointError, export_model, load_model, load_module, shipped_models
from leaps.models.grammar import GrammarMask
from leaps.models.module import LeapsModule, ModuleConfig
from leaps.models.vae import ProgramVAE, VAEConfig

__all__ = [
    "CheckpointError",
    "GrammarMask",
    "LeapsModule",
    "ModuleConfig",
    "ProgramVAE",
    "VAEConfig",
    "export_model",
    "load_model",
    "load_module",
    "shipped_models",
]
