"""Canonical emotion names shared by every data set and model."""

#: The seven basic categories of the embedded default, in label order.
BASIC_EMOTIONS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear")

#: Every emotion name a data set may use (FER+ adds contempt).
KNOWN_EMOTIONS = BASIC_EMOTIONS + ("contempt",)
