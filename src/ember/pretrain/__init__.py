"""``ember.pretrain``: greedy layer-wise unsupervised pre-training (autoencoders, denoising
autoencoders, RBMs and deep belief networks) of an MLP's hidden layers before fine-tuning."""

from .autoencoder import AutoencoderLayer, AutoencoderTrainer, corrupt
from .greedy import METHODS, OPTIMIZERS, LayerReport, greedy_layerwise
from .rbm import RBM, BernoulliRBM, ContrastiveDivergence, GaussianBernoulliRBM

__all__ = [
    "METHODS",
    "OPTIMIZERS",
    "RBM",
    "AutoencoderLayer",
    "AutoencoderTrainer",
    "BernoulliRBM",
    "ContrastiveDivergence",
    "GaussianBernoulliRBM",
    "LayerReport",
    "corrupt",
    "greedy_layerwise",
]
