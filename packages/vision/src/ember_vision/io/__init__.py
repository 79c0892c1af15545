"""Image reading/writing/encoding through Pillow."""
