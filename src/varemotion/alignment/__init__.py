"""Alignment: classifiers fine-tuned on human trials, at group and individual level, and what they predict.

- :mod:`~varemotion.alignment.trials`: the trial table as fine-tuning data (train, validation, held-out);
- :mod:`~varemotion.alignment.mixing`: epochs that mix pools of items at fixed ratios;
- :mod:`~varemotion.alignment.training`: one model, or many at once with ``torch.func``;
- :mod:`~varemotion.alignment.group` and :mod:`~varemotion.alignment.individual`: the two levels;
- :mod:`~varemotion.alignment.models`: individual models stored as stacked weights;
- :mod:`~varemotion.alignment.evaluation`, :mod:`~varemotion.alignment.manipulation`;
- :mod:`~varemotion.alignment.votes`: fine-tuning on FER+ vote distributions;
- :mod:`~varemotion.alignment.stage`: each workflow rule's work, files to files.
"""
