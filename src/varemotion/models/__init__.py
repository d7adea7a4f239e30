"""Facial-expression classifiers: any timm architecture behind one interface."""

from varemotion.models.classifier import (
    Classifier,
    ClassifierConfig,
    load_classifier,
    load_pretrained_weights,
    save_classifier,
)
from varemotion.models.evaluation import classification_metrics, predict_logits, predict_proba
from varemotion.models.fit import fit_classifier
from varemotion.models.training import TrainConfig, TrainingData, train_classifier

__all__ = [
    "Classifier",
    "ClassifierConfig",
    "TrainConfig",
    "TrainingData",
    "classification_metrics",
    "fit_classifier",
    "load_classifier",
    "load_pretrained_weights",
    "predict_logits",
    "predict_proba",
    "save_classifier",
    "train_classifier",
]
