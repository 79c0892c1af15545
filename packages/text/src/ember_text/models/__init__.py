"""Models with Hugging Face compatible ``state_dict`` keys, and torchtext's tutorial model."""

from ember_text.models.bert import BertConfig, BertModel
from ember_text.models.gpt2 import Conv1D, GPT2Config, GPT2LMHeadModel, GPT2Model
from ember_text.models.initialization import no_init_weights
from ember_text.models.outputs import ModelOutput
from ember_text.models.sentence_embedding import SentenceEmbedding, mean_pooling
from ember_text.models.text_classification import TextClassificationModel

__all__ = ["BertConfig", "BertModel", "Conv1D", "GPT2Config", "GPT2LMHeadModel", "GPT2Model",
           "ModelOutput", "SentenceEmbedding", "TextClassificationModel", "mean_pooling",
           "no_init_weights"]
