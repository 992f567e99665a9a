"""The local blob store's streaming writer: nothing under the key until commit, nothing left
by an abort, and a killed writer's partial file removed with its key."""

from casework.storage.local import LocalBlobStore


def test_a_streamed_blob_appears_only_when_committed(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    writer = store.open_writer("ws/exports/e1.zip")
    writer.write(b"PK" + b"x" * 100)
    assert not store.exists("ws/exports/e1.zip")
    assert writer.commit() == 102
    assert b"".join(store.open_chunks("ws/exports/e1.zip")) == b"PK" + b"x" * 100
    assert list((tmp_path / "blobs" / "ws" / "exports").iterdir()) == [
        tmp_path / "blobs" / "ws" / "exports" / "e1.zip"]


def test_an_aborted_or_abandoned_write_leaves_nothing(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    aborted = store.open_writer("ws/exports/e2.zip")
    aborted.write(b"half")
    aborted.abort()
    folder = tmp_path / "blobs" / "ws" / "exports"
    assert list(folder.iterdir()) == []
    killed = store.open_writer("ws/exports/e3.zip")  # its process dies: never closed
    killed.write(b"half an archive")
    assert len(list(folder.iterdir())) == 1
    store.delete("ws/exports/e3.zip")  # what retention does with the export's key
    assert list(folder.iterdir()) == []
