"""Who speaks when: the machine transcript's speakers, from channels, turn hints (and, for one-channel
recordings, speaker segmentation), named from the course's roster."""
from .attribute import AttributionResult, ChannelSpeaker, SpeakerHints, attribute
from .stage import AttributeJob, attribute_speakers, channel_speakers, check, preflight, speaker_names, tasks

__all__ = ["AttributeJob", "AttributionResult", "ChannelSpeaker", "SpeakerHints", "attribute", "attribute_speakers",
           "channel_speakers", "check", "preflight", "speaker_names", "tasks"]
