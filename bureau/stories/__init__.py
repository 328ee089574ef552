"""The demo's stories, one per region of the seed, as the partners' events that tell them."""

from bureau.stories.amsterdam import amsterdam, expected_pairs
from bureau.stories.haarlem import haarlem
from bureau.stories.rotterdam import rotterdam
from bureau.stories.story import Chapter, Story
from bureau.stories.utrecht import utrecht
from bureau.stories.zeeland import zeeland

__all__ = ["STORIES", "Chapter", "Story", "expected_pairs"]

STORIES = {
    "amsterdam": amsterdam,
    "haarlem": haarlem,
    "rotterdam": rotterdam,
    "utrecht": utrecht,
    "zeeland": zeeland,
}
"""Each seed region and how to build its story."""
