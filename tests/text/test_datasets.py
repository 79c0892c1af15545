"""The datasets on small archives in each one's real format, served from 127.0.0.1: download
(MD5 / SHA-256 checked), safe extraction, parsing, caching, DataLoader workers."""

import hashlib
import io
import tarfile
import zipfile

import pytest

import ember
from ember.utils.data import DataLoader
from ember_text import datasets
from ember_text.data import to_map_style_dataset
from ember_text.datasets import ag_news, imdb, multi30k, penn_treebank, sst2, wikitext
from ember_text.datasets import yelp_review_polarity as yelp


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def write_tar_gz(path, members: dict[str, str]):
    with tarfile.open(path, "w:gz") as tar:
        for name, text in members.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def write_zip(path, members: dict[str, str]):
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


AG_TRAIN = ('"3","Wall St. Bears Claw Back Into the Black (Reuters)","Reuters - Short-sellers, '
            'Wall Street\'s dwindling\\band of ultra-cynics, are seeing green again."\n'
            '"4","Quoted ""title"", with comma","Second, description"\n'
            '"1","World news","Text"\n')


@pytest.fixture
def ag_news_served(http_server, monkeypatch):
    folder, base = http_server
    (folder / "train.csv").write_text(AG_TRAIN, encoding="utf-8")
    (folder / "test.csv").write_text('"2","Sports","A match"\n', encoding="utf-8")
    monkeypatch.setattr(ag_news, "URL", {s: f"{base}/{s}.csv" for s in ("train", "test")})
    monkeypatch.setattr(ag_news, "MD5", {s: md5(folder / f"{s}.csv") for s in ("train", "test")})
    return folder


def test_ag_news_csv(ag_news_served, tmp_path):
    train, test = datasets.AG_NEWS(root=tmp_path / "data")
    records = list(train)
    assert records[0] == (3, "Wall St. Bears Claw Back Into the Black (Reuters) Reuters - "
                             "Short-sellers, Wall Street's dwindling\\band of ultra-cynics, "
                             "are seeing green again.")
    assert records[1] == (4, 'Quoted "title", with comma Second, description')
    assert len(train) == 3 and list(test) == [(2, "Sports A match")]
    assert (tmp_path / "data" / "AG_NEWS" / "train.csv").is_file()
    # one split by name; a second call reads the cache (the server is not needed any more)
    ag_news.URL["test"] = "http://127.0.0.1:9/unreachable.csv"
    assert list(datasets.AG_NEWS(root=tmp_path / "data", split="test")) == [(2, "Sports A match")]


def test_wrong_checksum_is_an_error_and_the_file_is_removed(ag_news_served, tmp_path,
                                                            monkeypatch):
    monkeypatch.setitem(ag_news.MD5, "train", "0" * 32)
    with pytest.raises(RuntimeError, match="train.csv"):
        datasets.AG_NEWS(root=tmp_path, split="train")
    assert not (tmp_path / "AG_NEWS" / "train.csv").exists()


def test_unknown_split(tmp_path):
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        datasets.AG_NEWS(root=tmp_path, split="dev")


def test_malformed_csv_names_file_and_line(ag_news_served, tmp_path):
    (ag_news_served / "test.csv").write_text('"2","ok"\n"x","bad label"\n', encoding="utf-8")
    ag_news.MD5["test"] = md5(ag_news_served / "test.csv")
    test = datasets.AG_NEWS(root=tmp_path, split="test")
    with pytest.raises(ValueError, match=r"test.csv, line 2: label 'x'"):
        list(test)


def test_yelp_review_polarity_tar(http_server, monkeypatch, tmp_path):
    folder, base = http_server
    archive = write_tar_gz(folder / "yelp.tar.gz", {
        "yelp_review_polarity_csv/readme.txt": "Yelp Review Polarity Dataset\n",
        "yelp_review_polarity_csv/train.csv": '"1","Terrible service.\\nNever again."\n'
                                              '"2","Great food, great staff!"\n',
        "yelp_review_polarity_csv/test.csv": '"2","Loved it"\n',
    })
    monkeypatch.setattr(yelp, "URL", f"{base}/yelp.tar.gz")
    monkeypatch.setattr(yelp, "MD5", md5(archive))
    train = datasets.YelpReviewPolarity(root=tmp_path, split="train")
    assert list(train) == [(1, "Terrible service.\\nNever again."),
                           (2, "Great food, great staff!")]
    assert list(datasets.YelpReviewPolarity(root=tmp_path, split="test")) == [(2, "Loved it")]


def test_imdb_acl_tree(http_server, monkeypatch, tmp_path):
    folder, base = http_server
    archive = write_tar_gz(folder / "aclImdb_v1.tar.gz", {
        "aclImdb/imdb.vocab": "the\nand\n",
        "aclImdb/train/labeledBow.feat": "0 0:1\n",
        "aclImdb/train/urls_pos.txt": "http://www.imdb.com/title/tt0453418/usercomments\n",
        "aclImdb/train/pos/0_9.txt": "Bromwell High is a cartoon comedy.<br /><br />Great.",
        "aclImdb/train/pos/1_7.txt": "Homelessness (or Houselessness as George Carlin stated)",
        "aclImdb/train/neg/0_3.txt": "Story of a man who has unnatural feelings for a pig.",
        "aclImdb/train/unsup/0_0.txt": "unlabelled review",
        "aclImdb/test/pos/0_10.txt": "I went and saw this movie last night.",
        "aclImdb/test/neg/0_2.txt": "Once again Mr. Costner has dragged out a movie.",
    })
    monkeypatch.setattr(imdb, "URL", f"{base}/aclImdb_v1.tar.gz")
    monkeypatch.setattr(imdb, "MD5", md5(archive))
    train, test = datasets.IMDB(root=tmp_path)
    assert list(train) == [
        (1, "Story of a man who has unnatural feelings for a pig."),
        (2, "Bromwell High is a cartoon comedy.<br /><br />Great."),
        (2, "Homelessness (or Houselessness as George Carlin stated)")]
    assert [label for label, _ in test] == [1, 2]


def test_sst2_zip(http_server, monkeypatch, tmp_path):
    folder, base = http_server
    archive = write_zip(folder / "SST-2.zip", {
        "SST-2/train.tsv": "sentence\tlabel\nhide new secretions from the parental units \t0\n"
                           "contains no wit , only labored gags \t0\nthat loves its characters \t1\n",
        "SST-2/dev.tsv": "sentence\tlabel\nit 's a charming and often affecting journey . \t1\n",
        "SST-2/test.tsv": "index\tsentence\n0\tuneasy mishmash of styles and genres .\n",
    })
    monkeypatch.setattr(sst2, "URL", f"{base}/SST-2.zip")
    monkeypatch.setattr(sst2, "MD5", md5(archive))
    train, dev, test = datasets.SST2(root=tmp_path)
    assert list(train) == [("hide new secretions from the parental units", 0),
                           ("contains no wit , only labored gags", 0),
                           ("that loves its characters", 1)]
    assert list(dev) == [("it 's a charming and often affecting journey .", 1)]
    assert list(test) == [("uneasy mishmash of styles and genres .",)]


WIKI = " \n = Valkyria Chronicles III = \n \n Senjō no Valkyria 3 : <unk> Chronicles \n"


@pytest.mark.parametrize("name, folder_name", [("WikiText2", "wikitext-2"),
                                               ("WikiText103", "wikitext-103")])
def test_wikitext_zip(http_server, monkeypatch, tmp_path, name, folder_name):
    folder, base = http_server
    zip_name = f"{folder_name}-v1.zip"
    archive = write_zip(folder / zip_name, {
        f"{folder_name}/wiki.{split}.tokens": WIKI + f" {split} \n"
        for split in ("train", "valid", "test")})
    spec = dict(wikitext._WIKITEXT[name], url=f"{base}/{zip_name}", md5=md5(archive))
    monkeypatch.setitem(wikitext._WIKITEXT, name, spec)
    valid = getattr(datasets, name)(root=tmp_path, split="valid")
    assert list(valid) == [" \n", " = Valkyria Chronicles III = \n", " \n",
                           " Senjō no Valkyria 3 : <unk> Chronicles \n", " valid \n"]


def test_penn_treebank_txt(http_server, monkeypatch, tmp_path):
    folder, base = http_server
    lines = " aer banknote berlitz calloway \n pierre <unk> N years old will join the board \n"
    for split in ("train", "valid", "test"):
        (folder / f"ptb.{split}.txt").write_text(lines, encoding="utf-8")
    monkeypatch.setattr(penn_treebank, "URL", {s: f"{base}/ptb.{s}.txt"
                                               for s in ("train", "valid", "test")})
    monkeypatch.setattr(penn_treebank, "MD5", {s: md5(folder / f"ptb.{s}.txt")
                                               for s in ("train", "valid", "test")})
    train = datasets.PennTreebank(root=tmp_path, split="train")
    assert list(train) == ["aer banknote berlitz calloway",
                           "pierre <unk> N years old will join the board"]


def test_multi30k_parallel_files(http_server, monkeypatch, tmp_path):
    folder, base = http_server
    files = {"train": ("training.tar.gz", "train"), "valid": ("validation.tar.gz", "val"),
             "test": ("mmt16_task1_test.tar.gz", "test")}
    urls, digests = {}, {}
    for split, (archive_name, prefix) in files.items():
        archive = write_tar_gz(folder / archive_name, {
            f"{prefix}.de": "Zwei junge weiße Männer sind im Freien.\nEin Mann schläft.\n",
            f"{prefix}.en": "Two young, White males are outside.\nA man sleeps.\n"})
        urls[split] = f"{base}/{archive_name}"
        digests[split] = hashlib.sha256(archive.read_bytes()).hexdigest()
    monkeypatch.setattr(multi30k, "URL", urls)
    monkeypatch.setattr(multi30k, "SHA256", digests)
    valid = datasets.Multi30k(root=tmp_path, split="valid")
    assert list(valid) == [("Zwei junge weiße Männer sind im Freien.",
                            "Two young, White males are outside."),
                           ("Ein Mann schläft.", "A man sleeps.")]
    en_de = datasets.Multi30k(root=tmp_path, split="test", language_pair=("en", "de"))
    assert next(iter(en_de)) == ("Two young, White males are outside.",
                                 "Zwei junge weiße Männer sind im Freien.")
    with pytest.raises(ValueError, match="language_pair"):
        datasets.Multi30k(root=tmp_path, split="train", language_pair=("de", "fr"))


def test_archive_with_path_traversal_is_refused(http_server, monkeypatch, tmp_path):
    folder, base = http_server
    archive = write_zip(folder / "SST-2.zip", {"SST-2/train.tsv": "sentence\tlabel\n",
                                                "../../evil.txt": "pwned"})
    monkeypatch.setattr(sst2, "URL", f"{base}/SST-2.zip")
    monkeypatch.setattr(sst2, "MD5", md5(archive))
    with pytest.raises(ValueError, match="evil.txt"):
        datasets.SST2(root=tmp_path / "root", split="train")
    assert not list(tmp_path.rglob("evil.txt"))


def _collate(batch):
    labels, texts = zip(*batch)
    return ember.tensor(labels), list(texts)


def _big_ag_news(folder, n):
    rows = "".join(f'"{i % 4 + 1}","title {i}","text {i}"\n' for i in range(n))
    (folder / "train.csv").write_text(rows, encoding="utf-8")


def test_iterable_dataset_with_dataloader_workers(ag_news_served, tmp_path):
    _big_ag_news(ag_news_served, 50)
    ag_news.MD5["train"] = md5(ag_news_served / "train.csv")
    train = datasets.AG_NEWS(root=tmp_path, split="train")
    loader = DataLoader(train, batch_size=8, num_workers=2, collate_fn=_collate)
    seen = [text for _, texts in loader for text in texts]
    # every record exactly once across the two workers
    assert sorted(seen) == sorted(f"title {i} text {i}" for i in range(50))


def test_map_style_dataset_with_shuffling_workers(ag_news_served, tmp_path):
    _big_ag_news(ag_news_served, 40)
    ag_news.MD5["train"] = md5(ag_news_served / "train.csv")
    train = to_map_style_dataset(datasets.AG_NEWS(root=tmp_path, split="train"))
    assert len(train) == 40 and train[5] == (2, "title 5 text 5")
    ember.manual_seed(0)
    loader = DataLoader(train, batch_size=6, shuffle=True, num_workers=2, collate_fn=_collate)
    labels, texts = [], []
    for lab, txt in loader:
        labels += lab.tolist()
        texts += txt
    assert sorted(texts) == sorted(f"title {i} text {i}" for i in range(40))
    assert texts != [f"title {i} text {i}" for i in range(40)]  # shuffled
    assert all(int(t.split()[1]) % 4 + 1 == lab for lab, t in zip(labels, texts))


def test_download_from_url_torchtext_signature(http_server, tmp_path):
    from ember_text.utils import download_from_url

    folder, base = http_server
    (folder / "file.txt").write_text("version 1")
    digest = hashlib.sha256(b"version 1").hexdigest()
    # default path: root / the URL's file name; sha256 by default, as torchtext
    path = download_from_url(f"{base}/file.txt", root=str(tmp_path), hash_value=digest)
    assert path == str(tmp_path / "file.txt") and open(path).read() == "version 1"
    (folder / "file.txt").write_text("version 2")
    assert open(download_from_url(f"{base}/file.txt", root=str(tmp_path))).read() == "version 1"
    path = download_from_url(f"{base}/file.txt", root=str(tmp_path), overwrite=True)
    assert open(path).read() == "version 2"
    with pytest.raises(ValueError, match="hash_type"):
        download_from_url(f"{base}/file.txt", root=str(tmp_path), hash_type="crc32")
