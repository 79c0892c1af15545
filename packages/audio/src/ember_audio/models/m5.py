"""M5 (Dai et al., 2017, "Very deep convolutional neural networks for raw waveforms"), the
keyword-spotting CNN of torchaudio's speech-command tutorial."""

from __future__ import annotations

import ember.nn.functional as F
from ember import nn

__all__ = ["M5"]


class M5(nn.Module):
    r"""M5: four Conv1d → BatchNorm → ReLU → MaxPool(4) blocks on the raw waveform, global
    average pooling, then a linear classifier.

    Args:
        n_input: input channels (default 1).
        n_output: classes (default 35, the Speech Commands words).
        stride: stride of the first (kernel 80) convolution (default 16).
        n_channel: channels of the first blocks (the last two have twice as many).

    Shape:
        ``(batch, n_input, time)`` → ``(batch, 1, n_output)`` log-probabilities (``time`` at
        least about 8000 samples for the four poolings).

    Examples:
        >>> model = M5(n_output=10)
        >>> model(waveforms).shape     # waveforms: (32, 1, 8000), 1 s at 8 kHz
        ember.Size([32, 1, 10])
    """

    def __init__(self, n_input: int = 1, n_output: int = 35, stride: int = 16,
                 n_channel: int = 32):
        super().__init__()
        self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=80, stride=stride)
        self.bn1 = nn.BatchNorm1d(n_channel)
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(n_channel)
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
        self.bn3 = nn.BatchNorm1d(2 * n_channel)
        self.pool3 = nn.MaxPool1d(4)
        self.conv4 = nn.Conv1d(2 * n_channel, 2 * n_channel, kernel_size=3)
        self.bn4 = nn.BatchNorm1d(2 * n_channel)
        self.pool4 = nn.MaxPool1d(4)
        self.fc1 = nn.Linear(2 * n_channel, n_output)

    def forward(self, x):
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))
        x = self.pool2(F.relu(self.bn2(self.conv2(x))))
        x = self.pool3(F.relu(self.bn3(self.conv3(x))))
        x = self.pool4(F.relu(self.bn4(self.conv4(x))))
        x = F.avg_pool1d(x, x.shape[-1])
        x = self.fc1(x.permute(0, 2, 1))
        return F.log_softmax(x, dim=2)
