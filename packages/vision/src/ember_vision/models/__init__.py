"""Model architectures with torchvision state_dict keys, and the weights registry."""
