"""The README's demo (examples/lightning_cnn.py) trains for real and reports a test accuracy."""

import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "examples" / "lightning_cnn.py"


def test_demo_trains_and_tests_a_cnn(tmp_path):
    if not DEMO.exists():
        pytest.skip("examples/lightning_cnn.py not found next to the tests")
    # 12,000 training images: a fraction of Fashion-MNIST (when installed) keeps this test short
    done = subprocess.run([sys.executable, str(DEMO), "--max-epochs", "1", "--min-accuracy",
                           "0.75", "--train-size", "12000", "--root", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "test accuracy" in done.stdout
    assert list(tmp_path.glob("lightning_logs/version_0/checkpoints/*.ckpt"))
    assert (tmp_path / "lightning_logs" / "version_0" / "metrics.csv").exists()


def test_accelerator_is_any_registered_backend(tmp_path):
    """accelerator= comes from ember's device registry: the third-party fake backend works."""
    pytest.importorskip("ember_fake", reason="the fake backend package is installed by nox")
    import ember
    import ember.nn as nn
    from ember.utils.data import DataLoader, TensorDataset
    from ember_lightning import LightningModule, Trainer

    class Tiny(LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(3, 1)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return nn.functional.mse_loss(self.layer(x), y)

        def configure_optimizers(self):
            return ember.optim.SGD(self.parameters(), lr=0.1)

    ember.manual_seed(0)
    data = TensorDataset(ember.randn(16, 3), ember.randn(16, 1))
    model = Tiny()
    trainer = Trainer(max_epochs=2, accelerator="fake", default_root_dir=tmp_path,
                      enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, DataLoader(data, batch_size=4))
    assert model.layer.weight.device.type == "fake" and trainer.global_step == 8
    with pytest.raises(Exception, match="no_such_backend"):
        Trainer(accelerator="no_such_backend")
