import pytest

from tests.integration.servers import CeleryWorker, RedisServer


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery_worker_process(redis_server, tmp_path):
    worker = CeleryWorker(redis_server, tmp_path / "worker.log")
    worker.start()
    yield worker
    worker.stop()
