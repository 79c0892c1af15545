"""torchtext's classic datasets: real downloads (published URLs and checksums), safe
extraction, and parsers for the real file formats. Each returns an iterable dataset (or a
tuple of them, one per split); :func:`ember_text.data.to_map_style_dataset` gives a
map-style copy."""

from ember_text.datasets.ag_news import AG_NEWS
from ember_text.datasets.imdb import IMDB
from ember_text.datasets.multi30k import Multi30k
from ember_text.datasets.penn_treebank import PennTreebank
from ember_text.datasets.sst2 import SST2
from ember_text.datasets.text_dataset import RawTextIterableDataset
from ember_text.datasets.wikitext import WikiText2, WikiText103
from ember_text.datasets.yelp_review_polarity import YelpReviewPolarity

__all__ = ["AG_NEWS", "IMDB", "Multi30k", "PennTreebank", "RawTextIterableDataset", "SST2",
           "WikiText2", "WikiText103", "YelpReviewPolarity"]
