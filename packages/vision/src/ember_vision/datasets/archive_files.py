"""The files of a dataset published as one archive, each listed with its MD5 (CIFAR, STL10)."""

from __future__ import annotations

import os

from ember_vision.datasets.utils import (
    check_integrity,
    dataset_not_found,
    download_and_extract_archive,
)


class ArchiveFilesMixin:
    """For a dataset class whose files are extracted from the archive ``url`` (saved as
    ``filename``, MD5 ``tgz_md5``) into ``root/base_folder``.

    The class sets those four attributes and lists its files, ``[name, md5]`` pairs, in
    ``_files()``; it calls :meth:`_check_or_download` from ``__init__``.
    """

    base_folder: str
    url: str
    filename: str
    tgz_md5: str
    root: str

    def _files(self) -> list[list[str]]:
        raise NotImplementedError(f"{type(self).__name__} must list its files in _files()")

    def _path(self, name: str) -> str:
        return os.path.join(self.root, self.base_folder, name)

    def _check_integrity(self) -> bool:
        return all(check_integrity(self._path(name), md5) for name, md5 in self._files())

    def _check_or_download(self, download: bool) -> None:
        """Download first if asked; then every file must be there with its MD5, or the error
        lists where each is expected."""
        if download:
            self.download()
        if not self._check_integrity():
            raise dataset_not_found(self._path(name) for name, _ in self._files())

    def download(self) -> None:
        """Download the archive into ``root`` and extract it there, unless the files are
        already there with the right MD5."""
        if self._check_integrity():
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename,
                                     md5=self.tgz_md5)
