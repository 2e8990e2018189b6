"""Multi-step jobs built only from the resources."""

from .episodes import EpisodeMatchReport, HrmEpisode, match_episodes

__all__ = ["EpisodeMatchReport", "HrmEpisode", "match_episodes"]
