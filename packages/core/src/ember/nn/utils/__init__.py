"""``ember.nn.utils``: gradient clipping, parameter/vector conversion and RNN sequence packing."""
