"""The alignment stage's individual-vs-group test on simulated studies, for the power analysis.

Each simulated study's participants get individual models trained from the run's group model,
as the alignment stage trains them (:func:`~varemotion.alignment.individual.train_individual_models`),
and the two models are compared on each participant's held-out trials with the stage's paired
Wilcoxon test (:func:`~varemotion.alignment.evaluation.paired_test`). A study in which nobody has
``min_train_trials`` training trials has no test (p NaN: too few).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from varemotion.alignment.evaluation import paired_test, participant_table, trial_predictions
from varemotion.alignment.individual import eligible_subjects, train_individual_models
from varemotion.alignment.training import FinetuneSettings
from varemotion.alignment.trials import human_trials
from varemotion.models.classifier import Classifier
from varemotion.models.evaluation import predict_logits

INDIVIDUAL_TEST = "individual_vs_group"


def individual_vs_group(group: Classifier, stimulus_ids, images: torch.Tensor, original: torch.Tensor,
                        original_labels, settings: dict, validation_fraction: float, device="cpu"):
    """A function of a simulated trial table giving {individual_vs_group: (p, median gain, NaN)}.

    ``settings`` is the ``alignment.individual`` config section with the stage's seed.
    """
    emotions = list(group.config.emotions)
    group_logits = predict_logits(group, images, device)
    finetune = FinetuneSettings.from_config(settings)

    def test(trials: pd.DataFrame) -> dict:
        human = human_trials(trials, stimulus_ids, emotions, validation_fraction, settings["seed"])
        if not eligible_subjects(human, settings["min_train_trials"]):
            return {INDIVIDUAL_TEST: (np.nan, np.nan, np.nan)}
        models, _ = train_individual_models(group, images, human, original, original_labels, finetune,
                                            settings["ratio"], settings["min_train_trials"], settings["trainable"],
                                            device=device)
        predictions = trial_predictions(human.part("held_out"), {"group": group_logits},
                                        models.logits(images, device).numpy(), models.subjects)
        participants = participant_table(human, predictions, ["group", "individual"])
        result = paired_test(participants["acc_individual"], participants["acc_group"])
        return {INDIVIDUAL_TEST: (result["p"], result["median_difference"], np.nan)}

    return test
