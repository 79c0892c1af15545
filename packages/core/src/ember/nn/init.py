"""``ember.nn.init``: parameter initialisers with PyTorch's fan computations and gains."""
